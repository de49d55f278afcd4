package e2e

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register("ModelTemplateAggregation", modelTemplateAggregation)
	register("ClusterModelPendingWhileTemplatesProgress", clusterModelPendingWhileTemplatesProgress)
	register("TemplateModelStates", templateModelStates)
}

// pausedTemplate creates a paused template of model with a hand-set status.
func pausedTemplate(t *testing.T, ns, kind, name, model, status string) {
	t.Helper()
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: %s
metadata:
  name: %s
  annotations:
    %s
spec:
  modelName: %s
`, kind, name, pausedAnnotation, model)
	setStatus(t, kind, ns, name, map[string]any{"status": status})
}

// The model's ServiceTemplatesReady aggregates its templates' statuses (§2.8), and the model's status
// follows (§1.1): progressing → Progressing; Ready + NotAvailable → Ready/SomeTemplatesReady; a Degraded
// one → Degraded/SomeTemplatesDegraded.
func modelTemplateAggregation(t *testing.T, ns string) {
	metadataModel(t, ns, "agg", "ghcr.io/silogen/aim-agg:0.1.0")
	pausedTemplate(t, ns, "AIMServiceTemplate", "agg-a", "agg", "Ready")
	pausedTemplate(t, ns, "AIMServiceTemplate", "agg-b", "agg", "Progressing")
	waitFor(t, "AIMModel", ns, "agg", 30*time.Second, statusIs("Progressing"),
		hasCond("ServiceTemplatesReady", "False", "TemplatesProgressing", "Templates are progressing"),
		hasCond("Ready", "False", "Progressing", "Waiting for components to become ready"))
	setStatus(t, "AIMServiceTemplate", ns, "agg-b", map[string]any{"status": "NotAvailable"})
	waitFor(t, "AIMModel", ns, "agg", 30*time.Second, statusIs("Ready"),
		hasCond("ServiceTemplatesReady", "True", "SomeTemplatesReady", "All templates have finished processing (some are not available)"))
	// Transitions of AsInfo conditions give Normal events with the condition's reason (§5).
	waitFor(t, "AIMModel", ns, "agg", 30*time.Second,
		eventCheck(ns, "agg", "Normal", "SomeTemplatesReady", "aim-model-controller"),
		eventCheck(ns, "agg", "Normal", "AllComponentsReady", "aim-model-controller"))
	setStatus(t, "AIMServiceTemplate", ns, "agg-b", map[string]any{"status": "Degraded"})
	waitFor(t, "AIMModel", ns, "agg", 30*time.Second, statusIs("Degraded"),
		hasCond("ServiceTemplatesReady", "False", "SomeTemplatesDegraded", "Some templates are degraded or failed"))
}

// AIMClusterModel wraps its components as Upstream dependencies, so progressing templates leave it Pending
// where an AIMModel would be Progressing (§1.1).
func clusterModelPendingWhileTemplatesProgress(t *testing.T, _ string) {
	name := fmt.Sprintf("e2e-clagg-%05d", rand.IntN(100000))
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: %s
spec:
  image: ghcr.io/silogen/aim-clagg:0.1.0
  imageMetadata:
    model:
      canonicalName: org/clagg
`, name)
	pausedTemplate(t, "", "AIMClusterServiceTemplate", name+"-tpl", name, "Progressing")
	waitFor(t, "AIMClusterModel", "", name, 30*time.Second, statusIs("Pending"),
		hasCond("ClusterServiceTemplatesReady", "False", "TemplatesProgressing", "Templates are progressing"))
}

// The template's Model component (§2.9): a missing model is a missing upstream (Failed, ConfigValid=False/
// ReferenceNotFound); a model that is Failed for its own reasons fails the template (ModelFailed).
func templateModelStates(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: orphan-tpl
spec:
  modelName: nobody
  modelSources:
  - modelId: org/orphan
    sourceUri: hf://org/orphan
`)
	waitFor(t, "AIMServiceTemplate", ns, "orphan-tpl", 30*time.Second, statusIs("Failed"),
		hasCond("ModelReady", "False", "ReferenceNotFound", "Upstream dependency not found"),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"))

	paintModel(t, ns, "broken", "ghcr.io/silogen/aim-broken:0.1.0", "Failed")
	setStatus(t, "AIMModel", ns, "broken", map[string]any{"conditions": []any{map[string]any{
		"type": "RuntimeConfigReady", "status": "False", "reason": "ConfigNotFound", "message": "RuntimeConfig x not found",
		"lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)}}})
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: broken-tpl
spec:
  modelName: broken
  modelSources:
  - modelId: org/broken
    sourceUri: hf://org/broken
`)
	waitFor(t, "AIMServiceTemplate", ns, "broken-tpl", 30*time.Second, statusIs("Failed"),
		hasCond("ModelReady", "False", "ModelFailed", "AIMModel is in Failed state"))
}

func init() {
	register("MissingRuntimeConfigOnTemplateAndArtifact", missingRuntimeConfigOnTemplateAndArtifact)
}

// A named runtime config that is missing: the template's plain wrapper says ConfigNotFound with the
// config's name, the artifact's Upstream wrapper says ReferenceNotFound; both are Failed (§2.2).
func missingRuntimeConfigOnTemplateAndArtifact(t *testing.T, ns string) {
	metadataModel(t, ns, "rcm-model", "ghcr.io/silogen/aim-rcm2:0.1.0")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: rc-missing-tpl
spec:
  modelName: rcm-model
  runtimeConfigName: nope
  modelSources:
  - modelId: org/rcm
    sourceUri: hf://org/rcm
`)
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMArtifact
metadata:
  name: rc-missing-art
spec:
  sourceUri: hf://org/rcm
  size: 1Gi
  runtimeConfigName: nope
`)
	waitFor(t, "AIMServiceTemplate", ns, "rc-missing-tpl", 30*time.Second, statusIs("Failed"),
		hasCond("RuntimeConfigReady", "False", "ConfigNotFound", "RuntimeConfig nope not found"),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"))
	waitFor(t, "AIMArtifact", ns, "rc-missing-art", 30*time.Second, statusIs("Failed"),
		hasCond("RuntimeConfigReady", "False", "ReferenceNotFound", "Upstream dependency not found"),
		hasCond("ConfigValid", "False", "ReferenceNotFound", "Referenced resource not found"))
}
