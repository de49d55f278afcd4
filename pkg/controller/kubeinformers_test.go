package controller

import (
	"context"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/kubeclient/clientsetadapter"
)

func TestKubeInformersMemoiseScopeAndRegister(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "mine", Labels: map[string]string{"owned": "yes"}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "unlabelled"}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "elsewhere", Name: "theirs", Labels: map[string]string{"owned": "yes"}}},
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "job", Labels: map[string]string{"owned": "yes"}}},
	)
	mgr := NewManager()
	k := NewKubeInformers(mgr, clientsetadapter.New(client), CacheOptions{Namespace: "ns"})
	pods := k.Pods("owned")
	if k.Pods("owned") != pods {
		t.Fatal("same kind and selector must share one informer")
	}
	if k.Pods("other") == pods || k.Jobs("owned") == pods {
		t.Fatal("another selector or kind must get its own informer")
	}
	if got := len(mgr.informers); got != 3 {
		t.Fatalf("manager runs %d informers, want 3", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pods.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), pods.HasSynced) {
		t.Fatal("no sync")
	}
	if keys := pods.GetStore().ListKeys(); len(keys) != 1 || keys[0] != "ns/mine" {
		t.Fatalf("cached %v, want only the labelled pod of the namespace", keys)
	}
}
