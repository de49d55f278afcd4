package apiintegration

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned/scheme"
)

// schemaCheck is one enum or required-field check of a CRD that the invalid samples must trigger.
type schemaCheck struct {
	kind, path string
	what       string // "Unsupported value" (enum) or "Required value"
	rule       string // the Go type and field the rule comes from, e.g. AIMModelSource.sourceUri
	re         *regexp.Regexp
}

func (c schemaCheck) String() string { return c.kind + " " + c.path + ": " + c.what }

var aimPkgPath = reflect.TypeOf(aimv1alpha1.AIMModel{}).PkgPath()

// schemaChecks lists the enums and required fields of every CRD's spec that belong to the AIM types
// themselves: the walk follows the Go types alongside the schema and stops at types of other
// packages (core/v1 EnvVar, ResourceRequirements, ...), whose rules are Kubernetes', not ours.
func schemaChecks(t *testing.T) []schemaCheck {
	t.Helper()
	crds, err := localcluster.ReadCRDs(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []schemaCheck
	for _, crd := range crds {
		kind := crd.Spec.Names.Kind
		obj, err := scheme.Scheme.New(aimv1alpha1.SchemeGroupVersion.WithKind(kind))
		if err != nil {
			t.Fatal(err)
		}
		root := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
		spec, ok := root.Properties["spec"]
		if !ok {
			continue
		}
		field, ok := jsonField(reflect.TypeOf(obj).Elem(), "spec")
		if !ok {
			t.Fatalf("%s: Go type has no spec field", kind)
		}
		add := func(path, rule, what string) {
			out = append(out, schemaCheck{kind: kind, path: path, rule: rule, what: what, re: pathRegexp(path, what)})
		}
		walkSchema(&spec, field.Type, "spec", reflect.TypeOf(obj).Elem().Name()+".spec", add)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// walkSchema calls add for each enum and required field under s; rule names the Go field s came from.
func walkSchema(s *apiextensionsv1.JSONSchemaProps, typ reflect.Type, path, rule string, add func(path, rule, what string)) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.PkgPath() != "" && typ.PkgPath() != aimPkgPath {
		return // a Kubernetes type (or a Quantity, Duration, ...): not our rules
	}
	if len(s.Enum) > 0 {
		add(path, rule, "Unsupported value")
	}
	switch typ.Kind() {
	case reflect.Slice:
		if s.Items != nil && s.Items.Schema != nil {
			walkSchema(s.Items.Schema, typ.Elem(), path+"[]", rule+"[]", add)
		}
	case reflect.Map:
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
			walkSchema(s.AdditionalProperties.Schema, typ.Elem(), path+"[*]", rule+"[*]", add)
		}
	case reflect.Struct:
		for _, r := range s.Required {
			add(path+"."+r, typ.Name()+"."+r, "Required value")
		}
		for name, sub := range s.Properties {
			f, ok := jsonField(typ, name)
			if !ok {
				continue
			}
			sub := sub
			walkSchema(&sub, f.Type, path+"."+name, typ.Name()+"."+name, add)
		}
	}
}

// jsonField finds the struct field serialised as name, looking into inlined embedded structs.
func jsonField(typ reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" {
			inner := f.Type
			for inner.Kind() == reflect.Pointer {
				inner = inner.Elem()
			}
			if inner.Kind() == reflect.Struct {
				if g, ok := jsonField(inner, name); ok {
					return g, true
				}
			}
			continue
		}
		if tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// pathRegexp matches the apiserver's "<field path>: <what>" for path, where [] stands for a list
// index and [*] for a map key, e.g. spec.modelSources[0].sourceUri: Required value.
func pathRegexp(path, what string) *regexp.Regexp {
	p := regexp.QuoteMeta(path)
	p = strings.ReplaceAll(p, `\[\]`, `\[\d+\]`)
	p = strings.ReplaceAll(p, `\[\*\]`, `\[[^\]]*\]`)
	return regexp.MustCompile(`(^|[\s\[,:])` + p + `: ` + regexp.QuoteMeta(what))
}

func TestSchemaChecksFindEnumsAndRequired(t *testing.T) {
	checks := schemaChecks(t)
	var enums, required int
	for _, c := range checks {
		if c.what == "Required value" {
			required++
		} else {
			enums++
		}
	}
	if enums == 0 || required == 0 {
		t.Fatalf("found %d enums and %d required fields in %s; the walk is broken", enums, required, crdDir)
	}
	// The AIMModel image is required and ours; EnvVar.name is required but Kubernetes'.
	var image, envName bool
	for _, c := range checks {
		image = image || (c.kind == "AIMModel" && c.path == "spec.image" && c.what == "Required value")
		envName = envName || strings.HasSuffix(c.path, ".env[].name")
	}
	if !image || envName {
		t.Errorf("spec.image required found: %v (want true); env[].name included: %v (want false)", image, envName)
	}
	msg := `AIMModel.aim.eai.amd.com "x" is invalid: [spec.modelSources[0].sourceUri: Required value, spec.image: Required value]`
	for _, p := range []string{"spec.modelSources[].sourceUri", "spec.image"} {
		if !pathRegexp(p, "Required value").MatchString(msg) {
			t.Errorf("%s does not match %q", p, msg)
		}
	}
	if pathRegexp("spec.sourceUri", "Required value").MatchString(msg) {
		t.Errorf("spec.sourceUri must not match a nested path")
	}
	// A rule shared by several kinds (AIMModelSpec.image, AIMModelSource.sourceUri) is covered by
	// a message of any of them.
	before := uncoveredRules(checks, nil)
	after := uncoveredRules(checks, map[string][]string{"AIMModel": {msg}})
	if len(after) != len(before)-2 {
		t.Errorf("covering two rules on AIMModel: %d uncovered rules, want %d", len(after), len(before)-2)
	}
	for _, u := range after {
		if strings.HasPrefix(u, "AIMModelSpec.image:") || strings.HasPrefix(u, "AIMModelSource.sourceUri:") {
			t.Errorf("still uncovered: %s", u)
		}
	}
	t.Logf("%d enums and %d required fields of the AIM types; %d distinct rules", enums, required, len(before))
}

// uncoveredRules returns, per Go rule (a rule shared by several kinds counts once), the checks no
// rejection message triggered. messages maps kind to the apiserver's error messages for that kind.
func uncoveredRules(checks []schemaCheck, messages map[string][]string) []string {
	covered := map[string]bool{}
	paths := map[string][]string{}
	for _, c := range checks {
		key := c.rule + ": " + c.what
		paths[key] = append(paths[key], c.kind+" "+c.path)
		for _, m := range messages[c.kind] {
			covered[key] = covered[key] || c.re.MatchString(m)
		}
	}
	var out []string
	for key, ps := range paths {
		if !covered[key] {
			out = append(out, key+" (e.g. "+ps[0]+")")
		}
	}
	sort.Strings(out)
	return out
}

// celMessages returns kind -> the message of every x-kubernetes-validations rule in its CRD.
func celMessages(t *testing.T) map[string][]string {
	t.Helper()
	crds, err := localcluster.ReadCRDs(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	var walk func(kind string, s *apiextensionsv1.JSONSchemaProps)
	walk = func(kind string, s *apiextensionsv1.JSONSchemaProps) {
		if s == nil {
			return
		}
		for _, r := range s.XValidations {
			msg := r.Message
			if msg == "" {
				msg = "failed rule: " + r.Rule
			}
			out[kind] = append(out[kind], msg)
		}
		for _, p := range s.Properties {
			walk(kind, &p)
		}
		if s.Items != nil {
			walk(kind, s.Items.Schema)
		}
		if s.AdditionalProperties != nil {
			walk(kind, s.AdditionalProperties.Schema)
		}
	}
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			walk(crd.Spec.Names.Kind, v.Schema.OpenAPIV3Schema)
		}
	}
	return out
}

// uncoveredCEL returns the CEL rule messages that no rejection contains. A rule counts once however
// many kinds or fields share it (it is written once, on a Go type: AIMHardwareRequirements, ...),
// like the enum and required rules.
func uncoveredCEL(rules, messages map[string][]string) []string {
	var all []string
	for _, ms := range messages {
		all = append(all, ms...)
	}
	seen := map[string]bool{}
	var out []string
	for _, rs := range rules {
		for _, rule := range rs {
			if seen[rule] {
				continue
			}
			seen[rule] = true
			hit := false
			for _, m := range all {
				hit = hit || strings.Contains(m, rule)
			}
			if !hit {
				out = append(out, rule)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestCELCoverageCountsEachRuleOnce(t *testing.T) {
	rules := celMessages(t)
	all := uncoveredCEL(rules, nil)
	if len(all) < 10 {
		t.Fatalf("only %d distinct CEL messages in %s: %q", len(all), crdDir, all)
	}
	// "hardware is immutable" guards several kinds; one rejection of any of them covers it.
	msg := `AIMServiceTemplate.aim.eai.amd.com "x" is invalid: spec.hardware: Invalid value: hardware is immutable`
	rest := uncoveredCEL(rules, map[string][]string{"AIMServiceTemplate": {msg}})
	if len(rest) != len(all)-1 {
		t.Errorf("after one rejection: %d uncovered, want %d", len(rest), len(all)-1)
	}
	for _, r := range rest {
		if r == "hardware is immutable" {
			t.Error(`"hardware is immutable" still uncovered`)
		}
	}
}
