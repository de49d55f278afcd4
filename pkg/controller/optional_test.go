package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
)

// stubDiscovery serves the resources it is told to, thread-safely.
type stubDiscovery struct {
	mu        sync.Mutex
	resources map[string][]string // groupVersion -> resource names
	calls     int
}

func (s *stubDiscovery) set(gv string, names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resources == nil {
		s.resources = map[string][]string{}
	}
	s.resources[gv] = names
}

func (s *stubDiscovery) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	names, ok := s.resources[gv]
	if !ok {
		return nil, notFound(gv)
	}
	l := &metav1.APIResourceList{GroupVersion: gv}
	for _, n := range names {
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: n})
	}
	return l, nil
}

func notFound(gv string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: gv}, "")
}

var isvcGVR = schema.GroupVersionResource{Group: "serving.example.com", Version: "v1beta1", Resource: "inferenceservices"}

func TestOptionalKindStartsWhenServedAndReenqueuesPrimaries(t *testing.T) {
	isvc := &unstructured.Unstructured{}
	isvc.SetAPIVersion("serving.example.com/v1beta1")
	isvc.SetKind("InferenceService")
	isvc.SetNamespace("ns")
	isvc.SetName("web-isvc")
	isvc.SetOwnerReferences([]metav1.OwnerReference{*controllerRef("apps/v1", "Deployment", "web", "uid-web")})
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{isvcGVR: "InferenceServiceList"}, isvc)
	disco := &stubDiscovery{}
	disco.set("serving.example.com/v1beta1", "somethingelse")
	kind := NewOptionalKind(isvcGVR, OptionalKindOptions{
		NewInformer:  DynamicInformer(dyn, isvcGVR, CacheOptions{Transform: StripTransform()}),
		Discovery:    disco,
		PollInterval: time.Hour, // only Trigger may wake it
	})

	web := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "uid-web"}}
	other := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other", UID: "uid-other"}}
	f := informers.NewSharedInformerFactory(fake.NewClientset(web, other), 0)
	c := newTestController(t, Options{})
	if err := c.For(f.Apps().V1().Deployments().Informer(), deploymentGK, false); err != nil {
		t.Fatal(err)
	}
	if err := c.OwnsOptional(kind); err != nil {
		t.Fatal(err)
	}
	startFactory(t, f)
	waitLen(t, c.queue, 2)
	keys(c.queue)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go kind.Run(ctx)
	// The first check happens at once; the kind is not served.
	waitFor(t, func() bool { disco.mu.Lock(); defer disco.mu.Unlock(); return disco.calls >= 1 })
	time.Sleep(20 * time.Millisecond)
	if kind.Available() || kind.Informer() != nil {
		t.Fatal("available although not served")
	}
	if c.queue.Len() != 0 {
		t.Fatal("enqueued while unavailable")
	}

	disco.set("serving.example.com/v1beta1", "inferenceservices")
	kind.Trigger()
	waitFor(t, kind.Available)
	if kind.Informer() == nil {
		t.Fatal("no informer while available")
	}
	if _, ok, _ := kind.Informer().GetIndexer().GetByKey("ns/web-isvc"); !ok {
		t.Fatal("object not in the optional cache")
	}
	// Both primaries re-enqueued (EnqueueAll) plus the owner of the listed isvc: deduplicated to 2.
	waitLen(t, c.queue, 2)
	got := keys(c.queue)
	want := map[Key]bool{NewKey("ns", "web"): true, NewKey("ns", "other"): true}
	for _, k := range got {
		if !want[k] {
			t.Fatalf("keys = %v", got)
		}
	}

	// Events now flow: a new owned object enqueues its owner.
	isvc2 := isvc.DeepCopy()
	isvc2.SetName("web-isvc-2")
	if _, err := dyn.Resource(isvcGVR).Namespace("ns").Create(ctx, isvc2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLen(t, c.queue, 1)
	if k := keys(c.queue); k[0] != NewKey("ns", "web") {
		t.Fatalf("keys = %v", k)
	}

	// The CRD goes away: the informer stops and the kind is unavailable again.
	disco.set("serving.example.com/v1beta1")
	kind.Trigger()
	waitFor(t, func() bool { return !kind.Available() })
}

func TestWatchCRDsTriggersByName(t *testing.T) {
	kind := NewOptionalKind(isvcGVR, OptionalKindOptions{})
	h := crdNotifier(kind)
	h(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "other.example.com"}})
	select {
	case <-kind.trigger:
		t.Fatal("triggered by an unrelated CRD")
	default:
	}
	h(&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "inferenceservices.serving.example.com"}})
	select {
	case <-kind.trigger:
	default:
		t.Fatal("not triggered by its CRD")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 5*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil }); err != nil {
		t.Fatal("condition not met in time")
	}
}

func TestDynamicInformerScopesSelectsAndTransforms(t *testing.T) {
	mk := func(ns, name, app string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("serving.example.com/v1beta1")
		u.SetKind("InferenceService")
		u.SetNamespace(ns)
		u.SetName(name)
		u.SetLabels(map[string]string{"app": app})
		u.SetAnnotations(map[string]string{LastAppliedAnnotation: "{}"})
		u.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "kubectl"}})
		return u
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{isvcGVR: "InferenceServiceList"},
		mk("ns", "a", "mine"), mk("ns", "other", "theirs"), mk("elsewhere", "b", "mine"))
	newInf := DynamicInformer(dyn, isvcGVR, CacheOptions{Namespace: "ns", LabelSelector: "app=mine", Transform: StripTransform()})
	if newInf() == newInf() {
		t.Fatal("NewInformer must build a fresh informer each time")
	}
	inf := newInf()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go inf.RunWithContext(ctx)
	waitFor(t, inf.HasSynced)
	if keys := inf.GetStore().ListKeys(); len(keys) != 1 || keys[0] != "ns/a" {
		t.Fatalf("cached keys = %v, want [ns/a]", keys)
	}
	obj, _, _ := inf.GetStore().GetByKey("ns/a")
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		t.Fatalf("cached %T, want *Unstructured", obj)
	}
	if len(u.GetManagedFields()) != 0 || len(u.GetAnnotations()) != 0 {
		t.Fatalf("transform not applied: %v", u.Object["metadata"])
	}
	if byNS, err := inf.GetIndexer().ByIndex(cache.NamespaceIndex, "ns"); err != nil || len(byNS) != 1 {
		t.Fatalf("namespace index = %v, %v", byNS, err)
	}
	// Watch events flow into the cache.
	if _, err := dyn.Resource(isvcGVR).Namespace("ns").Create(ctx, mk("ns", "c", "mine"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok, _ := inf.GetStore().GetByKey("ns/c"); return ok })
	var sawList, sawWatch bool
	for _, a := range dyn.Actions() {
		if a.GetNamespace() != "ns" {
			t.Fatalf("%s in namespace %q", a.GetVerb(), a.GetNamespace())
		}
		switch a := a.(type) {
		case clienttesting.ListActionImpl:
			sawList = a.GetListRestrictions().Labels.String() == "app=mine"
		case clienttesting.WatchActionImpl:
			sawWatch = a.GetWatchRestrictions().Labels.String() == "app=mine"
		}
	}
	if !sawList || !sawWatch {
		t.Fatalf("selected list %v, selected watch %v: %v", sawList, sawWatch, dyn.Actions())
	}
}
