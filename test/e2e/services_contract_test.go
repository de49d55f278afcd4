package e2e

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
)

func init() {
	register("ServiceAutoSelectNeedsGPU", serviceAutoSelectNeedsGPU)
	register("ServiceRuntimeWithoutHPA", serviceRuntimeWithoutHPA)
	register("ServiceReusesTemplateOwnedCache", serviceReusesTemplateOwnedCache)
}

// mi250xIDs are the MI250X device IDs (catalogue §7). No other scenario adds such a node
// (TemplateCacheAfterModelAndGPUGates relies on MI210 being absent, so this one must not use MI210).
var mi250xIDs = []string{"7408", "740c"}

// Auto-selection keeps a template only if its GPU is present in the cluster (catalogue §7 "Template
// selection"): the only candidate needs an MI250X that no node has, so the service waits in the Pending
// fallback TemplateReady=False/TemplateNotFound. Locally, an MI250X node arriving lets it resolve.
func serviceAutoSelectNeedsGPU(t *testing.T, ns string) {
	nodes, err := env.Client.CoreV1().Nodes().List(bg, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	for _, n := range nodes.Items {
		for _, id := range mi250xIDs {
			if n.Labels["amd.com/gpu.device-id"] == id || n.Labels["beta.amd.com/gpu.device-id"] == id {
				t.Skip("this cluster has an MI250X node")
			}
		}
	}
	paintModel(t, ns, "g-model", "ghcr.io/silogen/aim-g-model:0.1.0", "Ready")
	paintTemplate(t, ns, "g-mi250x", "g-model", "Ready", "hf://org/g-model", "org/g-model")
	setStatus(t, "AIMServiceTemplate", ns, "g-mi250x", map[string]any{
		"profile": map[string]any{"metadata": map[string]any{"type": "optimized", "metric": "latency", "precision": "fp8",
			"gpu": "MI250X", "gpuCount": int64(1), "engine": "vllm"}},
		"resolvedHardware": map[string]any{"gpu": map[string]any{"requests": int64(1), "model": "MI250X"}},
		"hardwareSummary":  "1 x MI250X",
	})
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: needs-gpu
spec:
  model:
    name: g-model
`)
	waitFor(t, "AIMService", ns, "needs-gpu", 30*time.Second, statusIs("Pending"),
		hasCond("TemplateReady", "False", "TemplateNotFound", "No template found for service"),
		fieldIs("<none>", "status", "resolvedTemplate"))
	if !env.Local() {
		return
	}
	node := localcluster.Node{Name: "e2e-mi250x-" + ns[len(ns)-5:], GPUs: 8,
		Labels: map[string]string{localcluster.LabelGPUDeviceID: "7408"}}
	if err := env.AddNode(bg, node); err != nil {
		t.Fatalf("add node: %v", err)
	}
	t.Cleanup(func() { _ = env.DeleteNode(bg, node.Name) })
	waitFor(t, "AIMService", ns, "needs-gpu", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate g-mi250x is ready"),
		fieldIs("g-mi250x", "status", "resolvedTemplate", "name"))
}

// status.runtime without an HPA: all four counts equal minReplicas and "replicas" is "<current>"
// (catalogue §1.3), even though maxReplicas is larger; the HPA only exists once KEDA creates it.
func serviceRuntimeWithoutHPA(t *testing.T, ns string) {
	paintedDeps(t, ns, "rw-model", "rw-tpl")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: bounded
spec:
  model:
    name: rw-model
  template:
    name: rw-tpl
  minReplicas: 2
  maxReplicas: 4
`)
	waitFor(t, "AIMService", ns, "bounded", 30*time.Second,
		hasCond("HPAReady", "False", "HPANotFound", "Waiting for KEDA to create HorizontalPodAutoscaler"),
		fieldIs(2, "status", "runtime", "minReplicas"), fieldIs(2, "status", "runtime", "maxReplicas"),
		fieldIs(2, "status", "runtime", "currentReplicas"), fieldIs(2, "status", "runtime", "desiredReplicas"),
		fieldIs("2", "status", "runtime", "replicas"))
}

// A namespaced template with spec.caching.enabled owns the cache <template> (catalogue C4). A Shared
// service on that template reuses it (status.cache.templateCacheRef once Ready) and creates no
// <template>-<hash> cache of its own.
func serviceReusesTemplateOwnedCache(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	requireLocal(t, "the template's cache must become Ready (kwok completes the download Job locally)")
	metadataModel(t, ns, "oc-model", "ghcr.io/silogen/aim-oc-model:0.1.0")
	tpl := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: oc-tpl
spec:
  modelName: oc-model
  type: optimized
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
  caching:
    enabled: true
  modelSources:
  - modelId: org/oc-model
    sourceUri: hf://org/oc-model
    size: 1Gi
`)
	waitFor(t, "AIMServiceTemplate", ns, "oc-tpl", 30*time.Second, statusIs("Ready"))
	waitFor(t, "AIMTemplateCache", ns, "oc-tpl", 30*time.Second, controlledBy(tpl),
		fieldIs("oc-tpl", "spec", "templateName"), fieldIs("Namespace", "spec", "templateScope"),
		fieldIs("Shared", "spec", "mode"))
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: on-owned
spec:
  model:
    name: oc-model
  template:
    name: oc-tpl
`)
	waitFor(t, "AIMTemplateCache", ns, "oc-tpl", 90*time.Second, statusIs("Ready"))
	waitFor(t, "AIMService", ns, "on-owned", 30*time.Second,
		hasCond("CacheReady", "True", "CacheReady", "Template cache is ready"),
		fieldIs("oc-tpl", "status", "cache", "templateCacheRef", "name"))
	if tcs := list(t, "AIMTemplateCache", ns, ""); len(tcs) != 1 {
		t.Errorf("template caches %v, want only the template's oc-tpl (not %s)", names(tcs), sharedCacheName("oc-tpl", ns))
	}
}
