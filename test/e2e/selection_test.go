package e2e

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func init() {
	register("ServiceSelectionRanking", serviceSelectionRanking)
	register("ServiceUnoptimizedTemplate", serviceUnoptimizedTemplate)
	register("ServiceReplicas", serviceReplicas)
	register("ModelMissingPullSecret", modelMissingPullSecret)
}

// inlineTemplate creates a template with one in-line source (Ready at once when its GPU is present).
func inlineTemplate(t *testing.T, ns, name, model, typ, gpu, metric, precision string) {
	t.Helper()
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: %s
spec:
  modelName: %s
  type: %s
  metric: %s
  precision: %s
  hardware:
    gpu:
      model: %s
      requests: 1
  modelSources:
  - modelId: org/%s
    sourceUri: hf://org/%s
    size: 1Gi
`, name, model, typ, metric, precision, gpu, model, model)
	waitFor(t, "AIMServiceTemplate", ns, name, 30*time.Second, statusIs("Ready"))
}

// Auto-selection ranks GPU first (MI325X before MI300X), then metric (latency before throughput), then
// precision (§7 "Template selection").
func serviceSelectionRanking(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	requireGPU(t, "MI325X")
	metadataModel(t, ns, "rank-model", "ghcr.io/silogen/aim-rank:0.1.0")
	inlineTemplate(t, ns, "a-mi300x-lat-fp8", "rank-model", "optimized", "MI300X", "latency", "fp8")
	inlineTemplate(t, ns, "b-mi325x-thr-fp8", "rank-model", "optimized", "MI325X", "throughput", "fp8")
	inlineTemplate(t, ns, "c-mi325x-lat-fp16", "rank-model", "optimized", "MI325X", "latency", "fp16")
	inlineTemplate(t, ns, "d-mi325x-lat-bf16", "rank-model", "optimized", "MI325X", "latency", "bf16")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: ranked
spec:
  model:
    name: rank-model
`)
	waitFor(t, "AIMService", ns, "ranked", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate c-mi325x-lat-fp16 is ready"),
		fieldIs("c-mi325x-lat-fp16", "status", "resolvedTemplate", "name"))

	// A GPU override filters the candidates (only the MI300X template is left) and, the base being a Ready
	// namespaced template, yields the derived template <base>-ovr-mi300x-<hash4> (C13).
	svc := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: pinned
spec:
  model:
    name: rank-model
  overrides:
    hardware:
      gpu:
        model: MI300X
`)
	// The service may keep the base (the reference reuses a still-Ready status.resolvedTemplate) or move to
	// the derived template; either way it resolves from the MI300X candidate.
	waitFor(t, "AIMService", ns, "pinned", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate a-mi300x-lat-fp8*"))
	derived := derivedName([]string{"a-mi300x-lat-fp8", "ovr", "mi300x"}, hashOf(4, "gpu", "MI300X"), 63)
	d := waitFor(t, "AIMServiceTemplate", ns, derived, 30*time.Second)
	expect(t, d, controlledBy(svc), labelIs("aim.eai.amd.com/origin", "derived"),
		fieldIs("MI300X", "spec", "hardware", "gpu", "model"))
}

// An unoptimized template is not auto-selected unless template.allowUnoptimized is set (§7).
func serviceUnoptimizedTemplate(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	metadataModel(t, ns, "unopt-model", "ghcr.io/silogen/aim-unopt:0.1.0")
	inlineTemplate(t, ns, "unopt-tpl", "unopt-model", "unoptimized", "MI300X", "latency", "fp16")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: strict
spec:
  model:
    name: unopt-model
`)
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: lenient
spec:
  model:
    name: unopt-model
  template:
    allowUnoptimized: true
`)
	waitFor(t, "AIMService", ns, "lenient", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate unopt-tpl is ready"))
	waitFor(t, "AIMService", ns, "strict", 30*time.Second, hasCond("TemplateReady", "False", "TemplateNotFound", ""),
		noCond("InferenceServicePodsReady"))
	// Everything filtered out is the Pending fallback, not a missing reference (see F2).
	waitFor(t, "AIMService", ns, "strict", 30*time.Second, statusIs("Pending"),
		hasCond("TemplateReady", "False", "TemplateNotFound", "No template found for service"))
}

// replicas without autoscaling: min = max = replicas on the ISVC, autoscalerClass none, and
// status.runtime.replicas "<n>" (§1.3, C15); the predictor's pull secrets and service account come from
// the service, and service resources override the per-GPU defaults key by key (§7).
func serviceReplicas(t *testing.T, ns string) {
	requireLocal(t, "the InferenceService needs the cache downloaded (kwok completes the download Job locally)")
	paintedDeps(t, ns, "rep-model", "rep-tpl")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: two
spec:
  model:
    name: rep-model
  template:
    name: rep-tpl
  replicas: 2
  serviceAccountName: inference-sa
  imagePullSecrets:
  - name: pull-secret
  resources:
    limits:
      cpu: "8"
`)
	c := []string{"spec", "predictor", "containers", "0", "resources"}
	waitFor(t, "InferenceService", ns, isvcName("two", ns), 60*time.Second,
		fieldIs(2, "spec", "predictor", "minReplicas"), fieldIs(2, "spec", "predictor", "maxReplicas"),
		fieldIs("none", "metadata", "annotations", "serving.kserve.io/autoscalerClass"),
		fieldIs("inference-sa", "spec", "predictor", "serviceAccountName"),
		fieldIs(`[{"name":"pull-secret"}]`, "spec", "predictor", "imagePullSecrets"),
		fieldIs("8", append(c, "limits", "cpu")...),
		fieldIs("48Gi", append(c, "limits", "memory")...),
		fieldIs("4", append(c, "requests", "cpu")...),
		fieldIs("1", append(c, "requests", "amd.com/gpu")...))
	waitFor(t, "AIMService", ns, "two", 30*time.Second, fieldIs("2", "status", "runtime", "replicas"),
		fieldIs(2, "status", "runtime", "desiredReplicas"), noCond("HPAReady"))
}

// A missing imagePullSecret is a missing upstream (ImageMetadataReady=False/SecretNotFound, Failed);
// creating it (and touching the model) lets it go on to the registry, whose refusal makes it Degraded (§2.7).
func modelMissingPullSecret(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: private
spec:
  image: 127.0.0.1:1/silogen/aim-private:0.1.0
  imagePullSecrets:
  - name: regcred
`)
	waitFor(t, "AIMModel", ns, "private", 30*time.Second, statusIs("Failed"),
		hasCond("ImageMetadataReady", "False", "SecretNotFound", `imagePullSecret "regcred" not found in namespace "`+ns+`"`),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"),
		hasCond("Ready", "False", "ReferenceNotFound", "Referenced resource not found"))
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{}}`)}}
	if _, err := env.Client.CoreV1().Secrets(ns).Create(bg, sec, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	// Secrets are not watched (neither here nor in the reference): touch the model as a user would.
	patch := []byte(`{"metadata":{"annotations":{"e2e/touched":"1"}}}`)
	if _, err := res("AIMModel", ns).Patch(bg, "private", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("touch model: %v", err)
	}
	waitFor(t, "AIMModel", ns, "private", 60*time.Second, statusIs("Degraded"),
		hasCond("ImageMetadataReady", "False", "ConnectionRefused", ""),
		hasCond("ConfigValid", "True", "ConfigurationValid", "Configuration is valid"))
}

func init() {
	register("ServiceByImageUsesExistingModel", serviceByImageUsesExistingModel)
	register("ServiceByImageAmbiguousModels", serviceByImageAmbiguousModels)
}

// A service by image whose image an existing model already has resolves that model and creates none (C10).
func serviceByImageUsesExistingModel(t *testing.T, ns string) {
	const image = "ghcr.io/silogen/aim-existing:0.1.0"
	paintModel(t, ns, "existing", image, "Ready")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: reuse
spec:
  model:
    image: %s
`, image)
	waitFor(t, "AIMService", ns, "reuse", 30*time.Second,
		hasCond("ModelReady", "True", "ModelResolved", "AIMModel existing is ready"),
		fieldIs("existing", "status", "resolvedModel", "name"))
	if ms := list(t, "AIMModel", ns, ""); len(ms) != 1 {
		t.Errorf("models %v, want only the existing one", names(ms))
	}
}

// Two models with the service's image: ModelReady=False/UnknownError naming both; Unknown counts as infra,
// so DependenciesReachable=False and the service is Degraded (§2.10, §1.3).
func serviceByImageAmbiguousModels(t *testing.T, ns string) {
	const image = "ghcr.io/silogen/aim-twice:0.1.0"
	paintModel(t, ns, "twice-a", image, "Ready")
	paintModel(t, ns, "twice-b", image, "Ready")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: ambiguous
spec:
  model:
    image: %s
`, image)
	msg := fmt.Sprintf("multiple models found with the same image with image %q: *", image)
	waitFor(t, "AIMService", ns, "ambiguous", 30*time.Second, func(u *U) error {
		if c := findCond(u, "ModelReady"); c == nil || c.Status != "False" || !msgMatches(c.Message, msg) {
			return fmt.Errorf("ModelReady = %+v, want False with message %q", c, msg)
		}
		return nil
	})
	waitFor(t, "AIMService", ns, "ambiguous", 10*time.Second, statusIs("Degraded"),
		hasCond("ModelReady", "False", "UnknownError", msg),
		hasCond("DependenciesReachable", "False", "InfrastructureError", "Cannot reach dependencies"),
		noCond("ConfigValid"))
	if ms := list(t, "AIMModel", ns, ""); len(ms) != 2 {
		t.Errorf("models %v, want the two painted ones", names(ms))
	}
}

func init() { register("ServiceInvalidImageReference", serviceInvalidImageReference) }

// An image reference that does not parse: ModelReady=False/InvalidImageReference (Spec): Failed with
// ConfigValid=False/InvalidSpec, and no model is created (§2.10).
func serviceInvalidImageReference(t *testing.T, ns string) {
	const image = "ghcr.io/Silogen/Not-Lower-Case:1.0"
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: bad-ref
spec:
  model:
    image: %s
`, image)
	waitFor(t, "AIMService", ns, "bad-ref", 30*time.Second, statusIs("Failed"),
		hasCond("ModelReady", "False", "InvalidImageReference", fmt.Sprintf("invalid image URI %q: *", image)),
		hasCond("ConfigValid", "False", "InvalidSpec", "Configuration validation failed"))
	if ms := list(t, "AIMModel", ns, ""); len(ms) > 0 {
		t.Errorf("model created for an invalid image reference: %v", names(ms))
	}
}
