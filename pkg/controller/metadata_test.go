package controller

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
)

func partialMeta(ns, name string, lbls map[string]string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls,
			Annotations:   map[string]string{LastAppliedAnnotation: "{}"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
	}
}

func TestMetadataInformer(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	scheme := metadatafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	mine := map[string]string{"app": "mine"}
	client := metadatafake.NewSimpleMetadataClient(scheme,
		partialMeta("ns", "a", mine), partialMeta("ns", "other", map[string]string{"app": "theirs"}),
		partialMeta("elsewhere", "b", mine))
	inf := NewMetadataInformer(client, gvr, CacheOptions{Namespace: "ns", LabelSelector: "app=mine",
		FieldSelector: "metadata.name!=zzz", Transform: StripTransform(), Resync: time.Hour})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go inf.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("not synced")
	}
	keys := inf.GetStore().ListKeys()
	if len(keys) != 1 || keys[0] != "ns/a" {
		t.Fatalf("cached keys = %v, want [ns/a]", keys)
	}
	obj, _, _ := inf.GetStore().GetByKey("ns/a")
	pm, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		t.Fatalf("cached %T, want *PartialObjectMetadata", obj)
	}
	if len(pm.ManagedFields) != 0 || len(pm.Annotations) != 0 {
		t.Fatalf("transform not applied: %+v", pm.ObjectMeta)
	}
	if byNS, err := inf.GetIndexer().ByIndex(cache.NamespaceIndex, "ns"); err != nil || len(byNS) != 1 {
		t.Fatalf("namespace index = %v, %v", byNS, err)
	}
	// Events flow: a new matching object appears in the cache.
	if _, err := client.Resource(gvr).Namespace("ns").(metadatafake.MetadataClient).CreateFake(partialMeta("ns", "c", mine), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok, _ := inf.GetStore().GetByKey("ns/c"); return ok })
	// List and watch went to the namespace with both selectors.
	var sawList, sawWatch bool
	for _, a := range client.Actions() {
		if a.GetNamespace() != "ns" || a.GetResource() != gvr {
			t.Fatalf("action %v on %s/%v", a.GetVerb(), a.GetNamespace(), a.GetResource())
		}
		switch a := a.(type) {
		case clienttesting.ListActionImpl:
			sawList = true
			checkSelectors(t, a.GetListRestrictions().Labels.String(), a.GetListRestrictions().Fields.String())
		case clienttesting.WatchActionImpl:
			sawWatch = true
			checkSelectors(t, a.GetWatchRestrictions().Labels.String(), a.GetWatchRestrictions().Fields.String())
		}
	}
	if !sawList || !sawWatch {
		t.Fatalf("list %v, watch %v", sawList, sawWatch)
	}
}

func checkSelectors(t *testing.T, label, field string) {
	t.Helper()
	if label != "app=mine" || field != "metadata.name!=zzz" {
		t.Fatalf("selectors = %q, %q", label, field)
	}
}
