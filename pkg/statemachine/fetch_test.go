package statemachine

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

func TestFetchFromListersAndClients(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns", Labels: map[string]string{"k": "v"}}}
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	_ = idx.Add(cm)
	lister := corelisters.NewConfigMapLister(idx).ConfigMaps("ns")

	got := Fetch(lister, "a")
	if !got.OK() || got.HasError() || got.IsNotFound() || got.Value.Name != "a" {
		t.Fatalf("cached get = %+v", got)
	}
	miss := Fetch(lister, "b")
	if miss.OK() || !miss.IsNotFound() || miss.Value != nil {
		t.Fatalf("cached miss = %+v", miss)
	}
	list := FetchList(lister, labels.SelectorFromSet(labels.Set{"k": "v"}))
	if !list.OK() || len(list.Value) != 1 {
		t.Fatalf("cached list = %+v", list)
	}
	if all := FetchList(lister, nil); len(all.Value) != 1 {
		t.Fatal("nil selector means everything")
	}

	cs := fake.NewClientset(cm)
	live := FetchLive(context.Background(), cs.CoreV1().ConfigMaps("ns"), "a")
	if !live.OK() || live.Value.Name != "a" {
		t.Fatalf("live get = %+v", live)
	}
	if m := FetchLive(context.Background(), cs.CoreV1().ConfigMaps("ns"), "zz"); !m.IsNotFound() {
		t.Fatal("live miss")
	}
	ll := FetchListLive(context.Background(), cs.CoreV1().ConfigMaps("ns"), metav1.ListOptions{})
	if !ll.OK() || len(ll.Value.Items) != 1 {
		t.Fatalf("live list = %+v", ll)
	}
}

func TestHealthConverters(t *testing.T) {
	nf := apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x")
	boom := errors.New("boom")
	inspect := func(c *corev1.ConfigMap) ComponentHealth {
		if c == nil {
			return ComponentHealth{State: StatePending, Reason: "Nil"}
		}
		return ComponentHealth{State: StateReady, Reason: "Fine"}
	}
	ok := FetchResult[*corev1.ConfigMap]{Value: &corev1.ConfigMap{}}
	missing := FetchResult[*corev1.ConfigMap]{Error: nf}
	failed := FetchResult[*corev1.ConfigMap]{Error: boom}
	// A categorized error wrapping a NotFound is re-labelled by the upstream wrapper too.
	wrapped := FetchResult[*corev1.ConfigMap]{Error: NewMissingUpstreamDependencyError("ConfigNotFound", "RuntimeConfig x not found", nf)}

	check := func(name string, h ComponentHealth, state State, reason, msg string, dep DependencyType) {
		t.Helper()
		if h.Component != "C" || h.GetState() != state || h.GetReason() != reason || (msg != "" && h.GetMessage() != msg) || h.DependencyType != dep {
			t.Errorf("%s: %+v state=%s reason=%s msg=%s", name, h, h.GetState(), h.GetReason(), h.GetMessage())
		}
	}
	check("plain ok", ok.ToComponentHealth("C", inspect), StateReady, "Fine", "", "")
	check("plain nil value", FetchResult[*corev1.ConfigMap]{}.ToComponentHealth("C", inspect), StatePending, "Nil", "", "")
	check("plain not found", missing.ToComponentHealth("C", inspect), StateProgressing, "NotFound", "Resource not found", "")
	check("plain error", failed.ToComponentHealth("C", inspect), StateProgressing, "UnknownError", "boom", "")
	check("upstream ok", ok.ToUpstreamComponentHealth("C", inspect), StateReady, "Fine", "", DependencyUpstream)
	check("upstream not found", missing.ToUpstreamComponentHealth("C", inspect), StateDegraded, "ReferenceNotFound", "Upstream dependency not found", DependencyUpstream)
	check("upstream wrapped not found", wrapped.ToUpstreamComponentHealth("C", inspect), StateDegraded, "ReferenceNotFound", "Upstream dependency not found", DependencyUpstream)
	check("plain wrapped", wrapped.ToComponentHealth("C", inspect), StateDegraded, "ConfigNotFound", "RuntimeConfig x not found", "")
	check("upstream error", failed.ToUpstreamComponentHealth("C", inspect), StateProgressing, "UnknownError", "boom", DependencyUpstream)
	check("downstream ok", ok.ToDownstreamComponentHealth("C", inspect), StateReady, "Fine", "", DependencyDownstream)
	check("downstream not found", missing.ToDownstreamComponentHealth("C", inspect), StateProgressing, "ResourceNotReady", "Downstream resource not found or being created", DependencyDownstream)

	type ctxKey struct{}
	var seen any
	ctxInspect := func(ctx context.Context, _ *corev1.ConfigMap) ComponentHealth {
		seen = ctx.Value(ctxKey{})
		return ComponentHealth{Reason: "Ctx"}
	}
	ctx := context.WithValue(context.Background(), ctxKey{}, "mine")
	check("context ok", ok.ToComponentHealthWithContext(ctx, "C", ctxInspect), StateReady, "Ctx", "", "")
	if seen != "mine" {
		t.Error("context not passed")
	}
	seen = nil
	check("context error", failed.ToComponentHealthWithContext(ctx, "C", ctxInspect), StateProgressing, "UnknownError", "boom", "")
	if seen != nil {
		t.Error("inspector must not run on a fetch error")
	}
}
