package aimclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
)

func TestClientsetPathsAndStatus(t *testing.T) {
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut { // echo the object back, as the apiserver does
			var obj map[string]any
			_ = json.NewDecoder(r.Body).Decode(&obj)
			_ = json.NewEncoder(w).Encode(obj)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": []any{}}) // no kind: decoded into the requested list type
	}))
	defer ts.Close()
	cs := NewForConfigOrDie(&rest.Config{Host: ts.URL})
	ctx := context.Background()
	c := cs.AimV1alpha1()
	for _, list := range []func() error{
		func() error { _, err := c.AIMServices("ns").List(ctx, metav1.ListOptions{}); return err },
		func() error { _, err := c.AIMClusterModels().List(ctx, metav1.ListOptions{}); return err },
		func() error { _, err := c.AIMTemplateCaches("").List(ctx, metav1.ListOptions{}); return err },
	} {
		if err := list(); err != nil {
			t.Fatal(err)
		}
	}
	svc := &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}, Status: aimv1.AIMServiceStatus{Status: "Running"}}
	out, err := c.AIMServices("ns").UpdateStatus(ctx, svc, metav1.UpdateOptions{})
	if err != nil || out.Status.Status != "Running" {
		t.Fatalf("UpdateStatus: %+v, %v", out, err)
	}
	want := []string{
		"GET /apis/aim.eai.amd.com/v1alpha1/namespaces/ns/aimservices",
		"GET /apis/aim.eai.amd.com/v1alpha1/aimclustermodels",
		"GET /apis/aim.eai.amd.com/v1alpha1/aimtemplatecaches",
		"PUT /apis/aim.eai.amd.com/v1alpha1/namespaces/ns/aimservices/s/status",
	}
	if len(got) != len(want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestInformerFactoryScopesNamespacedKindsOnly(t *testing.T) {
	cs := NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"})
	f := NewInformerFactory(cs, controller.CacheOptions{Namespaces: []string{"a", "b"}})
	svc := f.AIMServices()
	if svc.Informer() != f.AIMServices().Informer() {
		t.Fatal("one shared informer per kind")
	}
	// Two watched namespaces: the composite informer's store refuses objects of a third.
	if err := svc.Informer().GetStore().Add(&aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "c"}}); err == nil {
		t.Error("namespaced kind accepted an object outside the watched namespaces")
	}
	if err := svc.Informer().GetStore().Add(&aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Lister().AIMServices("b").Get("x"); err != nil {
		t.Errorf("lister: %v", err)
	}
	// Cluster-scoped kinds are watched cluster-wide.
	if err := f.AIMClusterModels().Informer().GetStore().Add(&aimv1.AIMClusterModel{ObjectMeta: metav1.ObjectMeta{Name: "m"}}); err != nil {
		t.Errorf("cluster-scoped kind: %v", err)
	}
}
