package templatecache

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/store"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

func art(name, uri, status string, owners ...types.UID) *aimv1.AIMArtifact {
	a := &aimv1.AIMArtifact{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: aimv1.AIMArtifactSpec{SourceURI: uri}, Status: aimv1.AIMArtifactStatus{Status: aimv1.AIMStatus(status)}}
	for _, o := range owners {
		a.OwnerReferences = append(a.OwnerReferences, metav1.OwnerReference{UID: o, Name: "c", Kind: "AIMTemplateCache"})
	}
	return a
}

func TestBuildArtifactName(t *testing.T) {
	c := &aimv1.AIMTemplateCache{ObjectMeta: metav1.ObjectMeta{Name: "tpl-a-e204f50a", Namespace: "ns"},
		Spec: aimv1.AIMTemplateCacheSpec{TemplateName: "tpl-a", TemplateScope: "Namespace", Mode: "Shared"}}
	a := BuildArtifact(c, aimv1.AIMModelSource{SourceURI: "hf://meta-llama/Llama-3.1-8B-Instruct", ModelID: "meta-llama/Llama-3.1-8B-Instruct"}, 0)
	if a.Name != "hf---meta-llama-llama-3-1-8b-instruct-814d4ab846" {
		t.Fatalf("name %s (catalogue §3.4 worked example)", a.Name)
	}
	if a.Labels["template-created"] != "true" || a.Labels["aim.eai.amd.com/template-cache.name"] != "tpl-a-e204f50a" ||
		a.Labels["aim.eai.amd.com/template.index"] != "0" || a.Labels["aim.eai.amd.com/template.scope"] != "Namespace" {
		t.Fatalf("labels %v", a.Labels)
	}
	c.Spec.Mode = "Dedicated"
	if d := BuildArtifact(c, aimv1.AIMModelSource{SourceURI: "hf://meta-llama/Llama-3.1-8B-Instruct"}, 0); d.Name == a.Name {
		t.Fatal("dedicated artifacts must not share the shared name")
	}
}

func TestMatchOwnership(t *testing.T) {
	cacheUID := types.UID("cache-1")
	srcs := []aimv1.AIMModelSource{{SourceURI: "hf://a/x"}, {SourceURI: "hf://b/y"}}
	arts := []*aimv1.AIMArtifact{
		art("shared-a", "hf://a/x", "Ready"),
		art("owned-other-b", "hf://b/y", "Ready", "other"),
		art("owned-mine-a", "hf://a/x", "Progressing", cacheUID),
	}
	tests := []struct {
		mode  string
		wantA string
		wantB string
	}{
		{mode: "Shared", wantA: "shared-a", wantB: ""},
		{mode: "Dedicated", wantA: "owned-mine-a", wantB: ""},
	}
	for _, tt := range tests {
		c := &aimv1.AIMTemplateCache{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", UID: cacheUID},
			Spec: aimv1.AIMTemplateCacheSpec{Mode: aimv1.AIMCachingMode(tt.mode)}}
		ms := Match(c, srcs, arts)
		got := func(i int) string {
			if ms[i].Artifact == nil {
				return ""
			}
			return ms[i].Artifact.Name
		}
		if got(0) != tt.wantA || got(1) != tt.wantB {
			t.Errorf("%s: got %q %q", tt.mode, got(0), got(1))
		}
	}
}

func TestTemplateHealth(t *testing.T) {
	mk := func(status string, conds ...metav1.Condition) *tpl {
		return &tpl{Status: &aimv1.AIMServiceTemplateStatus{Status: aimv1.AIMStatus(status)}, Conditions: conds}
	}
	tests := []struct {
		name   string
		t      *tpl
		state  sm.State
		reason string
	}{
		{"ready", mk("Ready", metav1.Condition{Type: "Ready", Status: "True", Reason: "AllComponentsReady"}), sm.StateReady, "AllComponentsReady"},
		{"progressing", mk("Progressing", metav1.Condition{Type: "Ready", Status: "False", Reason: "Progressing"}), sm.StateProgressing, "Progressing"},
		{"false no status", mk("", metav1.Condition{Type: "Ready", Status: "False", Reason: "X"}), sm.StateFailed, "X"},
		{"unknown", mk("Ready", metav1.Condition{Type: "Ready", Status: "Unknown", Reason: "U"}), sm.StateProgressing, "U"},
		{"no ready cond, empty status", mk(""), sm.StateReady, ReasonResourceFound},
		{"no ready cond, pending", mk("Pending"), sm.StatePending, ReasonResourceFound},
	}
	for _, tt := range tests {
		h := templateHealth(tt.t)
		if h.GetState() != tt.state || h.GetReason() != tt.reason {
			t.Errorf("%s: got %s/%s", tt.name, h.GetState(), h.GetReason())
		}
	}
}

func TestTemplateLookupByScope(t *testing.T) {
	gr := schema.GroupResource{}
	ix := func(objs ...any) cache.Indexer {
		i := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
		for _, o := range objs {
			_ = i.Add(o)
		}
		return i
	}
	nsT := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "tpl", Namespace: "ns"},
		Status: aimv1.AIMServiceTemplateStatus{Status: "Ready", ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://ns/x"}}}}
	clT := &aimv1.AIMClusterServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "tpl"},
		Status: aimv1.AIMServiceTemplateStatus{Status: "Ready", ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://cl/x"}}}}
	onlyCl := &aimv1.AIMClusterServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "cl-only"},
		Status: aimv1.AIMServiceTemplateStatus{Status: "Ready", ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://cl/only"}}}}
	r := &Reconciler{Stores: Stores{
		Templates:        store.FromIndexer[*aimv1.AIMServiceTemplate](ix(nsT), gr),
		ClusterTemplates: store.FromIndexer[*aimv1.AIMClusterServiceTemplate](ix(clT, onlyCl), gr),
	}}
	tests := []struct {
		scope, name string
		wantURI     string
		notFound    bool
	}{
		{scope: "Namespace", name: "tpl", wantURI: "hf://ns/x"},
		{scope: "Cluster", name: "tpl", wantURI: "hf://cl/x"},
		{scope: "Unknown", name: "tpl", wantURI: "hf://ns/x"},
		{scope: "Unknown", name: "cl-only", wantURI: "hf://cl/only"},
		{scope: "Namespace", name: "cl-only", notFound: true},
	}
	for _, tt := range tests {
		c := &aimv1.AIMTemplateCache{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
			Spec: aimv1.AIMTemplateCacheSpec{TemplateName: tt.name, TemplateScope: aimv1.AIMResolutionScope(tt.scope)}}
		got := r.fetchTemplate(c)
		if tt.notFound {
			if !got.IsNotFound() {
				t.Errorf("%s/%s: want NotFound, got %+v", tt.scope, tt.name, got)
			}
			continue
		}
		if got.Error != nil || got.Value.Sources[0].SourceURI != tt.wantURI {
			t.Errorf("%s/%s: got %+v", tt.scope, tt.name, got)
		}
	}
}

// Catalogue C5: spec.size is always sent (the source size, else zero); env is cache env < source env.
func TestBuildArtifactSpec(t *testing.T) {
	c := &aimv1.AIMTemplateCache{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
		Spec: aimv1.AIMTemplateCacheSpec{TemplateName: "tpl", TemplateScope: "Namespace", StorageClassName: "fast",
			RuntimeConfigName: "rc", Env: []corev1.EnvVar{{Name: "A", Value: "cache"}, {Name: "B", Value: "cache"}}}}
	src := aimv1.AIMModelSource{SourceURI: "hf://org/m", ModelID: "org/m", Env: []corev1.EnvVar{{Name: "B", Value: "src"}}}
	a := BuildArtifact(c, src, 0)
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := unstructured.NestedString(u, "spec", "size"); !ok || got != "0" {
		t.Errorf("size without a source size: %q sent=%v, want \"0\"", got, ok)
	}
	if a.Spec.SourceURI != "hf://org/m" || a.Spec.ModelID != "org/m" || a.Spec.StorageClassName != "fast" || a.Spec.RuntimeConfigName != "rc" {
		t.Errorf("spec %+v", a.Spec)
	}
	if len(a.Spec.Env) != 2 || a.Spec.Env[1].Name != "B" || a.Spec.Env[1].Value != "src" {
		t.Errorf("env %+v", a.Spec.Env)
	}
	q := resource.MustParse("5Gi")
	src.Size = &q
	a = BuildArtifact(c, src, 0)
	if a.Spec.Size == nil || a.Spec.Size.String() != "5Gi" {
		t.Errorf("source size: %v", a.Spec.Size)
	}
	q.Set(1) // the artifact holds a copy
	if a.Spec.Size.String() != "5Gi" {
		t.Errorf("size aliased the source: %v", a.Spec.Size)
	}
}
