package controller

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

func TestStripTransformKeepsOnlyOurManager(t *testing.T) {
	tr := StripTransform("our-controller")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: "p",
		Annotations: map[string]string{
			LastAppliedAnnotation: `{"big":"json"}`,
			"keep":                "me",
		},
		ManagedFields: []metav1.ManagedFieldsEntry{
			{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate},
			{Manager: "our-controller", Operation: metav1.ManagedFieldsOperationApply},
			{Manager: "kube-scheduler", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status"},
		},
	}}
	out, err := tr(pod)
	if err != nil {
		t.Fatal(err)
	}
	p := out.(*corev1.Pod)
	if len(p.ManagedFields) != 1 || p.ManagedFields[0].Manager != "our-controller" {
		t.Fatalf("managedFields = %+v", p.ManagedFields)
	}
	if _, ok := p.Annotations[LastAppliedAnnotation]; ok || p.Annotations["keep"] != "me" {
		t.Fatalf("annotations = %v", p.Annotations)
	}
	// Idempotent, and it works on unstructured objects (dynamic informers).
	if _, err := tr(p); err != nil || len(p.ManagedFields) != 1 {
		t.Fatal("second pass changed the object")
	}
	u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{
		"name":          "u",
		"managedFields": []any{map[string]any{"manager": "someone"}},
		"annotations":   map[string]any{LastAppliedAnnotation: "x"},
	}}}
	if _, err := tr(u); err != nil {
		t.Fatal(err)
	}
	if len(u.GetManagedFields()) != 0 || len(u.GetAnnotations()) != 0 {
		t.Fatalf("unstructured not stripped: %v", u.Object)
	}
	// Tombstones pass through.
	ts := cache.DeletedFinalStateUnknown{Key: "k", Obj: pod}
	if got, _ := tr(ts); got != ts {
		t.Fatal("tombstone changed")
	}
}

func TestLabelSelector(t *testing.T) {
	s, err := LabelSelector("app.kubernetes.io/managed-by", "b-controller", "a-controller")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := labels.Parse(s)
	if err != nil {
		t.Fatalf("%q does not parse: %v", s, err)
	}
	if !sel.Matches(labels.Set{"app.kubernetes.io/managed-by": "a-controller"}) ||
		sel.Matches(labels.Set{"app.kubernetes.io/managed-by": "helm"}) || sel.Matches(labels.Set{}) {
		t.Fatalf("selector %q matches wrongly", s)
	}
	exists, _ := LabelSelector("example.com/owned")
	if exists != "example.com/owned" {
		t.Fatalf("exists selector = %q", exists)
	}
	if _, err := LabelSelector("bad key!"); err == nil {
		t.Fatal("invalid key accepted")
	}
	o := &metav1.ListOptions{LabelSelector: "a=b"}
	WithLabelSelector(exists)(o)
	if o.LabelSelector != "a=b,example.com/owned" {
		t.Fatalf("tweak = %q", o.LabelSelector)
	}
	lo := &metav1.ListOptions{FieldSelector: "metadata.name=x"}
	CacheOptions{LabelSelector: "l", FieldSelector: "type=Warning"}.tweak()(lo)
	if lo.LabelSelector != "l" || lo.FieldSelector != "metadata.name=x,type=Warning" {
		t.Fatalf("tweak = %+v", lo)
	}
}

func TestHealthHandler(t *testing.T) {
	ready := false
	h := HealthHandler(
		[]Check{{Name: "ping", Check: func(*http.Request) error { return nil }}},
		[]Check{{Name: "caches", Check: func(*http.Request) error {
			if !ready {
				return errors.New("not synced")
			}
			return nil
		}}},
	)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 500 || !strings.Contains(body, "caches failed: not synced") {
		t.Fatalf("readyz = %d %q", code, body)
	}
	ready = true
	if code, body := get("/readyz?verbose"); code != 200 || !strings.Contains(body, "[+]caches ok") {
		t.Fatalf("readyz = %d %q", code, body)
	}
}
