package e2e

import (
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register("TemplateCacheAfterModelAndGPUGates", templateCacheAfterGates)
	register("ModelExtractMetadataDisabled", modelExtractMetadataDisabled)
}

// staysAbsent fails if the object appears within d.
func staysAbsent(t *testing.T, kind, ns, name string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if _, err := get(kind, ns, name); !apierrors.IsNotFound(err) {
			t.Fatalf("%s %s must not exist yet (err=%v)", kind, name, err)
		}
	}
}

// The template-owned AIMTemplateCache (C4) is created only after the model and GPU gates: inline sources
// alone do not create it while the model is missing or the GPU is absent. Once the model exists the cache
// appears, and its artifact (C5) always sends spec.size, zero when the source has none.
func templateCacheAfterGates(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	if !env.Local() {
		// MI210 (device IDs 740f/7410) must be absent for the GPU gate half.
		nodes, err := env.Client.CoreV1().Nodes().List(bg, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list nodes: %v", err)
		}
		for _, n := range nodes.Items {
			if id := n.Labels["amd.com/gpu.device-id"]; id == "740f" || id == "7410" {
				t.Skip("this cluster has an MI210 node")
			}
		}
	}
	tpl := `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: %s
spec:
  modelName: %s
  hardware:
    gpu:
      model: %s
      requests: 1
  caching:
    enabled: true
  modelSources:
  - modelId: org/%s
    sourceUri: hf://org/%s
`
	metadataModel(t, ns, "gated", "ghcr.io/silogen/aim-gated:0.1.0")
	create(t, ns, tpl, "tpl-no-gpu", "gated", "MI210", "no-gpu", "no-gpu")
	create(t, ns, tpl, "tpl-no-model", "gated-later", "MI300X", "late", "late")

	waitFor(t, "AIMServiceTemplate", ns, "tpl-no-gpu", 30*time.Second, statusIs("NotAvailable"),
		hasCond("GPUReady", "False", "GPUNotAvailable", "Required GPU model 'MI210' not available in cluster. Available: *"),
		hasCond("Discovered", "True", "InlineModelSources", "Model sources provided in-line in spec"))
	waitFor(t, "AIMServiceTemplate", ns, "tpl-no-model", 30*time.Second,
		hasCond("ModelReady", "False", "ReferenceNotFound", "Upstream dependency not found"))
	staysAbsent(t, "AIMTemplateCache", ns, "tpl-no-gpu", 3*time.Second)
	staysAbsent(t, "AIMTemplateCache", ns, "tpl-no-model", time.Second)

	metadataModel(t, ns, "gated-later", "ghcr.io/silogen/aim-gated-later:0.1.0")
	waitFor(t, "AIMTemplateCache", ns, "tpl-no-model", 30*time.Second,
		fieldIs("tpl-no-model", "spec", "templateName"), fieldIs("Namespace", "spec", "templateScope"))
	var arts []U
	waitUntil(t, 30*time.Second, "artifact of the template cache", func() (bool, string) {
		arts = list(t, "AIMArtifact", ns, "aim.eai.amd.com/template-cache.name=tpl-no-model")
		return len(arts) == 1, fmt.Sprintf("%d artifacts", len(arts))
	})
	expect(t, &arts[0], fieldIs("hf://org/late", "spec", "sourceUri"), fieldIs("org/late", "spec", "modelId"),
		fieldIs("0", "spec", "size"), labelIs("template-created", "true"))
	if _, err := get("AIMTemplateCache", ns, "tpl-no-gpu"); !apierrors.IsNotFound(err) {
		t.Errorf("cache of the template without GPU: err=%v", err)
	}
}

// discovery.extractMetadata=false: ImageMetadataReady is True/ImageFound, also when spec.imageMetadata is
// used (§2.7). Without metadata in spec or status, ExpectsTemplates is unknown: the model is Progressing with
// ServiceTemplatesReady=False/AwaitingMetadata (§1.1, §2.8) and creates no templates.
func modelExtractMetadataDisabled(t *testing.T, ns string) {
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: no-extract
spec:
  image: ghcr.io/silogen/aim-no-extract:0.1.0
  discovery:
    extractMetadata: false
`)
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: no-extract-spec
spec:
  image: ghcr.io/silogen/aim-no-extract-spec:0.1.0
  discovery:
    extractMetadata: false
  imageMetadata:
    model:
      canonicalName: org/no-extract-spec
`)
	waitFor(t, "AIMModel", ns, "no-extract", 30*time.Second, statusIs("Progressing"),
		hasCond("ImageMetadataReady", "True", "ImageFound", ""),
		hasCond("ServiceTemplatesReady", "False", "AwaitingMetadata", "Waiting for the model to fetch metadata"))
	waitFor(t, "AIMModel", ns, "no-extract-spec", 30*time.Second, statusIs("Ready"),
		hasCond("ImageMetadataReady", "True", "ImageFound", ""),
		hasCond("ServiceTemplatesReady", "True", "NoTemplatesExpected", "The model does not have any recommended templates"))
	if tpls := list(t, "AIMServiceTemplate", ns, ""); len(tpls) > 0 {
		t.Errorf("templates created without metadata: %v", names(tpls))
	}
}
