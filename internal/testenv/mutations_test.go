package testenv

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/rest"
)

func TestResourceOf(t *testing.T) {
	for _, tc := range []struct{ path, resource, name string }{
		{"/api/v1/namespaces/ns/events", "events", ""},
		{"/api/v1/namespaces/ns/pods/p/eviction", "pods/eviction", "p"},
		{"/api/v1/nodes/n1", "nodes", "n1"},
		{"/api/v1/namespaces", "namespaces", ""},
		{"/api/v1/namespaces/ns", "namespaces", "ns"},
		{"/api/v1/namespaces/ns/finalize", "namespaces/finalize", "ns"},
		{"/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/m", "inferenceservices", "m"},
		{"/apis/aim.eai.amd.com/v1alpha1/namespaces/ns/aimservices/s/status", "aimservices/status", "s"},
		{"/apis/aim.eai.amd.com/v1alpha1/aimclustermodels", "aimclustermodels", ""},
		{"/apis/aim.eai.amd.com/v1alpha1/aimclustermodelsources/src/status", "aimclustermodelsources/status", "src"},
		{"/version", "/version", ""},
		{"/apis/aim.eai.amd.com/v1alpha1", "/apis/aim.eai.amd.com/v1alpha1", ""},
	} {
		if res, name := resourceOf(tc.path); res != tc.resource || name != tc.name {
			t.Errorf("resourceOf(%q) = %q, %q; want %q, %q", tc.path, res, name, tc.resource, tc.name)
		}
	}
}

func TestCountMutations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	orig := &rest.Config{Host: srv.URL}
	cfg, m := CountMutations(orig)
	if orig.WrapTransport != nil {
		t.Fatal("CountMutations changed the config it was given")
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/namespaces/ns/pods"},
		{http.MethodHead, "/api/v1/namespaces/ns/pods/p"},
		{http.MethodPost, "/api/v1/namespaces/ns/pods"},
		{http.MethodPut, "/apis/g/v1/things/a/status"},
		{http.MethodPut, "/apis/g/v1/things/a/status"},
		{http.MethodPut, "/apis/g/v1/things/b/status"},
	} {
		req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := m.Total(); n != 4 {
		t.Errorf("Total() = %d, want 4", n)
	}
	snap := m.Snapshot()
	if len(snap) != 2 || snap["POST pods"] != 1 || snap["PUT things/status"] != 3 {
		t.Errorf("Snapshot() = %v, want POST pods:1, PUT things/status:3", snap)
	}
	if a, b := m.OfObject("PUT things/status", "a"), m.OfObject("PUT things/status", "b"); a != 2 || b != 1 {
		t.Errorf("OfObject: a=%d b=%d, want 2 and 1", a, b)
	}
}
