package e2e

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register("ServiceByModelNameRuns", serviceByModelNameRuns)
	register("ServiceAutoSelectsTemplate", serviceAutoSelectsTemplate)
	register("ServiceByImageCreatesModel", serviceByImageCreatesModel)
	register("ServiceMissingModel", serviceMissingModel)
	register("ServiceMissingTemplate", serviceMissingTemplate)
	register("ServiceMissingRuntimeConfigHeals", serviceMissingRuntimeConfigHeals)
	register("ServicePausedDependencyDrivesStatus", servicePausedDependencyDrivesStatus)
	register("NamespaceDeletionNotBlocked", namespaceDeletionNotBlocked)
	register("ServiceNamespaceTooLong", serviceNamespaceTooLong)
}

// readyInlineTemplate creates a model (in-spec metadata) and an optimized MI300X template with one
// in-line 1Gi source, and waits until both are Ready.
func readyInlineTemplate(t *testing.T, ns, model, image, tpl, sourceURI, modelID, tplEnv string) {
	t.Helper()
	metadataModel(t, ns, model, image)
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: %s
spec:
  modelName: %s
  type: optimized
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
  env: %s
  modelSources:
  - modelId: %s
    sourceUri: %s
    size: 1Gi
`, tpl, model, tplEnv, modelID, sourceURI)
	waitFor(t, "AIMServiceTemplate", ns, tpl, 30*time.Second, statusIs("Ready"))
	waitFor(t, "AIMModel", ns, model, 30*time.Second, statusIs("Ready"))
}

// The main path: service by model name and template name → Shared template cache (C14) → artifact (C5) →
// RoleBinding (C6), PVC (C8), download Job (C9) → InferenceService (C15); Starting until KServe (played by
// the test) reports the ISVC Ready, then Running.
func serviceByModelNameRuns(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	const (
		image   = "ghcr.io/silogen/aim-svc:0.1.0"
		source  = "hf://org/tiny-model"
		modelID = "org/tiny-model"
	)
	readyInlineTemplate(t, ns, "svc-model", image, "svc-tpl", source, modelID, `[{name: TPL_ENV, value: "1"}]`)
	svc := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: chat
spec:
  model:
    name: svc-model
  template:
    name: svc-tpl
  env:
  - name: SVC_ENV
    value: x
`)
	waitFor(t, "AIMService", ns, "chat", 30*time.Second, hasFinalizer("aim.eai.amd.com/template-cache-cleanup"))

	// Template cache: Shared mode, not owned, env = template env < caching env < service env.
	cacheName := sharedCacheName("svc-tpl", ns)
	tc := waitFor(t, "AIMTemplateCache", ns, cacheName, 30*time.Second)
	expect(t, tc, labelIs("aim.eai.amd.com/service", "chat"), noOwner(),
		fieldIs("svc-tpl", "spec", "templateName"), fieldIs("Namespace", "spec", "templateScope"),
		fieldIs("Shared", "spec", "mode"),
		envIs([]string{"spec", "env"}, "TPL_ENV=1", "SVC_ENV=x"))
	waitFor(t, "AIMTemplateCache", ns, cacheName, 30*time.Second, hasFinalizer("aim.eai.amd.com/artifactcleanup"))

	// Artifact, found by its cache label; its name is checked against C5.
	var art *U
	waitUntil(t, 30*time.Second, "artifact of the cache", func() (bool, string) {
		arts := list(t, "AIMArtifact", ns, "aim.eai.amd.com/template-cache.name="+cacheName)
		if len(arts) != 1 {
			return false, fmt.Sprintf("artifacts %v", names(arts))
		}
		art = &arts[0]
		return true, ""
	})
	cacheEnv := []map[string]string{{"name": "TPL_ENV", "value": "1"}, {"name": "SVC_ENV", "value": "x"}}
	if want := derivedName([]string{strings.ReplaceAll(source, ".", "-")}, hashOf(10, source, cacheEnv, ""), 63); art.GetName() != want {
		t.Errorf("artifact name %s, want %s (catalogue C5)", art.GetName(), want)
	}
	expect(t, art, noOwner(),
		labelIs("template-created", "true"),
		labelIs("aim.eai.amd.com/template.name", "svc-tpl"),
		labelIs("aim.eai.amd.com/template.scope", "Namespace"),
		labelIs("aim.eai.amd.com/template.index", "0"),
		labelIs("aim.eai.amd.com/template-cache.name", cacheName),
		fieldIs(source, "spec", "sourceUri"), fieldIs(modelID, "spec", "modelId"), fieldIs("1Gi", "spec", "size"))
	artName, artUID := art.GetName(), string(art.GetUID())

	rb := waitFor(t, "RoleBinding", ns, "aim-engine-artifact-status-updater", 30*time.Second)
	expect(t, rb, noOwner(),
		fieldIs("ClusterRole", "roleRef", "kind"), fieldIs("aim-engine-artifact-status-updater", "roleRef", "name"),
		fieldIs(`[{"kind":"ServiceAccount","name":"default","namespace":"`+ns+`"}]`, "subjects"))

	pvc := waitFor(t, "PersistentVolumeClaim", ns, artifactChildName(artName, artUID, "cache"), 30*time.Second)
	expect(t, pvc, controlledBy(art),
		labelIs("aim.eai.amd.com/cache.name", artName),
		labelIs("aim.eai.amd.com/cache.type", "template-cache"),
		labelIs("aim.eai.amd.com/source-model", sanitizeLabel("org/tiny-model")),
		fieldIs(`["ReadWriteMany"]`, "spec", "accessModes"),
		fieldIs("2Gi", "spec", "resources", "requests", "storage")) // ceil(1Gi × 1.10) in whole Gi

	expect(t, pvc, controllerRefBlocksDeletion())
	job := waitFor(t, "Job", ns, artifactChildName(artName, artUID, "download"), 30*time.Second)
	expect(t, job, controllerRefBlocksDeletion())
	expect(t, job, controlledBy(art),
		labelIs("aim.eai.amd.com/cache.name", artName),
		labelIs("aim.eai.amd.com/cache.type", "artifact"),
		labelIs("aim.eai.amd.com/component", "download"),
		fieldIs(2, "spec", "backoffLimit"), fieldIs(600, "spec", "ttlSecondsAfterFinished"),
		fieldIs("model-download", "spec", "template", "spec", "containers", "0", "name"),
		fieldIs(`["`+source+`"]`, "spec", "template", "spec", "containers", "0", "args"),
		fieldIs("/cache", "spec", "template", "spec", "containers", "0", "volumeMounts", "0", "mountPath"),
		fieldIs(pvc.GetName(), "spec", "template", "spec", "volumes", "0", "persistentVolumeClaim", "claimName"),
		envIs([]string{"spec", "template", "spec", "containers", "0", "env"},
			"AIM_DOWNLOADER_PROTOCOL=XET,HF_TRANSFER", "TMPDIR=/tmp/", "HF_HOME=/tmp/.hf", "EXPECTED_SIZE_BYTES=1073741824",
			"MOUNT_PATH=/cache", "ARTIFACT_NAME="+artName, "ARTIFACT_NAMESPACE="+ns, "STALL_TIMEOUT=120", "TARGET_DIR=/cache",
			"TPL_ENV=1", "SVC_ENV=x"))
	if !env.Local() {
		t.Skip("the download Job would really download from Hugging Face on this cluster; children checked up to it")
	}

	// kwok completes the download pod: artifact, cache, then the InferenceService.
	art = waitFor(t, "AIMArtifact", ns, artName, 60*time.Second, statusIs("Ready"),
		hasCond("DownloadComplete", "True", "Verified", "Download and verification complete"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	expect(t, art, fieldIs("Shared", "status", "mode"), fieldIs(100, "status", "progress", "percentage"),
		fieldIs("100 %", "status", "progress", "displayPercentage"), fieldIs("1 GiB", "status", "displaySize"),
		hasCond("CachePvcReady", "True", "Ready", ""))
	printerColumnsPopulated(t, "AIMArtifact", ns, artName, "Status", "Mode", "Model Size", "Progress")

	tc = waitFor(t, "AIMTemplateCache", ns, cacheName, 30*time.Second, statusIs("Ready"),
		hasCond("ArtifactsReady", "True", "AllCachesReady", "All caches are ready"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	expect(t, tc, fieldIs(artName, "status", "artifacts", artName, "name"),
		fieldIs(modelID, "status", "artifacts", artName, "model"),
		fieldIs("Ready", "status", "artifacts", artName, "status"),
		fieldIs(pvc.GetName(), "status", "artifacts", artName, "persistentVolumeClaim"))
	printerColumnsPopulated(t, "AIMTemplateCache", ns, cacheName, "Template", "Mode", "Status")

	isvc := waitFor(t, "InferenceService", ns, isvcName("chat", ns), 30*time.Second)
	c := []string{"spec", "predictor", "containers", "0"}
	expect(t, isvc, controlledBy(svc),
		labelIs("app.kubernetes.io/component", "inference"),
		labelIs("app.kubernetes.io/managed-by", "aim-engine"),
		labelIs("aim.eai.amd.com/template", "svc-tpl"),
		labelIs("aim.eai.amd.com/service", "chat"),
		labelIs("aim.eai.amd.com/model", "svc-model"),
		labelIs("aim.eai.amd.com/metric", "latency"),
		labelIs("aim.eai.amd.com/precision", "fp8"),
		fieldIs("none", "metadata", "annotations", "serving.kserve.io/autoscalerClass"),
		fieldIs(1, "spec", "predictor", "minReplicas"), fieldIs(1, "spec", "predictor", "maxReplicas"),
		fieldIs("kserve-container", append(c, "name")...),
		fieldIs(image, append(c, "image")...),
		fieldIs(`[{"containerPort":8000,"name":"http","protocol":"TCP"}]`, append(c, "ports")...),
		envIs(append(c, "env"), "AIM_CACHE_PATH=/workspace/cache", "AIM_METRIC=latency", "AIM_MODEL_ID="+modelID,
			"AIM_PRECISION=fp8", "SVC_ENV=x", "TPL_ENV=1", "VLLM_ENABLE_METRICS=true"),
		fieldIs("4", append(c, "resources", "requests", "cpu")...),
		fieldIs("32Gi", append(c, "resources", "requests", "memory")...),
		fieldIs("1", append(c, "resources", "requests", "amd.com/gpu")...),
		fieldIs("48Gi", append(c, "resources", "limits", "memory")...),
		fieldIs("1", append(c, "resources", "limits", "amd.com/gpu")...),
		volumeMount("dshm", "/dev/shm"),
		nodeAffinityAt(gpuDeviceIDs["MI300X"], "spec", "predictor", "affinity", "nodeAffinity"),
		volumeMount(rfc1123(artName), "/workspace/cache/"+modelID),
		func(u *U) error {
			vols := field(u, "spec", "predictor", "volumes")
			if !strings.Contains(vols, `"claimName":"`+pvc.GetName()+`"`) || !strings.Contains(vols, `"medium":"Memory"`) {
				return fmt.Errorf("volumes %s: want dshm (Memory) and the cache PVC %s", vols, pvc.GetName())
			}
			return nil
		},
	)
	expect(t, isvc, controllerRefBlocksDeletion())
	starting := waitFor(t, "AIMService", ns, "chat", 30*time.Second, statusIs("Starting"),
		hasCond("InferenceServiceReady", "False", "CreatingRuntime", "InferenceService is not ready"),
		hasCond("ModelReady", "True", "ModelResolved", "AIMModel svc-model is ready"),
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate svc-tpl is ready"),
		hasCond("CacheReady", "True", "CacheReady", "Template cache is ready"),
		hasCond("Ready", "False", "Progressing", "Waiting for components to become ready"))
	expect(t, starting, hasCond("InferenceServicePodsReady", "False", "NoPods", "No pods found"))

	// KServe's part, in two steps. The ISVC reports Ready before any predictor pod exists: the pods
	// component still says NoPods, so the service stays Starting (§2.3 row 1, §1.3).
	setISVCReady(t, ns, isvc.GetName())
	u := waitFor(t, "AIMService", ns, "chat", 30*time.Second,
		hasCond("InferenceServiceReady", "True", "RuntimeReady", "InferenceService is ready"))
	expect(t, u, statusIs("Starting"), hasCond("InferenceServicePodsReady", "False", "NoPods", "No pods found"))
	createPredictorPod(t, ns, isvc.GetName())
	s := waitFor(t, "AIMService", ns, "chat", 30*time.Second, statusIs("Running"),
		hasCond("InferenceServiceReady", "True", "RuntimeReady", "InferenceService is ready"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	expect(t, s, hasCond("InferenceServicePodsReady", "True", "PodsReady", "Pods are ready"))
	expect(t, s,
		fieldIs("svc-model", "status", "resolvedModel", "name"),
		fieldIs("Namespace", "status", "resolvedModel", "scope"),
		fieldIs("svc-tpl", "status", "resolvedTemplate", "name"),
		fieldIs("Namespace", "status", "resolvedTemplate", "scope"),
		fieldIs(cacheName, "status", "cache", "templateCacheRef", "name"),
		fieldIs(ns, "status", "cache", "templateCacheRef", "namespace"),
		fieldIs(tc.GetUID(), "status", "cache", "templateCacheRef", "uid"),
		fieldIs(mustGet(t, "AIMModel", ns, "svc-model").GetUID(), "status", "resolvedModel", "uid"),
		fieldIs(mustGet(t, "AIMServiceTemplate", ns, "svc-tpl").GetUID(), "status", "resolvedTemplate", "uid"),
		fieldIs(ns, "status", "resolvedTemplate", "namespace"),
		fieldIs("1", "status", "runtime", "replicas"),
		noCond("HTTPRouteReady"), noCond("HPAReady"))
	printerColumnsPopulated(t, "AIMService", ns, "chat", "Status", "Model", "Template", "Replicas")

	// Deleting the service: its finalizer deletes only caches that are not Ready, so the Ready shared
	// cache stays for reuse (§4.1).
	if err := res("AIMService", ns).Delete(bg, "chat", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete service: %v", err)
	}
	waitGone(t, "AIMService", ns, "chat", 30*time.Second)
	expect(t, mustGet(t, "AIMTemplateCache", ns, cacheName), statusIs("Ready"), func(u *U) error {
		if u.GetDeletionTimestamp() != nil {
			return fmt.Errorf("the Ready shared cache is being deleted")
		}
		return nil
	})
}

// volumeMount expects the first container of the ISVC predictor to mount volume name at path.
func volumeMount(name, path string) check {
	return func(u *U) error {
		for _, m := range sliceAt(u, "spec", "predictor", "containers", "0", "volumeMounts") {
			mm, _ := m.(map[string]any)
			if mm["name"] == name && mm["mountPath"] == path {
				return nil
			}
		}
		return fmt.Errorf("no volume mount %s at %s: %s", name, path, field(u, "spec", "predictor", "containers", "0", "volumeMounts"))
	}
}

// Auto-selection (§7 "Template selection"): a service naming only the model resolves its Ready,
// optimized template.
func serviceAutoSelectsTemplate(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	readyInlineTemplate(t, ns, "auto-model", "ghcr.io/silogen/aim-auto:0.1.0", "auto-tpl", "hf://org/auto-model", "org/auto-model", "[]")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: auto
spec:
  model:
    name: auto-model
`)
	s := waitFor(t, "AIMService", ns, "auto", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate auto-tpl is ready"),
		hasCond("ModelReady", "True", "ModelResolved", "AIMModel auto-model is ready"))
	expect(t, s, fieldIs("auto-tpl", "status", "resolvedTemplate", "name"))
	waitFor(t, "AIMTemplateCache", ns, sharedCacheName("auto-tpl", ns), 30*time.Second)
}

// A service by image with no matching model creates the model (C10: name, label, not owned).
// The image's registry refuses connections, so the model is Degraded and the service Failed
// through ModelReady=False/ModelNotReady (§2.10).
func serviceByImageCreatesModel(t *testing.T, ns string) {
	const image = "127.0.0.1:1/silogen/aim-e2e-by-image:0.1.0"
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pull"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{}}`)}}
	if _, err := env.Client.CoreV1().Secrets(ns).Create(bg, sec, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: by-image
spec:
  model:
    image: %s
  serviceAccountName: puller
  imagePullSecrets:
  - name: pull
`, image)
	name := imageModelName(image)
	m := waitFor(t, "AIMModel", ns, name, 30*time.Second)
	// C10: the service's pull secrets and service account are copied to the model.
	expect(t, m, noOwner(), labelIs("aim.eai.amd.com/origin", "auto-generated"), fieldIs(image, "spec", "image"),
		fieldIs("puller", "spec", "serviceAccountName"), fieldIs(`[{"name":"pull"}]`, "spec", "imagePullSecrets"))
	waitFor(t, "AIMModel", ns, name, 60*time.Second, statusIs("Degraded"),
		hasCond("ImageMetadataReady", "False", "ConnectionRefused", ""),
		hasCond("DependenciesReachable", "False", "InfrastructureError", ""))
	waitFor(t, "AIMService", ns, "by-image", 60*time.Second, statusIs("Failed"),
		hasCond("ModelReady", "False", "ModelNotReady", "AIMModel "+name+" is in failed state"))
}

// model.name that exists nowhere: Failed, ModelReady=False/ModelNotFound, ConfigValid=False/
// ReferenceNotFound. Creating the model heals the service's model resolution.
func serviceMissingModel(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: lost
spec:
  model:
    name: does-not-exist
`)
	waitFor(t, "AIMService", ns, "lost", 30*time.Second, statusIs("Failed"),
		hasCond("ModelReady", "False", "ModelNotFound", fmt.Sprintf("model %q not found in namespace %s or cluster scope", "does-not-exist", ns)),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"),
		hasCond("Ready", "False", "ReferenceNotFound", "Referenced resource not found"))
	// Conditions drive events (§5): AsError conditions give Warning events with the condition's reason.
	waitFor(t, "AIMService", ns, "lost", 30*time.Second,
		eventCheck(ns, "lost", "Warning", "ModelNotFound", "aim-service-controller"),
		eventCheck(ns, "lost", "Warning", "ReferenceNotFound", "aim-service-controller"))
	paintModel(t, ns, "does-not-exist", "ghcr.io/silogen/aim-late:0.1.0", "Ready")
	waitFor(t, "AIMService", ns, "lost", 30*time.Second,
		hasCond("ModelReady", "True", "ModelResolved", "AIMModel does-not-exist is ready"))
	// The model has no template: that is the Pending fallback (no error category), not a missing reference.
	waitFor(t, "AIMService", ns, "lost", 30*time.Second, statusIs("Pending"),
		hasCond("TemplateReady", "False", "TemplateNotFound", "No template found for service"),
		hasCond("ConfigValid", "True", "ConfigurationValid", "Configuration is valid"))
}

// template.name that exists nowhere: Failed, TemplateReady=False/TemplateNotFound.
func serviceMissingTemplate(t *testing.T, ns string) {
	paintModel(t, ns, "tm-model", "ghcr.io/silogen/aim-tm:0.1.0", "Ready")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: no-tpl
spec:
  model:
    name: tm-model
  template:
    name: no-such-tpl
`)
	waitFor(t, "AIMService", ns, "no-tpl", 30*time.Second, statusIs("Failed"),
		hasCond("TemplateReady", "False", "TemplateNotFound", `template "no-such-tpl" not found`),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"),
		hasCond("Ready", "False", "ReferenceNotFound", "Referenced resource not found"))
}

// A named runtime config that is missing: the service's Upstream wrapper gives RuntimeConfigReady=False/
// ReferenceNotFound and ConfigValid=False/ReferenceNotFound; creating it heals both.
func serviceMissingRuntimeConfigHeals(t *testing.T, ns string) {
	paintModel(t, ns, "rc-model", "ghcr.io/silogen/aim-rcm:0.1.0", "Ready")
	paintTemplate(t, ns, "rc-tpl", "rc-model", "Ready", "hf://org/rc", "org/rc")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: rc-svc
spec:
  model:
    name: rc-model
  template:
    name: rc-tpl
  runtimeConfigName: rc-missing
`)
	waitFor(t, "AIMService", ns, "rc-svc", 30*time.Second, statusIs("Failed"),
		hasCond("RuntimeConfigReady", "False", "ReferenceNotFound", "Upstream dependency not found"),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"))
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMRuntimeConfig
metadata:
  name: rc-missing
spec: {}
`)
	s := waitFor(t, "AIMService", ns, "rc-svc", 30*time.Second,
		hasCond("RuntimeConfigReady", "True", "RuntimeConfigResolved", ""),
		hasCond("ConfigValid", "True", "ConfigurationValid", "Configuration is valid"))
	if st := field(s, "status", "status"); st == "Failed" {
		t.Errorf("service still Failed after its runtime config appeared: %s", summary(s))
	}
}

// Paused dependencies (aim.eai.amd.com/reconciliation-paused) keep the status the test sets, and that
// status drives the service: Progressing model → Pending, Failed model → Failed, Ready → resolved.
func servicePausedDependencyDrivesStatus(t *testing.T, ns string) {
	paintModel(t, ns, "p-model", "ghcr.io/silogen/aim-paused:0.1.0", "Progressing")
	paintTemplate(t, ns, "p-tpl", "p-model", "Ready", "hf://org/paused", "org/paused")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: paused-deps
spec:
  model:
    name: p-model
  template:
    name: p-tpl
`)
	waitFor(t, "AIMService", ns, "paused-deps", 30*time.Second, statusIs("Pending"),
		hasCond("ModelReady", "False", "ModelNotReady", "AIMModel p-model is not ready yet"),
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate p-tpl is ready"))
	// The operator has processed the namespace; the paused objects must still carry the painted status.
	expect(t, mustGet(t, "AIMModel", ns, "p-model"), statusIs("Progressing"), noCond("Ready"))
	expect(t, mustGet(t, "AIMServiceTemplate", ns, "p-tpl"), statusIs("Ready"), noCond("GPUReady"), noCond("ModelReady"))

	setModelStatus(t, ns, "p-model", "Failed")
	waitFor(t, "AIMService", ns, "paused-deps", 30*time.Second, statusIs("Failed"),
		hasCond("ModelReady", "False", "ModelNotReady", "AIMModel p-model is in failed state"))

	setModelStatus(t, ns, "p-model", "Ready")
	waitFor(t, "AIMService", ns, "paused-deps", 30*time.Second,
		hasCond("ModelReady", "True", "ModelResolved", "AIMModel p-model is ready"),
		func(u *U) error {
			if st := field(u, "status", "status"); st != "Starting" && st != "Pending" {
				return fmt.Errorf("status %s, want Starting or Pending (cache not ready yet)", st)
			}
			return nil
		})
}

// Deleting a namespace with services (finalizer aim.eai.amd.com/template-cache-cleanup) and caches
// (aim.eai.amd.com/artifactcleanup) completes: the finalizers step aside for a terminating namespace.
func namespaceDeletionNotBlocked(t *testing.T, ns string) {
	paintModel(t, ns, "nd-model", "ghcr.io/silogen/aim-nd:0.1.0", "Ready")
	paintTemplate(t, ns, "nd-tpl", "nd-model", "Ready", "hf://org/nd", "org/nd")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: nd
spec:
  model:
    name: nd-model
  template:
    name: nd-tpl
`)
	waitFor(t, "AIMService", ns, "nd", 30*time.Second, hasFinalizer("aim.eai.amd.com/template-cache-cleanup"))
	waitFor(t, "AIMTemplateCache", ns, sharedCacheName("nd-tpl", ns), 30*time.Second, hasFinalizer("aim.eai.amd.com/artifactcleanup"))
	if err := env.Client.CoreV1().Namespaces().Delete(bg, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete namespace: %v", err)
	}
	waitUntil(t, 90*time.Second, "namespace "+ns+" to be gone", func() (bool, string) {
		n, err := env.Client.CoreV1().Namespaces().Get(bg, ns, metav1.GetOptions{})
		if err != nil {
			return strings.Contains(err.Error(), "not found"), err.Error()
		}
		var left []string
		for _, kind := range []string{"AIMService", "AIMTemplateCache", "AIMArtifact"} {
			for _, o := range list(t, kind, ns, "") {
				left = append(left, fmt.Sprintf("%s/%s finalizers=%v", kind, o.GetName(), o.GetFinalizers()))
			}
		}
		return false, fmt.Sprintf("phase %s, conditions %v, left %v", n.Status.Phase, n.Status.Conditions, left)
	})
}

// In a namespace longer than the InferenceService name budget allows (63 − 11 − len(ns) < 10), the ISVC
// name error is Unknown-category: InferenceServiceReady=False/FetchError with the catalogue's message,
// DependenciesReachable=False, and a Degraded service (§1.3, §2.10).
func serviceNamespaceTooLong(t *testing.T, _ string) {
	ns := createNamespace(t, fmt.Sprintf("e2e-namespace-too-long-for-an-isvc-hostname-%05d", rand.IntN(100000)))
	paintModel(t, ns, "long-model", "ghcr.io/silogen/aim-long:0.1.0", "Ready")
	paintTemplate(t, ns, "long-tpl", "long-model", "Ready", "hf://org/long", "org/long")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: long
spec:
  model:
    name: long-model
  template:
    name: long-tpl
`)
	waitFor(t, "AIMService", ns, "long", 30*time.Second,
		hasCond("InferenceServiceReady", "False", "FetchError",
			fmt.Sprintf("namespace %q is too long (%d chars); InferenceService hostname would exceed 63 characters", ns, len(ns))))
	waitFor(t, "AIMService", ns, "long", 30*time.Second, statusIs("Degraded"),
		hasCond("DependenciesReachable", "False", "InfrastructureError", "Cannot reach dependencies"),
		noCond("ConfigValid"))
}
