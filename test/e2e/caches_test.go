package e2e

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register("ArtifactCheckSize", artifactCheckSize)
	register("ArtifactInvalidSizeOutput", artifactInvalidSizeOutput)
	register("ArtifactDownloadStorageFull", artifactDownloadStorageFull)
	register("TemplateCacheMissingTemplate", templateCacheMissingTemplate)
	register("TemplateCachingEnabled", templateCachingEnabled)
	register("ServiceClusterScopedModelAndTemplate", serviceClusterScopedModelAndTemplate)
	register("ServiceOverridesDerivedTemplate", serviceOverridesDerivedTemplate)
}

// An artifact without a size runs the check-size Job (C7); the last line of its output sizes the PVC
// (C8, 10 % headroom rounded up to whole Gi), then the download Job (C9) runs and the artifact is Ready.
func artifactCheckSize(t *testing.T, ns string) {
	requireLocal(t, "the check-size pod's output is served through kwok's log endpoint")
	art := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMArtifact
metadata:
  name: sized
spec:
  sourceUri: hf://org/sized-model
  modelId: org/sized-model
`)
	uid := string(art.GetUID())
	job := waitFor(t, "Job", ns, artifactChildName("sized", uid, "check-size"), 30*time.Second)
	c := []string{"spec", "template", "spec", "containers", "0"}
	expect(t, job, controlledBy(art),
		labelIs("aim.eai.amd.com/cache.name", "sized"),
		labelIs("aim.eai.amd.com/cache.type", "artifact"),
		labelIs("aim.eai.amd.com/component", "check-size"),
		fieldIs("check-size", "spec", "template", "metadata", "labels", "aim.eai.amd.com/component"),
		fieldIs(2, "spec", "backoffLimit"), fieldIs(300, "spec", "ttlSecondsAfterFinished"),
		fieldIs("Never", "spec", "template", "spec", "restartPolicy"),
		fieldIs(1000, "spec", "template", "spec", "securityContext", "runAsUser"),
		fieldIs("check-size", append(c, "name")...),
		fieldIs("ghcr.io/silogen/aim-artifact-downloader:0.2.0", append(c, "image")...),
		fieldIs("IfNotPresent", append(c, "imagePullPolicy")...),
		fieldIs(`["/check-size.sh"]`, append(c, "command")...),
		fieldIs(`["hf://org/sized-model"]`, append(c, "args")...))
	pvc := waitFor(t, "PersistentVolumeClaim", ns, artifactChildName("sized", uid, "cache"), 60*time.Second,
		fieldIs("6Gi", "spec", "resources", "requests", "storage")) // ceil(5 GiB × 1.10)
	expect(t, pvc, controlledBy(art), labelIs("aim.eai.amd.com/cache.name", "sized"),
		labelIs("aim.eai.amd.com/source-model", "org_sized-model"),
		func(u *U) error { // only artifacts labelled template-created=true get cache.type on the PVC
			if v, ok := u.GetLabels()["aim.eai.amd.com/cache.type"]; ok {
				return fmt.Errorf("PVC of a user-created artifact has cache.type=%s", v)
			}
			return nil
		})
	got := waitFor(t, "AIMArtifact", ns, "sized", 60*time.Second, statusIs("Ready"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"),
		hasCond("DownloadComplete", "True", "Verified", "Download and verification complete"))
	expect(t, got, fieldIs(5368709120, "status", "discoveredSizeBytes"), fieldIs("5 GiB", "status", "displaySize"),
		fieldIs("6Gi", "status", "allocatedSize"), fieldIs(10, "status", "headroomPercent"),
		fieldIs("Shared", "status", "mode"), fieldIs(pvc.GetName(), "status", "persistentVolumeClaim"),
		hasCond("CachePvcReady", "True", "Ready", ""))
	waitFor(t, "RoleBinding", ns, "aim-engine-artifact-status-updater", 10*time.Second)
}

// Check-size output that is not JSON: CheckSizeOutputReady=False/InvalidSizeOutput (Unknown category, so
// DependenciesReachable=False and a Degraded artifact, §2.12), and no PVC.
func artifactInvalidSizeOutput(t *testing.T, ns string) {
	requireLocal(t, "the check-size pod's output is served through kwok's log endpoint")
	checkSizeOutputs.Store(ns+"/garbled", "this is not json")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMArtifact
metadata:
  name: garbled
spec:
  sourceUri: hf://org/garbled
`)
	waitFor(t, "AIMArtifact", ns, "garbled", 60*time.Second, statusIs("Degraded"),
		hasCond("CheckSizeOutputReady", "False", "InvalidSizeOutput", "failed to parse check-size output: *"),
		hasCond("DependenciesReachable", "False", "InfrastructureError", "Cannot reach dependencies"))
	if pvcs := list(t, "PersistentVolumeClaim", ns, ""); len(pvcs) > 0 {
		t.Errorf("PVC created without a size: %v", names(pvcs))
	}
}

// A template cache whose template does not exist: Failed, ServiceTemplateReady=False/ReferenceNotFound,
// ArtifactsReady=False/NoCaches (§1.4, §2.11), and the artifact-cleanup finalizer.
func templateCacheMissingTemplate(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMTemplateCache
metadata:
  name: orphan
spec:
  templateName: no-such-template
  templateScope: Namespace
`)
	waitFor(t, "AIMTemplateCache", ns, "orphan", 30*time.Second, statusIs("Failed"),
		hasFinalizer("aim.eai.amd.com/artifactcleanup"),
		hasCond("ServiceTemplateReady", "False", "ReferenceNotFound", "Upstream dependency not found"),
		hasCond("ArtifactsReady", "False", "NoCaches", "No artifacts to track"),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"),
		hasCond("Ready", "False", "ReferenceNotFound", "Referenced resource not found"))
}

// A namespaced template with caching.enabled and in-line sources owns a cache named after itself (C4).
func templateCachingEnabled(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	metadataModel(t, ns, "cached-model", "ghcr.io/silogen/aim-cached:0.1.0")
	tpl := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: tpl-cached
spec:
  modelName: cached-model
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
  caching:
    enabled: true
  modelSources:
  - modelId: org/cached
    sourceUri: hf://org/cached
    size: 1Gi
`)
	tc := waitFor(t, "AIMTemplateCache", ns, "tpl-cached", 30*time.Second)
	expect(t, tc, controlledBy(tpl), fieldIs("tpl-cached", "spec", "templateName"),
		fieldIs("Namespace", "spec", "templateScope"), fieldIs("Shared", "spec", "mode"),
		labelIs("app.kubernetes.io/managed-by", "aim-service-template-controller"),
		labelIs("aim.eai.amd.com/service-template.name", "tpl-cached"))
	if env.Local() {
		waitFor(t, "AIMTemplateCache", ns, "tpl-cached", 60*time.Second, statusIs("Ready"),
			hasCond("ArtifactsReady", "True", "AllCachesReady", "All caches are ready"))
	}
}

// A service in a namespace resolves a cluster model and a cluster template (§3.6): resolved refs with
// scope Cluster, and a Shared cache whose templateScope is Cluster (C14).
func serviceClusterScopedModelAndTemplate(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	suffix := fmt.Sprintf("%05d", rand.IntN(100000))
	model, tpl := "e2e-clmodel-"+suffix, "e2e-cltpl-"+suffix
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: %s
spec:
  image: ghcr.io/silogen/aim-cluster-%s:0.1.0
  imageMetadata:
    model:
      canonicalName: org/cluster-%s
`, model, suffix, suffix)
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterServiceTemplate
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
  modelSources:
  - modelId: org/cluster-%s
    sourceUri: hf://org/cluster-%s
    size: 1Gi
`, tpl, model, suffix, suffix)
	waitFor(t, "AIMClusterServiceTemplate", "", tpl, 30*time.Second, statusIs("Ready"),
		hasCond("ClusterModelReady", "True", "ClusterModelFound", "AIMClusterModel found with valid image"),
		hasCond("Discovered", "True", "InlineModelSources", "Model sources provided in-line in spec"),
		fieldIs("1 x MI300X", "status", "hardwareSummary"))
	waitFor(t, "AIMClusterModel", "", model, 30*time.Second, statusIs("Ready"),
		hasCond("ClusterServiceTemplatesReady", "True", "AllTemplatesReady", "All templates are ready"))
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: cluster-svc
spec:
  model:
    name: %s
`, model)
	s := waitFor(t, "AIMService", ns, "cluster-svc", 30*time.Second,
		hasCond("ModelReady", "True", "ModelResolved", "AIMClusterModel "+model+" is ready"),
		hasCond("TemplateReady", "True", "Resolved", "AIMClusterServiceTemplate "+tpl+" is ready"))
	expect(t, s, fieldIs("Cluster", "status", "resolvedModel", "scope"), fieldIs(tpl, "status", "resolvedTemplate", "name"),
		fieldIs("Cluster", "status", "resolvedTemplate", "scope"))
	tc := waitFor(t, "AIMTemplateCache", ns, sharedCacheName(tpl, ns), 30*time.Second)
	expect(t, tc, fieldIs("Cluster", "spec", "templateScope"), fieldIs(tpl, "spec", "templateName"))

	// An explicit template.name finds the cluster template when no namespaced one has that name.
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: cluster-named
spec:
  model:
    name: %s
  template:
    name: %s
`, model, tpl)
	waitFor(t, "AIMService", ns, "cluster-named", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMClusterServiceTemplate "+tpl+" is ready"),
		fieldIs("Cluster", "status", "resolvedTemplate", "scope"))
}

// Overrides on a service whose auto-selected template is namespaced and Ready create the derived template
// of C13 (name <base>-ovr-<parts>-<hash4>, origin=derived, owned by the service).
func serviceOverridesDerivedTemplate(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	readyInlineTemplate(t, ns, "ovr-model", "ghcr.io/silogen/aim-ovr:0.1.0", "ovr-tpl", "hf://org/ovr", "org/ovr", "[]")
	svc := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: ovr
spec:
  model:
    name: ovr-model
  caching:
    mode: Shared
  overrides:
    precision: fp8
`)
	name := derivedName([]string{"ovr-tpl", "ovr", "fp8"}, hashOf(4, "precision", "fp8"), 63)
	d := waitFor(t, "AIMServiceTemplate", ns, name, 30*time.Second)
	expect(t, d, controlledBy(svc),
		labelIs("aim.eai.amd.com/origin", "derived"),
		labelIs("app.kubernetes.io/managed-by", "aim-engine"),
		fieldIs("ovr-model", "spec", "modelName"),
		fieldIs("fp8", "spec", "precision"),
		fieldIs("latency", "spec", "metric"),
		fieldIs("default", "spec", "runtimeConfigName"),
		fieldIs("hf://org/ovr", "spec", "modelSources", "0", "sourceUri"))
	expect(t, d, fieldIs(true, "spec", "caching", "enabled"))
	expect(t, d, controllerRefBlocksDeletion())
	// The derived template is a side child: the service keeps serving from the base (C13).
	waitFor(t, "AIMService", ns, "ovr", 30*time.Second,
		hasCond("TemplateReady", "True", "Resolved", "AIMServiceTemplate ovr-tpl is ready"),
		fieldIs("ovr-tpl", "status", "resolvedTemplate", "name"))
}

// A download pod that fails with "No space left on device" in its log: the pods inspector classifies it
// as StorageFull (resource exhaustion, §2.3 row 5b), the artifact is Failed and DownloadComplete says
// the download failed before completion (§1.5).
func artifactDownloadStorageFull(t *testing.T, ns string) {
	requireLocal(t, "the download pod is made to fail through kwok's failure annotations")
	if !podPolicies {
		t.Skip("no MutatingAdmissionPolicy to make the download pod fail")
	}
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMArtifact
metadata:
  name: %sfull
spec:
  sourceUri: hf://org/too-big
  size: 1Gi
`, failPrefix)
	waitFor(t, "AIMArtifact", ns, failPrefix+"full", 60*time.Second, statusIs("Failed"),
		hasCond("DownloadJobPodsReady", "False", "StorageFull", "Storage full error detected in pod logs: *"),
		hasCond("DownloadComplete", "False", "Downloading", "Download failed before completion"),
		fieldIs("N/A", "status", "progress", "displayPercentage"))
}

func init() { register("TemplateCacheFollowsTemplate", templateCacheFollowsTemplate) }

// A template cache mirrors its template's Ready condition (§2.11, Upstream): a progressing template leaves
// the cache Pending with the template's reason and message; once the template is Ready the cache has its
// artifact.
func templateCacheFollowsTemplate(t *testing.T, ns string) {
	paintModel(t, ns, "tcf-model", "ghcr.io/silogen/aim-tcf:0.1.0", "Ready")
	paintTemplate(t, ns, "tcf-tpl", "tcf-model", "Progressing", "hf://org/tcf", "org/tcf")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMTemplateCache
metadata:
  name: tcf
spec:
  templateName: tcf-tpl
  templateScope: Namespace
`)
	waitFor(t, "AIMTemplateCache", ns, "tcf", 30*time.Second, statusIs("Pending"),
		hasCond("ServiceTemplateReady", "False", "Progressing", "Waiting for components to become ready"))
	setStatus(t, "AIMServiceTemplate", ns, "tcf-tpl", map[string]any{"status": "Ready", "conditions": []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "AllComponentsReady", "message": "All components are ready",
		"lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)}}})
	waitFor(t, "AIMTemplateCache", ns, "tcf", 30*time.Second,
		hasCond("ServiceTemplateReady", "True", "AllComponentsReady", "All components are ready"))
	waitFor(t, "AIMArtifact", ns, artifactName("hf://org/tcf"), 30*time.Second,
		labelIs("aim.eai.amd.com/template-cache.name", "tcf"), noOwner())
}
