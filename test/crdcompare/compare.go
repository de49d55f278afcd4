// Package crdcompare compares two CustomResourceDefinitions structurally: per schema path it
// compares type, format, enum, default, required, bounds, pattern, list/map semantics and CEL
// rules, plus names, scope, versions, subresources and printer columns. Descriptions are ignored.
//
// It works on generic maps (decoded YAML) so it needs no apiextensions dependency.
package crdcompare

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Difference is one mismatch between the contract ("want") and the generated CRD ("got").
type Difference struct {
	Path string // schema path such as .spec.model.custom, or a top-level key such as names.shortNames
	What string // the compared attribute, e.g. enum, required, x-kubernetes-validations
	Want string
	Got  string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s %s: contract=%s generated=%s", d.Path, d.What, d.Want, d.Got)
}

// Result is the outcome of comparing one CRD pair.
type Result struct {
	Differences []Difference
	// PathsCompared counts schema paths present in either CRD (each is compared once).
	PathsCompared int
	// EnumsNormalized counts paths whose enum was written as allOf of enums on one side
	// and compared by their effective (intersected) value set.
	EnumsNormalized int
}

// schemaAttrs are compared verbatim at every schema path.
var schemaAttrs = []string{
	"type", "format", "default", "pattern", "nullable",
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "uniqueItems",
	"x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
	"x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
}

// Compare compares the contract CRD want with the generated CRD got.
func Compare(want, got map[string]any) Result {
	var r Result
	add := func(path, what string, w, g any) {
		r.Differences = append(r.Differences, Difference{Path: path, What: what, Want: render(w), Got: render(g)})
	}
	cmp := func(path, what string, w, g any) {
		if !equal(w, g) {
			add(path, what, w, g)
		}
	}

	ws, gs := asMap(want["spec"]), asMap(got["spec"])
	cmp("crd", "group", ws["group"], gs["group"])
	cmp("crd", "scope", ws["scope"], gs["scope"])
	cmp("crd", "conversion", ws["conversion"], gs["conversion"])
	cmp("crd", "preserveUnknownFields", ws["preserveUnknownFields"], gs["preserveUnknownFields"])
	wn, gn := asMap(ws["names"]), asMap(gs["names"])
	for _, k := range []string{"kind", "listKind", "plural", "singular", "shortNames", "categories"} {
		cmp("names", k, wn[k], gn[k])
	}

	wv, gv := versionsByName(ws["versions"]), versionsByName(gs["versions"])
	for _, name := range unionKeys(wv, gv) {
		w, g := wv[name], gv[name]
		if w == nil || g == nil {
			add("versions."+name, "present", w != nil, g != nil)
			continue
		}
		vp := "versions." + name
		for _, k := range []string{"served", "storage", "deprecated", "deprecationWarning", "subresources", "selectableFields"} {
			cmp(vp, k, w[k], g[k])
		}
		cmp(vp, "additionalPrinterColumns", printerColumns(w["additionalPrinterColumns"]), printerColumns(g["additionalPrinterColumns"]))
		wsch := asMap(asMap(w["schema"])["openAPIV3Schema"])
		gsch := asMap(asMap(g["schema"])["openAPIV3Schema"])
		compareSchema(&r, "", wsch, gsch, add, cmp)
	}
	return r
}

// compareSchema walks both schemas in step. A path missing on one side is one difference and
// is not descended into.
func compareSchema(r *Result, path string, w, g map[string]any, add func(string, string, any, any), cmp func(string, string, any, any)) {
	r.PathsCompared++
	p := path
	if p == "" {
		p = "."
	}
	if w == nil || g == nil {
		add(p, "present", w != nil, g != nil)
		return
	}
	for _, k := range schemaAttrs {
		cmp(p, k, w[k], g[k])
	}
	we, wn := effectiveEnum(w)
	ge, gn := effectiveEnum(g)
	if wn != gn {
		r.EnumsNormalized++
	}
	cmp(p, "enum", we, ge)
	cmp(p, "required", sortedStrings(w["required"]), sortedStrings(g["required"]))
	cmp(p, "x-kubernetes-validations", validations(w["x-kubernetes-validations"]), validations(g["x-kubernetes-validations"]))
	cmp(p, "anyOf", stripDescriptions(w["anyOf"]), stripDescriptions(g["anyOf"]))
	cmp(p, "oneOf", stripDescriptions(w["oneOf"]), stripDescriptions(g["oneOf"]))
	cmp(p, "not", stripDescriptions(w["not"]), stripDescriptions(g["not"]))
	// allOf entries other than pure enums are compared verbatim.
	cmp(p, "allOf", nonEnumAllOf(w), nonEnumAllOf(g))

	wp, gp := asMap(w["properties"]), asMap(g["properties"])
	for _, name := range unionKeys(wp, gp) {
		compareSchema(r, path+"."+name, asMap(wp[name]), asMap(gp[name]), add, cmp)
	}
	if w["items"] != nil || g["items"] != nil {
		compareSchema(r, path+"[]", asMap(w["items"]), asMap(g["items"]), add, cmp)
	}
	wa, wIsSchema := w["additionalProperties"].(map[string]any)
	ga, gIsSchema := g["additionalProperties"].(map[string]any)
	switch {
	case wIsSchema || gIsSchema:
		compareSchema(r, path+"{}", wa, ga, add, cmp)
	default:
		cmp(p, "additionalProperties", w["additionalProperties"], g["additionalProperties"])
	}
}

// effectiveEnum returns the set of values admitted by enum and by every allOf entry that is a
// pure enum (controller-gen v0.19 wrote a type-level plus a field-level enum as allOf of two
// identical enums; v0.23 writes one enum; the apiserver admits the same values either way).
// The bool reports whether allOf enums were involved.
func effectiveEnum(s map[string]any) ([]string, bool) {
	var sets [][]string
	if e, ok := s["enum"].([]any); ok {
		sets = append(sets, renderEach(e))
	}
	usedAllOf := false
	for _, a := range asSlice(s["allOf"]) {
		m := asMap(a)
		if e, ok := m["enum"].([]any); ok && len(m) == 1 {
			sets = append(sets, renderEach(e))
			usedAllOf = true
		}
	}
	if len(sets) == 0 {
		return nil, usedAllOf
	}
	out := sets[0]
	for _, s := range sets[1:] {
		in := map[string]bool{}
		for _, v := range s {
			in[v] = true
		}
		var kept []string
		for _, v := range out {
			if in[v] {
				kept = append(kept, v)
			}
		}
		out = kept
	}
	sort.Strings(out)
	return out, usedAllOf
}

func nonEnumAllOf(s map[string]any) []any {
	var out []any
	for _, a := range asSlice(s["allOf"]) {
		m := asMap(a)
		if _, ok := m["enum"]; ok && len(m) == 1 {
			continue
		}
		out = append(out, stripDescriptions(a))
	}
	return out
}

// validations compares CEL rules as a set: their order has no meaning to the apiserver.
func validations(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		m := asMap(x)
		out = append(out, render(map[string]any{
			"rule": m["rule"], "message": m["message"], "messageExpression": m["messageExpression"],
			"reason": m["reason"], "fieldPath": m["fieldPath"], "optionalOldSelf": m["optionalOldSelf"],
		}))
	}
	sort.Strings(out)
	return out
}

func printerColumns(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		m := asMap(x)
		out = append(out, render(map[string]any{
			"name": m["name"], "type": m["type"], "jsonPath": m["jsonPath"], "priority": m["priority"], "format": m["format"],
		}))
	}
	return out // order matters: it is the column order of kubectl get
}

func versionsByName(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, x := range asSlice(v) {
		m := asMap(x)
		name, _ := m["name"].(string)
		out[name] = m
	}
	return out
}

func stripDescriptions(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if k != "description" {
				out[k] = stripDescriptions(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = stripDescriptions(x)
		}
		return out
	}
	return v
}

func sortedStrings(v any) []string {
	out := renderEach(asSlice(v))
	sort.Strings(out)
	return out
}

func renderEach(v []any) []string {
	out := make([]string, 0, len(v))
	for _, x := range v {
		if s, ok := x.(string); ok {
			out = append(out, s)
		} else {
			out = append(out, render(x))
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asSlice(v any) []any        { s, _ := v.([]any); return s }
func equal(a, b any) bool        { return reflect.DeepEqual(normalize(a), normalize(b)) }
func normalize(v any) any        { return render(v) }
func render(v any) string {
	if v == nil {
		return "<none>"
	}
	if s, ok := v.([]string); ok && len(s) == 0 {
		return "<none>"
	}
	if s, ok := v.([]any); ok && len(s) == 0 {
		return "<none>"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSpace(string(b))
}
