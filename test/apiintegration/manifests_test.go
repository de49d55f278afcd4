package apiintegration

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/aimlite/aimlite/internal/localcluster"
	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

const (
	samplesDir = "../../config/samples"
	crdDir     = "../../manifests/crds"
)

// manifest is one sample file: the object exactly as written, plus the header comments the
// invalid samples carry (see config/samples/invalid/README.md).
type manifest struct {
	path     string
	expect   string // "# expect: <substring of the apiserver's error>"
	updateOf string // "# update-of: <path relative to the file's folder>"
	untyped  bool   // "# untyped: <why>": not decodable into the Go type at all
	obj      *unstructured.Unstructured
}

func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := manifest{path: path, obj: &unstructured.Unstructured{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
		if v, ok := strings.CutPrefix(sc.Text(), "# expect: "); ok {
			m.expect = strings.TrimSpace(v)
		}
		// "# untyped: <why>" marks a value the Go types cannot even decode (e.g. a malformed
		// duration): the apiserver must reject it before any typed client sees it.
		if strings.HasPrefix(sc.Text(), "# untyped: ") {
			m.untyped = true
		}
		if v, ok := strings.CutPrefix(sc.Text(), "# update-of: "); ok {
			m.updateOf = filepath.Join(filepath.Dir(path), strings.TrimSpace(v))
		}
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := m.obj.UnmarshalJSON(js); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if gv := m.obj.GroupVersionKind().GroupVersion(); gv != aimv1alpha1.SchemeGroupVersion {
		t.Fatalf("%s: apiVersion %s, want %s", path, gv, aimv1alpha1.SchemeGroupVersion)
	}
	return m
}

func globSorted(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// crdResource is what the dynamic client needs to know about a kind.
type crdResource struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

// crdResources maps kind to resource and scope, read from manifests/crds (the CRDs under test).
func crdResources(t *testing.T) map[string]crdResource {
	t.Helper()
	crds, err := localcluster.ReadCRDs(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]crdResource{}
	for _, c := range crds {
		out[c.Spec.Names.Kind] = crdResource{
			gvr:        aimv1alpha1.SchemeGroupVersion.WithResource(c.Spec.Names.Plural),
			namespaced: c.Spec.Scope == "Namespaced",
		}
	}
	return out
}
