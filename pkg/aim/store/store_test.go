package store

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

func TestIndexerStore(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, p := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "x", Labels: map[string]string{"k": "1"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b", Namespace: "x"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "y", Labels: map[string]string{"k": "1"}}},
	} {
		_ = idx.Add(p)
	}
	s := FromIndexer[*corev1.Pod](idx, schema.GroupResource{Resource: "pods"})
	if p, err := s.Get("x", "a"); err != nil || p.Namespace != "x" {
		t.Fatalf("Get = %v, %v", p, err)
	}
	if _, err := s.Get("x", "zz"); !apierrors.IsNotFound(err) {
		t.Fatalf("want NotFound, got %v", err)
	}
	if l, _ := s.List("x", nil); len(l) != 2 {
		t.Fatalf("List(x) = %d", len(l))
	}
	if l, _ := s.List("", labels.SelectorFromSet(labels.Set{"k": "1"})); len(l) != 2 {
		t.Fatalf("List(all, k=1) = %d", len(l))
	}
	if p, err := In(s, "y").Get("a"); err != nil || p.Namespace != "y" {
		t.Fatalf("In(y).Get = %v, %v", p, err)
	}
}
