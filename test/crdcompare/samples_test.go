package crdcompare

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

const samplesDir = "../../config/samples"

type sample struct {
	path, kind, name string
	data             []byte
}

// decodeStrict decodes a one-object file into its Go type, rejecting unknown or mistyped fields,
// so the samples cannot drift from the API types.
func decodeStrict(t *testing.T, scheme *runtime.Scheme, path string) sample {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil || gv != aimv1alpha1.SchemeGroupVersion {
		t.Fatalf("%s: apiVersion %q is not %s", path, head.APIVersion, aimv1alpha1.SchemeGroupVersion)
	}
	obj, err := scheme.New(gv.WithKind(head.Kind))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		t.Errorf("%s: does not decode strictly into %T: %v", path, obj, err)
	}
	if head.Metadata.Name == "" {
		t.Errorf("%s: metadata.name is empty", path)
	}
	return sample{path: path, kind: head.Kind, name: head.Metadata.Name, data: data}
}

func newScheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := aimv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func glob(t *testing.T, pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// crdKinds returns kind -> CEL messages of the generated CRDs.
func crdKinds(t *testing.T) map[string][]string {
	out := map[string][]string{}
	for _, f := range glob(t, filepath.Join(generatedDir, "aim.eai.amd.com_*.yaml")) {
		crd := load(t, f)
		kind := asMap(asMap(crd["spec"])["names"])["kind"].(string)
		out[kind] = nil
		for _, v := range asSlice(asMap(crd["spec"])["versions"]) {
			collectMessages(asMap(asMap(asMap(v)["schema"])["openAPIV3Schema"]), func(m string) { out[kind] = append(out[kind], m) })
		}
	}
	return out
}

func collectMessages(s map[string]any, f func(string)) {
	if s == nil {
		return
	}
	for _, v := range asSlice(s["x-kubernetes-validations"]) {
		if m, ok := asMap(v)["message"].(string); ok {
			f(m)
		}
	}
	for _, p := range asMap(s["properties"]) {
		collectMessages(asMap(p), f)
	}
	collectMessages(asMap(s["items"]), f)
	collectMessages(asMap(s["additionalProperties"]), f)
}

func TestValidSamples(t *testing.T) {
	scheme := newScheme(t)
	var k struct {
		Resources []string `json:"resources"`
	}
	b, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &k); err == nil {
		t.Fatal("kustomization.yaml should have apiVersion/kind besides resources")
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		listed[r] = true
	}
	covered := map[string]int{}
	for _, f := range glob(t, filepath.Join(samplesDir, "aim_v1alpha1_*.yaml")) {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s is not listed in kustomization.yaml", f)
		}
		delete(listed, filepath.Base(f))
		smp := decodeStrict(t, scheme, f)
		covered[smp.kind]++
		checkRoundTrip(t, scheme, smp)
	}
	for r := range listed {
		t.Errorf("kustomization.yaml lists %s, which does not exist", r)
	}
	for kind := range crdKinds(t) {
		if covered[kind] == 0 {
			t.Errorf("no valid sample for %s", kind)
		}
	}
	contract := glob(t, filepath.Join(samplesDir, "contract", "*.yaml"))
	if len(contract) != 10 {
		t.Errorf("want the 10 contract samples in config/samples/contract, found %d", len(contract))
	}
	for _, f := range contract {
		decodeStrict(t, scheme, f)
	}
}

// TestInvalidSamples checks the layout promised in config/samples/invalid/README.md and that
// every CEL rule message of every generated CRD is exercised by at least one invalid sample.
func TestInvalidSamples(t *testing.T) {
	scheme := newScheme(t)
	dir := filepath.Join(samplesDir, "invalid")
	files := glob(t, filepath.Join(dir, "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no invalid samples")
	}
	var all []byte
	var expects []string
	for _, f := range files {
		s := decodeStrict(t, scheme, f)
		sc := bufio.NewScanner(bytes.NewReader(s.data))
		sc.Scan()
		expect, ok := strings.CutPrefix(sc.Text(), "# expect: ")
		if !ok || strings.TrimSpace(expect) == "" {
			t.Errorf("%s: first line must be `# expect: <substring>`, got %q", f, sc.Text())
			continue
		}
		if len(expect) < 15 {
			t.Errorf("%s: expect %q is too short to identify one error", f, expect)
		}
		expects = append(expects, expect)
		sc.Scan()
		if base, ok := strings.CutPrefix(sc.Text(), "# update-of: "); ok {
			b := decodeStrict(t, scheme, filepath.Join(dir, base))
			if b.kind != s.kind || b.name != s.name {
				t.Errorf("%s: update-of %s is %s/%s, want %s/%s", f, base, b.kind, b.name, s.kind, s.name)
			}
		}
		all = append(all, s.data...)
	}
	messages := map[string]bool{}
	for _, ms := range crdKinds(t) {
		for _, m := range ms {
			messages[m] = true
		}
	}
	if len(messages) < 10 {
		t.Fatalf("only %d distinct CEL messages found in the generated CRDs", len(messages))
	}
	// A rule is exercised when an expect line quotes part of its message, or (for a rule shadowed by a
	// schema check on the same field) a sample's comment names it in full.
	for m := range messages {
		hit := bytes.Contains(all, []byte(m))
		for _, e := range expects {
			hit = hit || strings.Contains(m, e)
		}
		if !hit {
			t.Errorf("no invalid sample exercises the CEL rule %q", m)
		}
	}
	t.Logf("%d invalid samples cover %d distinct CEL messages", len(files), len(messages))
}

// checkRoundTrip decodes a sample into its Go type and encodes it again: every field must survive
// with the same value, so the types neither drop fields nor add zero values a client did not send.
// Durations compare by value (metav1.Duration re-encodes 60s as 1m0s).
func checkRoundTrip(t *testing.T, scheme *runtime.Scheme, s sample) {
	t.Helper()
	obj, _ := scheme.New(aimv1alpha1.SchemeGroupVersion.WithKind(s.kind))
	if err := yaml.Unmarshal(s.data, obj); err != nil {
		t.Fatalf("%s: %v", s.path, err)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("%s: %v", s.path, err)
	}
	var want, got map[string]any
	if err := yaml.Unmarshal(s.data, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	// Empty status and a null creationTimestamp are how every typed object encodes "unset".
	if st, ok := got["status"].(map[string]any); ok && len(st) == 0 {
		delete(got, "status")
	}
	if md, ok := got["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
		delete(md, "creationTimestamp")
	}
	if d := firstDiff("", want, got); d != "" {
		t.Errorf("%s: round trip through %T changes the object: %s", s.path, obj, d)
	}
}

func firstDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v became %v", path, a, b)
		}
		for _, k := range unionKeys(av, bv) {
			if d := firstDiff(path+"."+k, av[k], bv[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Sprintf("%s: %v became %v", path, a, b)
		}
		for i := range av {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	case string:
		if bs, ok := b.(string); ok {
			da, errA := time.ParseDuration(av)
			db, errB := time.ParseDuration(bs)
			if errA == nil && errB == nil && da == db {
				return ""
			}
		}
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: %v became %v", path, a, b)
	}
	return ""
}
