package crdcompare

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareDetectsEachKindOfDifference mutates a copy of a contract CRD and checks that the
// comparator reports exactly the mutated attribute at the mutated path.
func TestCompareDetectsEachKindOfDifference(t *testing.T) {
	base := filepath.Join(contractDir(), "aim.eai.amd.com_aimservices.yaml")
	schema := func(m map[string]any) map[string]any {
		v := asSlice(asMap(m["spec"])["versions"])[0]
		return asMap(asMap(asMap(v)["schema"])["openAPIV3Schema"])
	}
	prop := func(s map[string]any, path ...string) map[string]any {
		for _, p := range path {
			if p == "[]" {
				s = asMap(s["items"])
				continue
			}
			s = asMap(asMap(s["properties"])[p])
		}
		return s
	}
	cases := []struct {
		name, path, what string
		mutate           func(crd map[string]any)
	}{
		{"enum value", ".spec.caching.mode", "enum", func(c map[string]any) {
			prop(schema(c), "spec", "caching", "mode")["enum"] = []any{"Shared"}
		}},
		{"default", ".spec.replicas", "default", func(c map[string]any) {
			prop(schema(c), "spec", "replicas")["default"] = float64(2)
		}},
		{"CEL message", ".spec.model", "x-kubernetes-validations", func(c map[string]any) {
			v := asSlice(prop(schema(c), "spec", "model")["x-kubernetes-validations"])
			asMap(v[0])["message"] = "something else"
		}},
		{"required", ".spec", "required", func(c map[string]any) {
			prop(schema(c), "spec")["required"] = []any{}
		}},
		{"minimum", ".spec.minReplicas", "minimum", func(c map[string]any) {
			delete(prop(schema(c), "spec", "minReplicas"), "minimum")
		}},
		{"pattern", ".spec.model.custom.modelSources[].modelId", "pattern", func(c map[string]any) {
			prop(schema(c), "spec", "model", "custom", "modelSources", "[]", "modelId")["pattern"] = "^.*$"
		}},
		{"format", ".spec.replicas", "format", func(c map[string]any) {
			prop(schema(c), "spec", "replicas")["format"] = "int64"
		}},
		{"missing property", ".spec.serviceAccountName", "present", func(c map[string]any) {
			delete(asMap(prop(schema(c), "spec")["properties"]), "serviceAccountName")
		}},
		{"list type", ".spec.env", "x-kubernetes-list-type", func(c map[string]any) {
			prop(schema(c), "spec", "env")["x-kubernetes-list-type"] = "atomic"
		}},
		{"short name", "names", "shortNames", func(c map[string]any) {
			asMap(asMap(c["spec"])["names"])["shortNames"] = []any{"svc"}
		}},
		{"scope", "crd", "scope", func(c map[string]any) {
			asMap(c["spec"])["scope"] = "Cluster"
		}},
		{"printer column", "versions.v1alpha1", "additionalPrinterColumns", func(c map[string]any) {
			v := asMap(asSlice(asMap(c["spec"])["versions"])[0])
			asMap(asSlice(v["additionalPrinterColumns"])[0])["jsonPath"] = ".status.other"
		}},
		{"subresources", "versions.v1alpha1", "subresources", func(c map[string]any) {
			delete(asMap(asSlice(asMap(c["spec"])["versions"])[0]), "subresources")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := load(t, base)
			got := load(t, base)
			tc.mutate(got)
			r := Compare(want, got)
			if len(r.Differences) != 1 {
				t.Fatalf("want exactly one difference, got %d: %v", len(r.Differences), r.Differences)
			}
			if d := r.Differences[0]; d.Path != tc.path || d.What != tc.what {
				t.Fatalf("want %s %s, got %s", tc.path, tc.what, d)
			}
		})
	}
}

func TestCompareIdenticalAndDescriptionsIgnored(t *testing.T) {
	base := filepath.Join(contractDir(), "aim.eai.amd.com_aimservices.yaml")
	want, got := load(t, base), load(t, base)
	asMap(asMap(got["spec"])["versions"].([]any)[0].(map[string]any)["schema"])["openAPIV3Schema"].(map[string]any)["description"] = "changed"
	if r := Compare(want, got); len(r.Differences) != 0 || r.PathsCompared < 100 {
		t.Fatalf("identical CRDs: %d differences over %d paths", len(r.Differences), r.PathsCompared)
	}
}

// TestEffectiveEnum pins the allOf normalisation: identical enums collapse, different ones do not.
func TestEffectiveEnum(t *testing.T) {
	allOf := map[string]any{"type": "string", "allOf": []any{
		map[string]any{"enum": []any{"a", "b"}}, map[string]any{"enum": []any{"a", "b"}},
	}}
	plain := map[string]any{"type": "string", "enum": []any{"b", "a"}}
	narrower := map[string]any{"type": "string", "allOf": []any{
		map[string]any{"enum": []any{"a", "b"}}, map[string]any{"enum": []any{"a"}},
	}}
	var r Result
	var diffs []Difference
	add := func(p, w string, a, b any) { diffs = append(diffs, Difference{Path: p, What: w}) }
	cmp := func(p, w string, a, b any) {
		if !equal(a, b) {
			add(p, w, a, b)
		}
	}
	compareSchema(&r, "", allOf, plain, add, cmp)
	if len(diffs) != 0 || r.EnumsNormalized != 1 {
		t.Fatalf("allOf of identical enums vs enum: diffs=%v normalized=%d", diffs, r.EnumsNormalized)
	}
	compareSchema(&r, "", narrower, plain, add, cmp)
	if len(diffs) != 1 || diffs[0].What != "enum" {
		t.Fatalf("narrower allOf must differ in enum, got %v", diffs)
	}
}

func TestParseAllowList(t *testing.T) {
	good := "# comment\n\nf.yaml .spec.x enum: contract typo fixed upstream\n"
	es, err := ParseAllowList(strings.NewReader(good))
	if err != nil || len(es) != 1 || es[0].Key() != "f.yaml .spec.x enum" || es[0].Line != 3 {
		t.Fatalf("got %v, %v", es, err)
	}
	for _, bad := range []string{"f.yaml .spec.x enum\n", "f.yaml .spec.x: no what\n", "f.yaml .spec.x enum: \n"} {
		if _, err := ParseAllowList(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
