package controller

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
)

func TestNewInformerSelectsAndTransforms(t *testing.T) {
	mine := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "mine", Labels: map[string]string{"owned": "yes"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "someone"}}}}
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other"}}
	client := fake.NewClientset(mine, other)
	inf := NewInformer[*corev1.PodList](client.CoreV1().Pods(""), &corev1.Pod{},
		CacheOptions{LabelSelector: "owned", Transform: StripTransform("me"), Clientset: client})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go inf.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("no sync")
	}
	keys := inf.GetStore().ListKeys()
	if len(keys) != 1 || keys[0] != "ns/mine" {
		t.Fatalf("cached %v, want only the labelled pod", keys)
	}
	obj, _, _ := inf.GetStore().GetByKey("ns/mine")
	if mf := obj.(*corev1.Pod).ManagedFields; len(mf) != 0 {
		t.Fatalf("transform not applied: %v", mf)
	}
	if _, err := inf.GetIndexer().ByIndex(cache.NamespaceIndex, "ns"); err != nil {
		t.Fatalf("namespace index missing: %v", err)
	}
}
