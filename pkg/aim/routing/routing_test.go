package routing

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func svcObj() map[string]any {
	return map[string]any{
		"metadata": map[string]any{
			"name": "My_LLM", "namespace": "team-a", "uid": "u-1",
			"labels":      map[string]any{"team.example.com/owner": "Data Science"},
			"annotations": map[string]any{"route/prefix": "v1/Models"},
		},
		"spec": map[string]any{"model": map[string]any{"name": "llama-3.1"}},
	}
}

func TestRenderPath(t *testing.T) {
	long := strings.Repeat("a", 60)
	tests := []struct {
		tpl     string
		want    string
		wantErr string
	}{
		{tpl: "", want: "/team-a/u-1"},
		{tpl: "/{.metadata.namespace}/{.metadata.name}", want: "/team-a/my-llm"},
		{tpl: "/{.metadata.labels['team.example.com/owner']}/x", want: "/data-science/x"},
		{tpl: `/{.metadata.labels["team.example.com/owner"]}`, want: "/data-science"},
		{tpl: "/{.metadata.annotations['route/prefix']}/{.spec.model.name}", want: "/v1/models/llama-3-1"},
		{tpl: "//a//{.metadata.namespace}//", want: "/a/team-a"},
		{tpl: "/{.metadata.labels['missing']}", wantErr: "not set"},
		{tpl: "/{.spec.nothere}", wantErr: "not found"},
		{tpl: "/{.metadata.name", wantErr: "unclosed"},
		{tpl: "/x}", wantErr: "unmatched"},
		{tpl: "/{}", wantErr: "empty expression"},
		{tpl: "/{.metadata[}", wantErr: "invalid expression"},
		{tpl: "///", wantErr: "empty path"},
		{tpl: "/" + long + "/" + long + "/" + long + "/" + long, wantErr: "more than 200"},
	}
	for _, tt := range tests {
		t.Run(tt.tpl, func(t *testing.T) {
			got, err := RenderPath(tt.tpl, svcObj(), "team-a", "u-1")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q (got path %q)", err, tt.wantErr, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	d := time.Minute
	u := Build(Params{Name: "svc-h", Namespace: "team-a", ServiceName: "svc", ISVCName: "svc-h", Path: "/team-a/u",
		Gateway: ParentRef{"name": "gw", "namespace": "gateways"}, RequestTimeout: &d, Annotations: map[string]string{"a": "b"}})
	if u.GetKind() != "HTTPRoute" || u.GetAPIVersion() != "gateway.networking.k8s.io/v1" {
		t.Fatalf("gvk %v", u.GroupVersionKind())
	}
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	r := rules[0].(map[string]any)
	if r["timeouts"].(map[string]any)["request"] != "1m0s" {
		t.Fatalf("timeouts %v", r["timeouts"])
	}
	be := r["backendRefs"].([]any)[0].(map[string]any)
	if be["name"] != "svc-h-predictor" || be["port"] != int64(80) {
		t.Fatalf("backend %v", be)
	}
	m := r["matches"].([]any)[0].(map[string]any)["path"].(map[string]any)
	if m["type"] != "PathPrefix" || m["value"] != "/team-a/u" {
		t.Fatalf("match %v", m)
	}
	if u.GetLabels()["app.kubernetes.io/component"] != "routing" || u.GetAnnotations()["a"] != "b" {
		t.Fatalf("labels %v annotations %v", u.GetLabels(), u.GetAnnotations())
	}
	again := Build(Params{Name: "svc-h", Namespace: "team-a", ServiceName: "svc", ISVCName: "svc-h", Path: "/team-a/u",
		Gateway: ParentRef{"name": "gw", "namespace": "gateways"}, RequestTimeout: &d, Annotations: map[string]string{"a": "b"}})
	if again.GetAnnotations()["aim.eai.amd.com/applied-spec-hash"] != u.GetAnnotations()["aim.eai.amd.com/applied-spec-hash"] {
		t.Fatal("hash not stable")
	}
}
