package controller

import (
	"net/http"
	"net/http/httptest"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

func TestResourceDiscoverer(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		switch r.URL.Path {
		case "/apis/x.example.com/v1":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"x.example.com/v1",
				"resources":[{"name":"widgets","namespaced":true,"kind":"Widget","verbs":["get","list","watch"]},
				{"name":"widgets/status","namespaced":true,"kind":"Widget","verbs":["get"]}]}`))
		case "/api/v1":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"pods","namespaced":true,"kind":"Pod","verbs":["list"]}]}`))
		case "/apis/status.example.com/v1": // a real API server's 404 carries a Status
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"the server could not find the requested resource"}`))
		case "/apis/broken.example.com/v1":
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			http.NotFound(w, r) // plain-text 404
		}
	}))
	defer srv.Close()
	d, err := NewResourceDiscoverer(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}

	l, err := d.ServerResourcesForGroupVersion("x.example.com/v1")
	if err != nil {
		t.Fatal(err)
	}
	if l.GroupVersion != "x.example.com/v1" || len(l.APIResources) != 2 || l.APIResources[0].Name != "widgets" ||
		!l.APIResources[0].Namespaced || l.APIResources[0].Kind != "Widget" {
		t.Fatalf("list = %+v", l)
	}
	if l, err := d.ServerResourcesForGroupVersion("v1"); err != nil || len(l.APIResources) != 1 || l.APIResources[0].Name != "pods" {
		t.Fatalf("core list = %+v, %v", l, err)
	}
	for _, gv := range []string{"absent.example.com/v1", "status.example.com/v1"} {
		if _, err := d.ServerResourcesForGroupVersion(gv); !apierrors.IsNotFound(err) {
			t.Fatalf("%s: err = %v, want NotFound", gv, err)
		}
	}
	_, err = d.ServerResourcesForGroupVersion("broken.example.com/v1")
	if err == nil || apierrors.IsNotFound(err) {
		t.Fatalf("500: err = %v, want a non-NotFound error", err)
	}
	if _, err := d.ServerResourcesForGroupVersion(""); err == nil {
		t.Fatal("empty groupVersion accepted")
	}
	want := []string{"/apis/x.example.com/v1", "/api/v1", "/apis/absent.example.com/v1", "/apis/status.example.com/v1", "/apis/broken.example.com/v1"}
	if len(paths) != len(want) {
		t.Fatalf("paths = %v (uncached, no retries expected)", paths)
	}
	for i := range want {
		if paths[i] != want[i] {
			t.Fatalf("paths = %v, want %v", paths, want)
		}
	}
}

// The discoverer drives OptionalKind's served check: a group that is not
// served is "not served" (no error), a server error keeps the current state.
func TestResourceDiscovererDrivesServed(t *testing.T) {
	code := http.StatusNotFound
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code != http.StatusOK {
			http.Error(w, "no", code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"APIResourceList","groupVersion":"serving.example.com/v1beta1","resources":[{"name":"inferenceservices","namespaced":true,"kind":"InferenceService","verbs":["list"]}]}`))
	}))
	defer srv.Close()
	d, err := NewResourceDiscoverer(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	k := NewOptionalKind(isvcGVR, OptionalKindOptions{Discovery: d})
	if served, err := k.served(); served || err != nil {
		t.Fatalf("404: served=%v err=%v", served, err)
	}
	code = http.StatusInternalServerError
	if _, err := k.served(); err == nil {
		t.Fatal("500: no error")
	}
	code = http.StatusOK
	if served, err := k.served(); !served || err != nil {
		t.Fatalf("200: served=%v err=%v", served, err)
	}
}
