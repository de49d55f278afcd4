package runtimeconfig

import (
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
)

func TestIndexAndMapping(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, Indexers())
	add := func(o any) {
		if err := idx.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	add(&aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "implicit", Namespace: "a"}})
	add(&aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "named", Namespace: "a"}, Spec: aimv1.AIMModelSpec{RuntimeConfigName: "gpu"}})
	add(&aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "other-ns", Namespace: "b"}})
	add(&aimv1.AIMClusterModel{ObjectMeta: metav1.ObjectMeta{Name: "cluster"}})

	keys := func(ks []controller.Key) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.String())
		}
		sort.Strings(out)
		return out
	}
	cl := keys(MapClusterConfig(idx)(&aimv1.AIMClusterRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}}))
	if want := []string{"a/implicit", "b/other-ns", "cluster"}; !equal(cl, want) {
		t.Errorf("cluster default → %v, want %v", cl, want)
	}
	nsA := keys(MapNamespaceConfig(idx)(&aimv1.AIMRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "a"}}))
	if want := []string{"a/implicit"}; !equal(nsA, want) {
		t.Errorf("namespace a default → %v, want %v", nsA, want)
	}
	gpu := keys(MapNamespaceConfig(idx)(&aimv1.AIMRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "gpu", Namespace: "a"}}))
	if want := []string{"a/named"}; !equal(gpu, want) {
		t.Errorf("namespace a gpu → %v", gpu)
	}
	if _, ok := RefName(&aimv1.AIMClusterModelSource{}); ok {
		t.Error("model sources have no runtime config reference")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHealth(t *testing.T) {
	cases := []struct {
		name     string
		r        Result
		upstream bool
		reason   string
		ready    bool
	}{
		{"default missing", Result{Resolved: Resolved{Name: "default"}}, false, "DefaultConfigNotFound", true},
		{"found", Result{Resolved: Resolved{Name: "x", Spec: &aimv1.AIMRuntimeConfigSpec{}, Scope: ScopeMerged}}, false, "ConfigFound", true},
		{"named missing", Result{Err: &NotFoundError{Name: "x"}}, false, "ConfigNotFound", false},
		{"named missing upstream", Result{Err: &NotFoundError{Name: "x"}}, true, "ReferenceNotFound", false},
	}
	for _, c := range cases {
		h := c.r.Health(c.upstream)
		if h.GetReason() != c.reason || (h.GetState() == "Ready") != c.ready {
			t.Errorf("%s: %+v reason %s", c.name, h, h.GetReason())
		}
	}
	if ref := (Result{Resolved: Resolved{Name: "x", Spec: &aimv1.AIMRuntimeConfigSpec{}, Scope: ScopeMerged}}).Reference(); ref == nil || ref.Scope != "Merged" {
		t.Errorf("reference %+v", ref)
	}
}
