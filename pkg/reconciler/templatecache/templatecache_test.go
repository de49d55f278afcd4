package templatecache

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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
