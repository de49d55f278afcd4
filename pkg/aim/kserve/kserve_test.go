package kserve

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aimlite/aimlite/pkg/aim/naming"
)

func ev(kv ...string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for i := 0; i < len(kv); i += 2 {
		out = append(out, corev1.EnvVar{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestEnvPrecedence(t *testing.T) {
	tests := []struct {
		name string
		in   EnvInput
		want []corev1.EnvVar
	}{
		{name: "defaults only", want: ev("AIM_CACHE_PATH", "/workspace/cache", "VLLM_ENABLE_METRICS", "true")},
		{name: "runtime config overrides default", in: EnvInput{RuntimeConfig: ev("VLLM_ENABLE_METRICS", "false")},
			want: ev("AIM_CACHE_PATH", "/workspace/cache", "VLLM_ENABLE_METRICS", "false")},
		{name: "profile fields over runtime config, template over profile fields", in: EnvInput{
			RuntimeConfig: ev("AIM_METRIC", "rc"), Metric: "latency", Precision: "fp8", ProfileID: "p1",
			Template: ev("AIM_PRECISION", "tpl")},
			want: ev("AIM_CACHE_PATH", "/workspace/cache", "AIM_METRIC", "latency", "AIM_PRECISION", "tpl", "AIM_PROFILE_ID", "p1", "VLLM_ENABLE_METRICS", "true")},
		{name: "model id over template, service over all", in: EnvInput{
			Template: ev("AIM_MODEL_ID", "tpl", "X", "tpl"), ModelID: "org/m", Service: ev("X", "svc", "AIM_CACHE_PATH", "/c")},
			want: ev("AIM_CACHE_PATH", "/c", "AIM_MODEL_ID", "org/m", "VLLM_ENABLE_METRICS", "true", "X", "svc")},
		{name: "engine args deep merged across rc, template and service", in: EnvInput{
			RuntimeConfig: ev("AIM_ENGINE_ARGS", `{"a":1,"n":{"x":1}}`),
			Template:      ev("AIM_ENGINE_ARGS", `{"b":2,"n":{"y":2}}`),
			Service:       ev("AIM_ENGINE_ARGS", `{"a":3,"n":{"x":9}}`)},
			want: ev("AIM_CACHE_PATH", "/workspace/cache", "AIM_ENGINE_ARGS", `{"a":3,"b":2,"n":{"x":9,"y":2}}`, "VLLM_ENABLE_METRICS", "true")},
		{name: "no duplicates when a layer repeats a profile var", in: EnvInput{RuntimeConfig: ev("AIM_PROFILE_ID", "old"), ProfileID: "new"},
			want: ev("AIM_CACHE_PATH", "/workspace/cache", "AIM_PROFILE_ID", "new", "VLLM_ENABLE_METRICS", "true")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Env(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func q(s string) resource.Quantity { return resource.MustParse(s) }

func TestResourcesPrecedence(t *testing.T) {
	tests := []struct {
		name      string
		gpus      int64
		res       string
		overrides []*corev1.ResourceRequirements
		wantReq   map[corev1.ResourceName]string
		wantLim   map[corev1.ResourceName]string
	}{
		{name: "no gpu, no overrides", wantReq: nil, wantLim: nil},
		{name: "two gpus default resource", gpus: 2,
			wantReq: map[corev1.ResourceName]string{"cpu": "8", "memory": "64Gi", "amd.com/gpu": "2"},
			wantLim: map[corev1.ResourceName]string{"memory": "96Gi", "amd.com/gpu": "2"}},
		{name: "custom gpu resource", gpus: 1, res: "example.com/gpu",
			wantReq: map[corev1.ResourceName]string{"cpu": "4", "memory": "32Gi", "example.com/gpu": "1"},
			wantLim: map[corev1.ResourceName]string{"memory": "48Gi", "example.com/gpu": "1"}},
		{name: "template then service override key by key", gpus: 1, overrides: []*corev1.ResourceRequirements{
			{Requests: corev1.ResourceList{"cpu": q("2"), "memory": q("16Gi")}},
			nil,
			{Requests: corev1.ResourceList{"cpu": q("6")}, Limits: corev1.ResourceList{"cpu": q("8")}},
		},
			wantReq: map[corev1.ResourceName]string{"cpu": "6", "memory": "16Gi", "amd.com/gpu": "1"},
			wantLim: map[corev1.ResourceName]string{"memory": "48Gi", "amd.com/gpu": "1", "cpu": "8"}},
		{name: "cpu-only service resources", overrides: []*corev1.ResourceRequirements{{Limits: corev1.ResourceList{"memory": q("1Gi")}}},
			wantLim: map[corev1.ResourceName]string{"memory": "1Gi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resources(tt.gpus, tt.res, tt.overrides...)
			check := func(kind string, l corev1.ResourceList, want map[corev1.ResourceName]string) {
				if len(l) != len(want) {
					t.Fatalf("%s = %v, want %v", kind, l, want)
				}
				for k, v := range want {
					if got, ok := l[k]; !ok || got.Cmp(q(v)) != 0 {
						t.Fatalf("%s[%s] = %v, want %s", kind, k, l[k], v)
					}
				}
			}
			check("requests", got.Requests, tt.wantReq)
			check("limits", got.Limits, tt.wantLim)
		})
	}
}

func TestNamesAt63(t *testing.T) {
	tests := []struct {
		svc, ns string
		wantErr bool
	}{
		{svc: "my-llm", ns: "team-a"},
		{svc: strings.Repeat("s", 63), ns: "team-a"},
		{svc: strings.Repeat("s", 63), ns: strings.Repeat("n", 42)}, // budget 10: fits exactly
		{svc: "x", ns: strings.Repeat("n", 43), wantErr: true},      // budget 9
	}
	for _, tt := range tests {
		name, err := naming.InferenceServiceName(tt.svc, tt.ns)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "too long") {
				t.Fatalf("ns %d chars: err = %v, want too long", len(tt.ns), err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if host := name + "-predictor-" + tt.ns; len(host) > 63 {
			t.Fatalf("%q: hostname %d chars > 63", name, len(host))
		}
	}
	if n, _ := naming.InferenceServiceName("my-llm", "team-a"); n != "my-llm-e204f50a" {
		t.Fatalf("worked example: got %s", n)
	}
}

func baseParams() Params {
	return Params{Name: "svc-e204f50a", Namespace: "team-a", ServiceName: "svc", TemplateName: "Tpl_A", ModelName: "llama",
		ProfileMetric: "latency", ProfilePrecision: "fp8", Image: "img:1",
		Env: Env(EnvInput{}), Resources: Resources(1, ""),
		CacheVolumes: []CacheVolume{{ArtifactName: "b-art", ClaimName: "b-pvc", ModelID: "org/b"}, {ArtifactName: "a-art", ClaimName: "a-pvc", ModelID: "org/../a"}}}
}

func TestBuildFixedReplicas(t *testing.T) {
	p := baseParams()
	three := int32(3)
	p.Scaling = Scaling{Replicas: &three}
	u, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	if u.GetAPIVersion() != "serving.kserve.io/v1beta1" || u.GetKind() != "InferenceService" {
		t.Fatalf("gvk %v", u.GroupVersionKind())
	}
	if u.GetLabels()["aim.eai.amd.com/template"] != "tpl_a" || u.GetLabels()["aim.eai.amd.com/metric"] != "latency" ||
		u.GetLabels()["app.kubernetes.io/managed-by"] != "aim-engine" {
		t.Fatalf("labels %v", u.GetLabels())
	}
	if a := u.GetAnnotations(); a["serving.kserve.io/autoscalerClass"] != "none" || a["sidecar.opentelemetry.io/inject"] != "" {
		t.Fatalf("annotations %v", a)
	}
	min, _, _ := unstructured.NestedInt64(u.Object, "spec", "predictor", "minReplicas")
	max, _, _ := unstructured.NestedInt64(u.Object, "spec", "predictor", "maxReplicas")
	if min != 3 || max != 3 {
		t.Fatalf("min/max = %d/%d", min, max)
	}
	vols, mounts, err := ExtraVolumes(u)
	if err != nil {
		t.Fatal(err)
	}
	if len(vols) != 2 || vols[0].Name != "a-art" || vols[0].PersistentVolumeClaim.ClaimName != "a-pvc" {
		t.Fatalf("volumes %+v", vols)
	}
	if len(mounts) != 2 || mounts[0].MountPath != "/workspace/cache/org//a" || mounts[1].MountPath != "/workspace/cache/org/b" {
		t.Fatalf("mounts %+v", mounts)
	}
	if !HasPVCVolumes(u) {
		t.Fatal("HasPVCVolumes = false")
	}
}

func TestBuildAutoscaling(t *testing.T) {
	p := baseParams()
	two, five := int32(2), int32(5)
	p.Scaling = Scaling{Autoscaling: true, MinReplicas: &two, MaxReplicas: &five,
		Metrics: []any{map[string]any{"type": "PodMetric", "podmetric": map[string]any{"metric": map[string]any{"backend": "opentelemetry"}}}}}
	u, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	a := u.GetAnnotations()
	if a["serving.kserve.io/autoscalerClass"] != "keda" || a["sidecar.opentelemetry.io/inject"] != "svc-e204f50a-predictor" || a["prometheus.kserve.io/port"] != "8000" {
		t.Fatalf("annotations %v", a)
	}
	min, _, _ := unstructured.NestedInt64(u.Object, "spec", "predictor", "minReplicas")
	max, _, _ := unstructured.NestedInt64(u.Object, "spec", "predictor", "maxReplicas")
	m, _, _ := unstructured.NestedSlice(u.Object, "spec", "predictor", "autoScaling", "metrics")
	if min != 2 || max != 5 || len(m) != 1 {
		t.Fatalf("min/max/metrics = %d/%d/%v", min, max, m)
	}
	if mn, mx := (Scaling{Autoscaling: true}).Bounds(); mn != 1 || mx != 1 {
		t.Fatalf("default autoscaling bounds %d/%d", mn, mx)
	}
	if mn, mx := (Scaling{Autoscaling: true, MinReplicas: &two}).Bounds(); mn != 2 || mx != 2 {
		t.Fatalf("max defaults to min: %d/%d", mn, mx)
	}
}

func TestBuildUpdateKeepsExistingVolumes(t *testing.T) {
	created, err := Build(baseParams())
	if err != nil {
		t.Fatal(err)
	}
	p := baseParams()
	p.CacheVolumes = []CacheVolume{{ArtifactName: "new", ClaimName: "new-pvc", ModelID: "org/new"}}
	p.Existing = created
	updated, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	vols, mounts, _ := ExtraVolumes(updated)
	if len(vols) != 2 || vols[0].Name != "a-art" || len(mounts) != 2 {
		t.Fatalf("update must keep existing cache volumes and add none: %+v %+v", vols, mounts)
	}
	if NeedsApply(created, updated) {
		t.Fatal("same content must hash the same")
	}
	p.Image = "img:2"
	changed, _ := Build(p)
	if !NeedsApply(created, changed) {
		t.Fatal("image change must need apply")
	}
	// A lost cache (no cache volumes offered) on update still keeps the mounts.
	p = baseParams()
	p.CacheVolumes = nil
	p.Existing = created
	kept, _ := Build(p)
	if !HasPVCVolumes(kept) {
		t.Fatal("lost cache dropped the volumes")
	}
}

func TestBuildAffinityPullSecretsSA(t *testing.T) {
	p := baseParams()
	p.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "reg"}}
	p.ServiceAccountName = "sa"
	p.NodeAffinity = &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "amd.com/gpu.device-id", Operator: "In", Values: []string{"74a1"}}}}}}}
	u, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	sa, _, _ := unstructured.NestedString(u.Object, "spec", "predictor", "serviceAccountName")
	ps, _, _ := unstructured.NestedSlice(u.Object, "spec", "predictor", "imagePullSecrets")
	terms, _, _ := unstructured.NestedSlice(u.Object, "spec", "predictor", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
	if sa != "sa" || len(ps) != 1 || len(terms) != 1 {
		t.Fatalf("sa=%q ps=%v terms=%v", sa, ps, terms)
	}
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "predictor", "containers")
	c := cs[0].(map[string]any)
	if c["name"] != "kserve-container" || c["image"] != "img:1" {
		t.Fatalf("container %v", c)
	}
	if ReadyCondition(u) != "" {
		t.Fatal("fresh object has no Ready")
	}
}

func TestBuildKeepsEmptyDirVolumeOnUpdate(t *testing.T) {
	created, _ := Build(baseParams())
	vols, _, _ := unstructured.NestedSlice(created.Object, "spec", "predictor", "volumes")
	vols = append(vols, map[string]any{"name": "scratch", "emptyDir": map[string]any{}})
	_ = unstructured.SetNestedSlice(created.Object, vols, "spec", "predictor", "volumes")
	p := baseParams()
	p.Existing = created
	u, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := ExtraVolumes(u)
	var found bool
	for _, v := range got {
		if v.Name == "scratch" {
			found = v.EmptyDir != nil
		}
	}
	if !found {
		t.Fatalf("emptyDir volume lost: %+v", got)
	}
}
