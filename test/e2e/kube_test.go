package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"
)

// U is an object as the API serves it: the suite reads the wire format, not aimlite's Go types.
type U = unstructured.Unstructured

var bg = context.Background()

func aimGVR(res string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "aim.eai.amd.com", Version: "v1alpha1", Resource: res}
}

var kinds = map[string]struct {
	gvr     schema.GroupVersionResource
	cluster bool
}{
	"AIMModel":                       {aimGVR("aimmodels"), false},
	"AIMClusterModel":                {aimGVR("aimclustermodels"), true},
	"AIMServiceTemplate":             {aimGVR("aimservicetemplates"), false},
	"AIMClusterServiceTemplate":      {aimGVR("aimclusterservicetemplates"), true},
	"AIMService":                     {aimGVR("aimservices"), false},
	"AIMTemplateCache":               {aimGVR("aimtemplatecaches"), false},
	"AIMArtifact":                    {aimGVR("aimartifacts"), false},
	"AIMRuntimeConfig":               {aimGVR("aimruntimeconfigs"), false},
	"AIMClusterRuntimeConfig":        {aimGVR("aimclusterruntimeconfigs"), true},
	"AIMClusterModelSource":          {aimGVR("aimclustermodelsources"), true},
	"InferenceService":               {schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}, false},
	"HTTPRoute":                      {schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}, false},
	"Job":                            {schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, false},
	"Pod":                            {schema.GroupVersionResource{Version: "v1", Resource: "pods"}, false},
	"PersistentVolumeClaim":          {schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}, false},
	"MutatingAdmissionPolicy":        {schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingadmissionpolicies"}, true},
	"MutatingAdmissionPolicyBinding": {schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingadmissionpolicybindings"}, true},
	"RoleBinding":                    {schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, false},
}

func res(kind, ns string) dynamic.ResourceInterface {
	k, ok := kinds[kind]
	if !ok {
		panic("unknown kind " + kind)
	}
	if k.cluster {
		return env.Dynamic.Resource(k.gvr)
	}
	return env.Dynamic.Resource(k.gvr).Namespace(ns)
}

// create creates the object of a YAML manifest (fmt-formatted with args) in ns.
func create(t *testing.T, ns, manifest string, args ...any) *U {
	t.Helper()
	u := decode(t, fmt.Sprintf(manifest, args...))
	kind := u.GetKind()
	if !kinds[kind].cluster {
		u.SetNamespace(ns)
	}
	out, err := res(kind, ns).Create(bg, u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s %s: %v", kind, u.GetName(), err)
	}
	if kinds[kind].cluster {
		t.Cleanup(func() { _ = res(kind, "").Delete(bg, u.GetName(), metav1.DeleteOptions{}) })
	}
	return out
}

func decode(t *testing.T, manifest string) *U {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("manifest: %v\n%s", err, manifest)
	}
	u := &U{}
	if err := json.Unmarshal(j, &u.Object); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return u
}

func get(kind, ns, name string) (*U, error) { return res(kind, ns).Get(bg, name, metav1.GetOptions{}) }

func mustGet(t *testing.T, kind, ns, name string) *U {
	t.Helper()
	u, err := get(kind, ns, name)
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", kind, ns, name, err)
	}
	return u
}

func list(t *testing.T, kind, ns, selector string) []U {
	t.Helper()
	l, err := res(kind, ns).List(bg, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatalf("list %s %s: %v", kind, selector, err)
	}
	return l.Items
}

// setStatus replaces fields of status (merged at the top level) through the status subresource, as a
// test plays another controller (KServe) or paints a paused dependency.
func setStatus(t *testing.T, kind, ns, name string, status map[string]any) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := get(kind, ns, name)
		if err != nil {
			return err
		}
		st, _, _ := unstructured.NestedMap(u.Object, "status")
		if st == nil {
			st = map[string]any{}
		}
		for k, v := range status {
			st[k] = v
		}
		u.Object["status"] = st
		_, err = res(kind, ns).UpdateStatus(bg, u, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("set %s %s status: %v", kind, name, err)
	}
}

// waitUntil polls f every 250 ms until it holds; on timeout the test fails with f's last message.
func waitUntil(t *testing.T, timeout time.Duration, what string, f func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(bg, 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, msg := f()
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
	}
}

// check is one expectation on an object; nil means it holds.
type check func(*U) error

// waitFor polls the object until every check holds and returns it.
func waitFor(t *testing.T, kind, ns, name string, timeout time.Duration, checks ...check) *U {
	t.Helper()
	var u *U
	waitUntil(t, timeout, fmt.Sprintf("%s %s", kind, name), func() (bool, string) {
		var err error
		u, err = get(kind, ns, name)
		if err != nil {
			return false, err.Error()
		}
		for _, c := range checks {
			if err := c(u); err != nil {
				return false, err.Error() + "; object: " + summary(u)
			}
		}
		return true, ""
	})
	return u
}

// expect reports every failing check as a test error (the test goes on).
func expect(t *testing.T, u *U, checks ...check) {
	t.Helper()
	for _, c := range checks {
		if err := c(u); err != nil {
			t.Errorf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
}

type cond struct{ Type, Status, Reason, Message string }

func conditions(u *U) []cond {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []cond
	for _, r := range raw {
		m, _ := r.(map[string]any)
		s := func(k string) string { v, _ := m[k].(string); return v }
		out = append(out, cond{s("type"), s("status"), s("reason"), s("message")})
	}
	return out
}

func findCond(u *U, typ string) *cond {
	for _, c := range conditions(u) {
		if c.Type == typ {
			return &c
		}
	}
	return nil
}

// summary is "status=<s> [Type=Status/Reason(msg) ...]" for failure messages.
func summary(u *U) string {
	st, _, _ := unstructured.NestedString(u.Object, "status", "status")
	var cs []string
	for _, c := range conditions(u) {
		cs = append(cs, fmt.Sprintf("%s=%s/%s(%q)", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("status=%q %v", st, cs)
}

// hasCond expects condition typ with status and reason; msg is matched exactly, as a prefix when it
// ends in "*", or not at all when empty.
func hasCond(typ, status, reason, msg string) check {
	return func(u *U) error {
		c := findCond(u, typ)
		if c == nil {
			return fmt.Errorf("no condition %s (want %s/%s)", typ, status, reason)
		}
		if c.Status != status || c.Reason != reason || !msgMatches(c.Message, msg) {
			return fmt.Errorf("condition %s = %s/%s(%q), want %s/%s(%q)", typ, c.Status, c.Reason, c.Message, status, reason, msg)
		}
		return nil
	}
}

func msgMatches(got, want string) bool {
	if want == "" {
		return true
	}
	if p, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}

func noCond(typ string) check {
	return func(u *U) error {
		if c := findCond(u, typ); c != nil {
			return fmt.Errorf("unexpected condition %s=%s/%s", typ, c.Status, c.Reason)
		}
		return nil
	}
}

func statusIs(s string) check { return fieldIs(s, "status", "status") }

// fieldIs compares the field at path (rendered with fmt %v; a missing field is "<none>").
func fieldIs(want any, path ...string) check {
	return func(u *U) error {
		if got := field(u, path...); got != fmt.Sprint(want) {
			return fmt.Errorf("%s = %s, want %v", strings.Join(path, "."), got, want)
		}
		return nil
	}
}

// at walks path through maps and (numeric elements) slices.
func at(u *U, path ...string) (any, bool) {
	var cur any = u.Object
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func sliceAt(u *U, path ...string) []any {
	v, _ := at(u, path...)
	s, _ := v.([]any)
	return s
}

func field(u *U, path ...string) string {
	v, ok := at(u, path...)
	if !ok {
		return "<none>"
	}
	switch v := v.(type) {
	case string:
		return v
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

func labelIs(k, v string) check {
	return func(u *U) error {
		if got, ok := u.GetLabels()[k]; !ok || got != v {
			return fmt.Errorf("label %s = %q (present %v), want %q", k, got, ok, v)
		}
		return nil
	}
}

func hasFinalizer(f string) check {
	return func(u *U) error {
		for _, x := range u.GetFinalizers() {
			if x == f {
				return nil
			}
		}
		return fmt.Errorf("finalizers %v lack %s", u.GetFinalizers(), f)
	}
}

// controlledBy expects exactly the contract's owner reference: controller true, no blockOwnerDeletion.
func controlledBy(owner *U) check {
	return func(u *U) error {
		for _, r := range u.GetOwnerReferences() {
			if r.UID != owner.GetUID() {
				continue
			}
			if r.Kind != owner.GetKind() || r.Name != owner.GetName() || r.APIVersion != owner.GetAPIVersion() ||
				r.Controller == nil || !*r.Controller {
				return fmt.Errorf("owner reference %+v", r)
			}
			return nil
		}
		return fmt.Errorf("not owned by %s %s: %v", owner.GetKind(), owner.GetName(), u.GetOwnerReferences())
	}
}

// noBlockOwnerDeletion: the contract's owner references carry no blockOwnerDeletion (§3.2 step 3).
// controllerRefBlocksDeletion checks aimlite's deliberate deviation from catalogue §3.2 step 3
// (FINDINGS.md#f1): the controller owner reference sets blockOwnerDeletion, so a foreground
// deletion of the owner waits for its children.
func controllerRefBlocksDeletion() check {
	return func(u *U) error {
		for _, r := range u.GetOwnerReferences() {
			if r.Controller != nil && *r.Controller {
				if r.BlockOwnerDeletion == nil || !*r.BlockOwnerDeletion {
					return fmt.Errorf("controller owner reference to %s %s does not set blockOwnerDeletion", r.Kind, r.Name)
				}
				return nil
			}
		}
		return fmt.Errorf("no controller owner reference")
	}
}

func noOwner() check {
	return func(u *U) error {
		if refs := u.GetOwnerReferences(); len(refs) > 0 {
			return fmt.Errorf("unexpected owner references %v", refs)
		}
		return nil
	}
}

// names returns the sorted names of objects.
func names(items []U) []string {
	var out []string
	for _, i := range items {
		out = append(out, i.GetName())
	}
	sort.Strings(out)
	return out
}

// waitGone waits until the object is deleted.
func waitGone(t *testing.T, kind, ns, name string, timeout time.Duration) {
	t.Helper()
	waitUntil(t, timeout, fmt.Sprintf("%s %s/%s to be deleted", kind, ns, name), func() (bool, string) {
		u, err := get(kind, ns, name)
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("still there; finalizers %v, deletionTimestamp %v", u.GetFinalizers(), u.GetDeletionTimestamp())
	})
}
