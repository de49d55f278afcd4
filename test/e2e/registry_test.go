package e2e

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func init() { register("ModelSourceFromRegistry", modelSourceFromRegistry) }

// pushAIMImage writes an image whose config carries the AIM labels (catalogue §4.4) to host/repo:tag.
func pushAIMImage(t *testing.T, host, repo, tag string, labels map[string]string) {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{Architecture: "amd64", OS: "linux",
		Config: v1.Config{Labels: labels}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// The registry path end to end, against an in-process OCI registry the operator reaches on loopback: an
// AIMClusterModelSource creates the AIMClusterModels of its filtered tags (C16), and each model reads its
// image's labels from the registry (§2.7) and creates the templates of its recommended deployments (C1).
func modelSourceFromRegistry(t *testing.T, _ string) {
	if !wantOwnOperator() {
		t.Skip("the operator must reach the test's in-process registry on loopback (E2E_START_OPERATOR=1)")
	}
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	suffix := fmt.Sprintf("%05d", rand.IntN(100000))
	repo := "e2e/aim-tiny-" + suffix
	labels := map[string]string{
		"com.amd.aim.model.canonicalName":          "org/tiny-" + suffix,
		"com.amd.aim.model.recommendedDeployments": `[{"gpuModel":"MI300X","gpuCount":1,"metric":"latency","precision":"fp8"}]`,
		"org.opencontainers.image.title":           "tiny",
	}
	pushAIMImage(t, host, repo, "0.9.1", labels)
	pushAIMImage(t, host, repo, "0.8.0", labels) // excluded by the version constraint

	src := "e2e-source-" + suffix
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModelSource
metadata:
  name: %s
spec:
  registry: "%s"
  versions: [">=0.9.0"]
  filters:
  - image: %s
`, src, host, repo)
	model := derivedName([]string{repo, "0.9.1"}, hashOf(6, host, repo, "0.9.1"), 63)
	image := host + "/" + repo + ":0.9.1"
	source := waitFor(t, "AIMClusterModelSource", "", src, 60*time.Second, statusIs("Ready"),
		hasCond("FiltersReady", "True", "AllFiltersSucceeded", "All 1 filters succeeded"),
		hasCond("MaxModelsLimitReached", "False", "WithinLimit", "Created 1 models, within limit"),
		fieldIs(1, "status", "discoveredModels"))
	m := waitFor(t, "AIMClusterModel", "", model, 30*time.Second)
	expect(t, m, controlledBy(source),
		labelIs("aim.eai.amd.com/model-source", src),
		labelIs("aim.eai.amd.com/origin", "auto-generated"),
		fieldIs(host, "metadata", "annotations", "aim.eai.amd.com/source-registry"),
		fieldIs(repo, "metadata", "annotations", "aim.eai.amd.com/source-repository"),
		fieldIs("0.9.1", "metadata", "annotations", "aim.eai.amd.com/source-tag"),
		fieldIs(image, "spec", "image"))
	if n := len(list(t, "AIMClusterModel", "", "aim.eai.amd.com/model-source="+src)); n != 1 {
		t.Errorf("%d cluster models from the source, want 1 (0.8.0 is below >=0.9.0)", n)
	}
	// The model reads its labels from the registry. The reference flips ImageMetadataFound to ImageFound on
	// the reconcile after the extraction (§8); either is accepted.
	waitFor(t, "AIMClusterModel", "", model, 60*time.Second,
		fieldIs("org/tiny-"+suffix, "status", "imageMetadata", "model", "canonicalName"),
		fieldIs("Image", "status", "sourceType"),
		func(u *U) error {
			c := findCond(u, "ImageMetadataReady")
			if c == nil || c.Status != "True" || (c.Reason != "ImageMetadataFound" && c.Reason != "ImageFound") {
				return fmt.Errorf("ImageMetadataReady = %+v", c)
			}
			return nil
		})
	tpl := generatedTemplateName(model, image, deployment{"MI300X", 1, "latency", "fp8"})
	waitFor(t, "AIMClusterServiceTemplate", "", tpl, 30*time.Second,
		labelIs("aim.eai.amd.com/model", model), fieldIs("MI300X", "spec", "hardware", "gpu", "model"))
}
