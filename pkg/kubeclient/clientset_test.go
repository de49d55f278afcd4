package kubeclient

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// apiserver answers every GET with an empty list (or a pod log) and records the paths asked for.
type apiserver struct {
	mu    sync.Mutex
	paths []string
}

func (a *apiserver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.paths = append(a.paths, r.URL.Path+"?"+r.URL.RawQuery)
	a.mu.Unlock()
	if r.URL.Path == "/api/v1/namespaces/ns/pods/p/log" {
		_, _ = io.WriteString(w, "line 1\nline 2\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{}})
}

func TestClientsetTalksToTheRightResources(t *testing.T) {
	srv := &apiserver{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cs, err := NewForConfig(&rest.Config{Host: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := metav1.ListOptions{LabelSelector: "a=b"}
	calls := []struct {
		path string
		list func() error
	}{
		{"/api/v1/namespaces/ns/pods", func() error { _, err := cs.CoreV1().Pods("ns").List(ctx, opts); return err }},
		{"/api/v1/namespaces/ns/persistentvolumeclaims", func() error { _, err := cs.CoreV1().PersistentVolumeClaims("ns").List(ctx, opts); return err }},
		{"/api/v1/nodes", func() error { _, err := cs.CoreV1().Nodes().List(ctx, opts); return err }},
		{"/api/v1/namespaces/ns/secrets", func() error { _, err := cs.CoreV1().Secrets("ns").List(ctx, opts); return err }},
		{"/api/v1/namespaces", func() error { _, err := cs.CoreV1().Namespaces().List(ctx, opts); return err }},
		{"/api/v1/events", func() error { _, err := cs.CoreV1().Events("").List(ctx, opts); return err }},
		{"/apis/batch/v1/namespaces/ns/jobs", func() error { _, err := cs.BatchV1().Jobs("ns").List(ctx, opts); return err }},
		{"/apis/rbac.authorization.k8s.io/v1/namespaces/ns/rolebindings", func() error { _, err := cs.RbacV1().RoleBindings("ns").List(ctx, opts); return err }},
		{"/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers", func() error {
			_, err := cs.AutoscalingV2().HorizontalPodAutoscalers("ns").List(ctx, opts)
			return err
		}},
		{"/apis/coordination.k8s.io/v1/namespaces/ns/leases", func() error { _, err := cs.CoordinationV1().Leases("ns").List(ctx, opts); return err }},
		{"/apis/events.k8s.io/v1/namespaces/ns/events", func() error { _, err := cs.EventsV1().Events("ns").List(ctx, opts); return err }},
	}
	for i, c := range calls {
		if err := c.list(); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if want := c.path + "?labelSelector=a%3Db"; srv.paths[i] != want {
			t.Errorf("request %d = %s, want %s", i, srv.paths[i], want)
		}
	}

	lines := int64(5)
	body, err := cs.CoreV1().Pods("ns").GetLogs("p", &corev1.PodLogOptions{Container: "c", TailLines: &lines}).DoRaw(ctx)
	if err != nil || string(body) != "line 1\nline 2\n" {
		t.Fatalf("logs %q, %v", body, err)
	}
	if got, want := srv.paths[len(srv.paths)-1], "/api/v1/namespaces/ns/pods/p/log?container=c&tailLines=5"; got != want {
		t.Errorf("log request = %s, want %s", got, want)
	}
}
