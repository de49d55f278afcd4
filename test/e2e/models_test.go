package e2e

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register("ModelImageMetadataTemplates", modelImageMetadataTemplates)
	register("CustomModelTemplate", customModelTemplate)
	register("ModelMissingRuntimeConfigHeals", modelMissingRuntimeConfigHeals)
	register("ClusterModelImageMetadataTemplates", clusterModelImageMetadataTemplates)
	register("ModelCustomTemplates", modelCustomTemplates)
	register("ModelTemplateCreationDisabled", modelTemplateCreationDisabled)
	register("ModelLabelPropagation", modelLabelPropagation)
}

// AIMModel with spec.imageMetadata (the air-gapped path, no registry access): one template per recommended
// deployment, named and labelled per catalogue C1 and owned by the model; after discovery the templates
// and then the model are Ready (§1.1, §2.8).
func modelImageMetadataTemplates(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	requireGPU(t, "MI325X")
	const image = "ghcr.io/silogen/aim-llama:0.8.5"
	m := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: llama-8b
  labels:
    aim.eai.amd.com/team: a
    other: x
spec:
  image: %s
  imageMetadata:
    model:
      canonicalName: org/llama
      recommendedDeployments:
      - {gpuModel: MI300X, gpuCount: 1, metric: latency, precision: fp8, profileId: p-lat}
      - {gpuModel: MI325X, gpuCount: 1, metric: throughput, precision: fp16}
`, image)
	deps := []deployment{{"MI300X", 1, "latency", "fp8"}, {"MI325X", 1, "throughput", "fp16"}}
	tplNames := []string{generatedTemplateName("llama-8b", image, deps[0]), generatedTemplateName("llama-8b", image, deps[1])}
	if tplNames[0] != "ghcr-io-silogen-aim-llama-0-8-5-1x-mi300x-lat-fp8-137f" {
		t.Fatalf("suite naming drifted from the catalogue example: %s", tplNames[0])
	}
	for i, name := range tplNames {
		tpl := waitFor(t, "AIMServiceTemplate", ns, name, 30*time.Second)
		expect(t, tpl,
			labelIs("aim.eai.amd.com/model", "llama-8b"),
			labelIs("aim.eai.amd.com/origin", "auto-generated"),
			labelIs("app.kubernetes.io/managed-by", "aim-model-controller"),
			labelIs("aim.eai.amd.com/model.name", "llama-8b"),
			labelIs("aim.eai.amd.com/team", "a"), // aim.eai.amd.com/* labels propagate (§3.2 step 1)
			func(u *U) error { // other labels only with a runtime config's labelPropagation
				if _, ok := u.GetLabels()["other"]; ok {
					return fmt.Errorf("label %q propagated without labelPropagation", "other")
				}
				return nil
			},
			controlledBy(m),
			fieldIs("llama-8b", "spec", "modelName"),
			fieldIs(deps[i].Metric, "spec", "metric"),
			fieldIs(deps[i].Precision, "spec", "precision"),
			fieldIs(deps[i].GPUModel, "spec", "hardware", "gpu", "model"),
			fieldIs(1, "spec", "hardware", "gpu", "requests"),
		)
		expect(t, tpl, controllerRefBlocksDeletion())
		if i == 0 {
			expect(t, tpl, fieldIs("p-lat", "spec", "profileId"))
		}
	}
	if !env.Local() {
		t.Skip("the templates' discovery needs pod logs (local control plane only); names and labels checked")
	}
	for _, name := range tplNames {
		tpl := waitFor(t, "AIMServiceTemplate", ns, name, 90*time.Second, statusIs("Ready"),
			hasCond("Ready", "True", "AllComponentsReady", "All components are ready"),
			hasCond("ModelReady", "True", "ModelFound", "AIMModel found with valid image"),
			hasCond("GPUReady", "True", "GPUAvailable", "GPU model '*"),
			hasCond("RuntimeConfigReady", "True", "DefaultConfigNotFound", "Default config was not found"))
		expect(t, tpl, fieldIs("llama-8b", "status", "resolvedModel", "name"))
		printerColumnsPopulated(t, "AIMServiceTemplate", ns, name, "Model", "Status", "Hardware", "Metric", "Precision")
	}
	mdl := waitFor(t, "AIMModel", ns, "llama-8b", 30*time.Second, statusIs("Ready"),
		hasCond("ServiceTemplatesReady", "True", "AllTemplatesReady", "All templates are ready"),
		hasCond("ImageMetadataReady", "True", "ImageMetadataFound", ""),
		hasCond("RuntimeConfigReady", "True", "DefaultConfigNotFound", "Default config was not found"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	expect(t, mdl, fieldIs("Image", "status", "sourceType"),
		fieldIs("org/llama", "status", "imageMetadata", "model", "canonicalName"),
		noCond("ConfigValid"), noCond("AuthValid"), noCond("DependenciesReachable")) // created lazily, on a first False
	printerColumnsPopulated(t, "AIMModel", ns, "llama-8b", "Status", "Source", "Image", "Model")
}

// A custom model (spec.modelSources + custom.hardware) gets one auto template (C2) with the sources
// in-line, so no discovery runs: the template is Ready with Discovered=True/InlineModelSources.
func customModelTemplate(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	m := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: custom-llm
spec:
  image: ghcr.io/silogen/aim-base:0.1.0
  discovery:
    extractMetadata: false
  modelSources:
  - modelId: org/tiny-1b
    sourceUri: hf://org/tiny-1b
    size: 2Gi
  custom:
    hardware:
      gpu:
        model: MI300X
        requests: 1
`)
	name := autoCustomTemplateName("custom-llm")
	tpl := waitFor(t, "AIMServiceTemplate", ns, name, 30*time.Second)
	expect(t, tpl,
		labelIs("aim.eai.amd.com/model", "custom-llm"),
		labelIs("aim.eai.amd.com/origin", "auto-generated"),
		controlledBy(m),
		fieldIs("custom-llm", "spec", "modelName"),
		fieldIs("unoptimized", "spec", "type"),
		fieldIs("hf://org/tiny-1b", "spec", "modelSources", "0", "sourceUri"),
	)
	expect(t, tpl, controllerRefBlocksDeletion())
	tpl = waitFor(t, "AIMServiceTemplate", ns, name, 30*time.Second, statusIs("Ready"),
		hasCond("Discovered", "True", "InlineModelSources", "Model sources provided in-line in spec"),
		hasCond("GPUReady", "True", "GPUAvailable", "GPU model 'MI300X' is available"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	expect(t, tpl, noCond("DiscoveryJobReady"), fieldIs("1 x MI300X", "status", "hardwareSummary"))
	if jobs := list(t, "Job", ns, "aim.eai.amd.com/template="+name); len(jobs) > 0 {
		t.Errorf("template with in-line sources started discovery Jobs %v", names(jobs))
	}
	mdl := waitFor(t, "AIMModel", ns, "custom-llm", 30*time.Second, statusIs("Ready"),
		hasCond("ServiceTemplatesReady", "True", "AllTemplatesReady", "All templates are ready"),
		hasCond("ImageMetadataReady", "True", "ImageFound", ""))
	expect(t, mdl, fieldIs("Custom", "status", "sourceType"))
}

// A model naming a runtime config that does not exist fails with ConfigValid=False/ReferenceNotFound
// (plain wrapper: RuntimeConfigReady=False/ConfigNotFound, §2.2); creating the config heals it.
func modelMissingRuntimeConfigHeals(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: needs-config
spec:
  image: ghcr.io/silogen/aim-rc:0.1.0
  runtimeConfigName: rc-later
  imageMetadata:
    model:
      canonicalName: org/rc
`)
	waitFor(t, "AIMModel", ns, "needs-config", 30*time.Second, statusIs("Failed"),
		hasCond("RuntimeConfigReady", "False", "ConfigNotFound", "RuntimeConfig rc-later not found"),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"),
		hasCond("Ready", "False", "ReferenceNotFound", "Referenced resource not found"))
	// Conditions drive events (§5): AsError conditions give Warning events with the condition's reason.
	waitFor(t, "AIMModel", ns, "needs-config", 30*time.Second,
		eventCheck(ns, "needs-config", "Warning", "ConfigNotFound", "aim-model-controller"),
		eventCheck(ns, "needs-config", "Warning", "ReferenceNotFound", "aim-model-controller"))
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMRuntimeConfig
metadata:
  name: rc-later
spec: {}
`)
	waitFor(t, "AIMModel", ns, "needs-config", 30*time.Second, statusIs("Ready"),
		hasCond("RuntimeConfigReady", "True", "ConfigFound", ""),
		hasCond("ConfigValid", "True", "ConfigurationValid", "Configuration is valid"),
		hasCond("ServiceTemplatesReady", "True", "NoTemplatesExpected", "The model does not have any recommended templates"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
}

// AIMClusterModel: cluster templates (C1, cluster-model labels), discovery Jobs in the operator namespace,
// and the Upstream wrapper (Pending rather than Progressing while templates are not Ready, §1.1).
func clusterModelImageMetadataTemplates(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	name := fmt.Sprintf("e2e-cluster-llama-%05d", rand.IntN(100000))
	image := "ghcr.io/silogen/aim-cluster-llama:0.8.5"
	m := create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: %s
spec:
  image: %s
  imageMetadata:
    model:
      canonicalName: org/cluster-llama
      recommendedDeployments:
      - {gpuModel: MI300X, gpuCount: 1, metric: latency, precision: fp8}
`, name, image)
	tplName := generatedTemplateName(name, image, deployment{"MI300X", 1, "latency", "fp8"})
	tpl := waitFor(t, "AIMClusterServiceTemplate", "", tplName, 30*time.Second)
	expect(t, tpl,
		labelIs("aim.eai.amd.com/model", name),
		labelIs("aim.eai.amd.com/origin", "auto-generated"),
		labelIs("app.kubernetes.io/managed-by", "aim-cluster-model-controller"),
		labelIs("aim.eai.amd.com/cluster-model.name", name),
		controlledBy(m))
	expect(t, tpl, controllerRefBlocksDeletion())
	if !env.Local() {
		t.Skip("discovery needs pod logs (local control plane only); names and labels checked")
	}
	waitFor(t, "AIMClusterServiceTemplate", "", tplName, 90*time.Second, statusIs("Ready"),
		hasCond("ClusterModelReady", "True", "ClusterModelFound", "AIMClusterModel found with valid image"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	jobs := list(t, "Job", systemNamespace(), "aim.eai.amd.com/template="+tplName)
	if len(jobs) != 1 {
		t.Errorf("discovery Jobs of cluster template %s in %s: %v (want 1, catalogue C3)", tplName, systemNamespace(), names(jobs))
	}
	waitFor(t, "AIMClusterModel", "", name, 30*time.Second, statusIs("Ready"),
		hasCond("ClusterServiceTemplatesReady", "True", "AllTemplatesReady", "All templates are ready"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	printerColumnsPopulated(t, "AIMClusterModel", "", name, "Status", "Source", "Image", "Model")
}

// customTemplates on an image model: one template each (C2), named from the model, "custom", the
// template's name, precision and GPU, labelled with its alias, env = model env < template env.
func modelCustomTemplates(t *testing.T, ns string) {
	m := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: ct-model
spec:
  image: ghcr.io/silogen/aim-ct:0.1.0
  imageMetadata:
    model:
      canonicalName: org/ct
  env:
  - name: MODEL_ENV
    value: "1"
  customTemplates:
  - name: fast
    type: optimized
    profile:
      metric: latency
      precision: fp8
    hardware:
      gpu:
        model: MI300X
        requests: 1
    env:
    - name: CT_ENV
      value: "2"
`)
	name := derivedName([]string{"ct-model", "custom", "fast", "fp8", "MI300X"},
		hashOf(8, "ct-model", 0, "fast", "fp8", "latency", 1, "MI300X"), 63)
	tpl := waitFor(t, "AIMServiceTemplate", ns, name, 30*time.Second)
	expect(t, tpl, controlledBy(m),
		labelIs("aim.eai.amd.com/model", "ct-model"),
		labelIs("aim.eai.amd.com/origin", "auto-generated"),
		labelIs("aim.eai.amd.com/template.alias", "fast"),
		fieldIs("ct-model", "spec", "modelName"),
		fieldIs("optimized", "spec", "type"),
		fieldIs("latency", "spec", "metric"),
		fieldIs("fp8", "spec", "precision"),
		fieldIs("MI300X", "spec", "hardware", "gpu", "model"),
		fieldIs(1, "spec", "hardware", "gpu", "requests"),
		envIs([]string{"spec", "env"}, "MODEL_ENV=1", "CT_ENV=2"))

	// Templates are owned by their model: deleting the model garbage-collects them.
	if err := res("AIMModel", ns).Delete(bg, "ct-model", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete model: %v", err)
	}
	waitGone(t, "AIMServiceTemplate", ns, name, 60*time.Second)
}

// discovery.createServiceTemplates=false: no templates despite recommended deployments, and the model is
// Ready with ServiceTemplatesReady=True/NoTemplatesExpected (§2.8).
func modelTemplateCreationDisabled(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: no-templates
spec:
  image: ghcr.io/silogen/aim-none:0.1.0
  discovery:
    createServiceTemplates: false
  imageMetadata:
    model:
      canonicalName: org/none
      recommendedDeployments:
      - {gpuModel: MI300X, gpuCount: 1, metric: latency, precision: fp8}
`)
	waitFor(t, "AIMModel", ns, "no-templates", 30*time.Second, statusIs("Ready"),
		hasCond("ServiceTemplatesReady", "True", "NoTemplatesExpected", "The model does not have any recommended templates"))
	if tpls := list(t, "AIMServiceTemplate", ns, ""); len(tpls) > 0 {
		t.Errorf("templates created with createServiceTemplates=false: %v", names(tpls))
	}
}

// With the namespace's default runtime config enabling labelPropagation, model labels matching its globs
// reach the generated templates; others do not (§3.2 step 1).
func modelLabelPropagation(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMRuntimeConfig
metadata:
  name: default
spec:
  labelPropagation:
    enabled: true
    match: ["team", "cost-*"]
`)
	const image = "ghcr.io/silogen/aim-lp:0.1.0"
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: lp-model
  labels:
    team: blue
    cost-center: "42"
    other: x
spec:
  image: %s
  imageMetadata:
    model:
      canonicalName: org/lp
      recommendedDeployments:
      - {gpuModel: MI300X, gpuCount: 1, metric: latency, precision: fp8}
`, image)
	tpl := waitFor(t, "AIMServiceTemplate", ns, generatedTemplateName("lp-model", image, deployment{"MI300X", 1, "latency", "fp8"}), 30*time.Second)
	expect(t, tpl, labelIs("team", "blue"), labelIs("cost-center", "42"), func(u *U) error {
		if _, ok := u.GetLabels()["other"]; ok {
			return fmt.Errorf("label %q propagated although no glob matches it", "other")
		}
		return nil
	})
	waitFor(t, "AIMModel", ns, "lp-model", 30*time.Second, hasCond("RuntimeConfigReady", "True", "ConfigFound", ""))
}
