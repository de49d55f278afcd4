package wiring

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

func TestEnsureIndexersIsIdempotent(t *testing.T) {
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.ConfigMap{}, 0, cache.Indexers{})
	idx := cache.Indexers{"x": func(any) ([]string, error) { return nil, nil }}
	if err := EnsureIndexers(inf, idx); err != nil {
		t.Fatal(err)
	}
	if err := EnsureIndexers(inf, idx); err != nil {
		t.Fatalf("second registration of the same index must be a no-op: %v", err)
	}
}

func TestResolverAndLookup(t *testing.T) {
	gvr, namespaced, err := Resolver(nil).ResourceFor(aimv1.SchemeGroupVersion.WithKind("AIMClusterServiceTemplate"))
	if err != nil || namespaced || gvr.Resource != "aimclusterservicetemplates" {
		t.Errorf("cluster template: %v %v %v", gvr, namespaced, err)
	}
	if _, _, err := Resolver(nil).ResourceFor(schema.GroupVersionKind{Kind: "Nope"}); err == nil {
		t.Error("unknown kind must fail without a fallback")
	}
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.ConfigMap{}, 0, cache.Indexers{})
	_ = inf.GetStore().Add(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "n", ResourceVersion: "7"}})
	gvrCM := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	look := CacheLookup(nil, map[schema.GroupVersionResource]cache.SharedIndexInformer{gvrCM: inf})
	if rv, err := look(context.Background(), gvrCM, "n", "c"); err != nil || rv != "7" {
		t.Errorf("cached rv %q %v", rv, err)
	}
	if _, err := look(context.Background(), gvrCM, "n", "missing"); !apierrors.IsNotFound(err) {
		t.Errorf("missing: %v", err)
	}
}
