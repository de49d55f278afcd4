// Package statemachine_test runs pkg/statemachine against a real control plane (internal/testenv): owned
// children are applied with server-side apply and garbage-collected with their owner, an unchanged object
// costs no mutating request, status conflicts are retried, and foreign CRD objects are applied and owned.
package statemachine_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/go-logr/logr"

	"github.com/aimlite/aimlite/internal/testenv"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard()) // condition logs are asserted in the unit tests
	env.Main(m)
}

type U = *unstructured.Unstructured

var (
	routeGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	routeGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	isvcGVR  = schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}
	cmGVR    = corev1.SchemeGroupVersion.WithResource("configmaps")
)

// owner reconciles an HTTPRoute (standing in for any primary kind without Go types): it owns a ConfigMap
// and an InferenceService (a foreign, schema-less CRD) and reports both as components.
type owner struct{ dyn dynamic.Interface }

type seen struct{ cm, isvc sm.FetchResult[U] }

func ready(U) sm.ComponentHealth { return sm.ComponentHealth{State: sm.StateReady} }

func (s seen) GetComponentHealth() []sm.ComponentHealth {
	return []sm.ComponentHealth{
		s.cm.ToDownstreamComponentHealth("ConfigMap", ready),
		s.isvc.ToDownstreamComponentHealth("InferenceService", ready),
	}
}

func (o owner) FetchRemoteState(ctx context.Context, rc sm.ReconcileContext[U]) seen {
	ns, name := rc.Object.GetNamespace(), rc.Object.GetName()
	return seen{
		cm:   sm.FetchUnstructured(ctx, o.dyn.Resource(cmGVR).Namespace(ns), name),
		isvc: sm.FetchUnstructured(ctx, o.dyn.Resource(isvcGVR).Namespace(ns), name+"-model"),
	}
}

func (owner) ComposeState(_ context.Context, _ sm.ReconcileContext[U], s seen) seen { return s }

func (owner) PlanResources(_ context.Context, rc sm.ReconcileContext[U], _ seen) sm.PlanResult {
	ns, name := rc.Object.GetNamespace(), rc.Object.GetName()
	var p sm.PlanResult
	p.Apply(corev1ac.ConfigMap(name, ns).WithData(map[string]string{"route": name}))
	isvc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
		"metadata": map[string]any{"name": name + "-model", "namespace": ns},
		"spec":     map[string]any{"predictor": map[string]any{"model": map[string]any{"storageUri": "s3://m"}}},
	}}
	p.Apply(isvc)
	return p
}

type fixture struct {
	ns       string
	routes   dynamic.ResourceInterface
	pipeline *sm.Pipeline[U, U, seen, seen]
	mutating *testenv.Mutations
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ns := env.Namespace(t)
	cfg, c := testenv.CountMutations(env.Config)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	routes := dyn.Resource(routeGVR).Namespace(ns)
	p := &sm.Pipeline[U, U, seen, seen]{
		Name:       "owner",
		Reconciler: owner{dyn: dyn},
		StatusOf:   func(u U) U { return u },
		Fields:     sm.UnstructuredStatus,
		UpdateStatus: func(ctx context.Context, u U) error {
			_, err := routes.UpdateStatus(ctx, u, metav1.UpdateOptions{})
			return err
		},
		OwnerGVK: routeGVK,
		Applier:  sm.NewApplier(dyn, sm.MapperResolver(mapper), "statemachine-test"),
	}
	route := &unstructured.Unstructured{}
	route.SetGroupVersionKind(routeGVK)
	route.SetName("r")
	if _, err := env.Dynamic.Resource(routeGVR).Namespace(ns).Create(context.Background(), route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return &fixture{ns: ns, routes: routes, pipeline: p, mutating: c}
}

func (f *fixture) get(t *testing.T) U {
	t.Helper()
	u, err := env.Dynamic.Resource(routeGVR).Namespace(f.ns).Get(context.Background(), "r", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) run(t *testing.T, obj U) sm.Result {
	t.Helper()
	res, err := f.pipeline.Run(context.Background(), obj)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func controllerOf(t *testing.T, u U, want U) {
	t.Helper()
	refs := u.GetOwnerReferences()
	if len(refs) != 1 || refs[0].UID != want.GetUID() || refs[0].Kind != "HTTPRoute" || refs[0].Controller == nil || !*refs[0].Controller ||
		refs[0].BlockOwnerDeletion == nil || !*refs[0].BlockOwnerDeletion {
		t.Fatalf("%s %s: owner refs %+v", u.GetKind(), u.GetName(), refs)
	}
}

func TestOwnedChildrenAppliedThenQuietThenCollected(t *testing.T) {
	f := setup(t)
	ctx := context.Background()

	f.run(t, f.get(t)) // applies both children; they were absent, so the route is Progressing
	route := f.get(t)
	if st := sm.UnstructuredStatus(route).GetStatus(); st != "Progressing" {
		t.Fatalf("first status %q", st)
	}
	cm, err := env.Dynamic.Resource(cmGVR).Namespace(f.ns).Get(ctx, "r", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	controllerOf(t, cm, route)
	isvc, err := env.Dynamic.Resource(isvcGVR).Namespace(f.ns).Get(ctx, "r-model", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("foreign CRD child: %v", err)
	}
	controllerOf(t, isvc, route)
	if uri, _, _ := unstructured.NestedString(isvc.Object, "spec", "predictor", "model", "storageUri"); uri != "s3://m" {
		t.Fatalf("isvc spec %v", isvc.Object["spec"])
	}
	if mf := isvc.GetManagedFields(); len(mf) != 1 || mf[0].Manager != "statemachine-test" || mf[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Fatalf("managed fields %+v", mf)
	}

	f.run(t, f.get(t)) // children now exist: Ready
	route = f.get(t)
	st := sm.UnstructuredStatus(route)
	if st.GetStatus() != "Ready" || st.GetObservedGeneration() != route.GetGeneration() {
		t.Fatalf("second status %q og %d", st.GetStatus(), st.GetObservedGeneration())
	}

	// Unchanged object, unchanged children: not a single mutating request.
	before := f.mutating.Total()
	f.run(t, route)
	if n := f.mutating.Total() - before; n != 0 {
		t.Fatalf("unchanged reconcile sent %d mutating requests", n)
	}
	// Two applies in total: the children were sent once, every later reconcile skipped them.
	if s := f.pipeline.Applier.Stats(); s.Sent != 2 || s.Skipped != 4 {
		t.Fatalf("applier stats %+v", s)
	}

	// Owner deleted → the garbage collector removes both children.
	if err := env.Dynamic.Resource(routeGVR).Namespace(f.ns).Delete(ctx, "r", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, e1 := env.Dynamic.Resource(cmGVR).Namespace(f.ns).Get(ctx, "r", metav1.GetOptions{})
		_, e2 := env.Dynamic.Resource(isvcGVR).Namespace(f.ns).Get(ctx, "r-model", metav1.GetOptions{})
		return apierrors.IsNotFound(e1) && apierrors.IsNotFound(e2), nil
	})
	if err != nil {
		t.Fatalf("children not garbage-collected: %v", err)
	}
}

func TestStatusConflictIsRetried(t *testing.T) {
	f := setup(t)
	stale := f.get(t)
	// Someone else writes the object after we read it.
	fresh := stale.DeepCopy()
	_ = unstructured.SetNestedField(fresh.Object, "other-writer", "status", "note")
	if _, err := f.routes.UpdateStatus(context.Background(), fresh, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	res := f.run(t, stale)
	if !res.Requeue || res.RequeueAfter != 0 {
		t.Fatalf("conflict must ask for a requeue, got %+v", res)
	}
	// The requeued reconcile reads the current object and succeeds, keeping the other writer's field.
	if res := f.run(t, f.get(t)); res.Requeue {
		t.Fatalf("retry still conflicts: %+v", res)
	}
	route := f.get(t)
	if sm.UnstructuredStatus(route).GetStatus() == "" {
		t.Fatal("status not written on retry")
	}
	if note, _, _ := unstructured.NestedString(route.Object, "status", "note"); note != "other-writer" {
		t.Fatalf("other writer's field lost: %v", route.Object["status"])
	}
}

func TestEventsReachTheAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	b := record.NewBroadcaster()
	defer b.Shutdown()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: env.Client.CoreV1().Events("")})
	f.pipeline.Recorder = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "statemachine-test"})

	f.run(t, f.get(t))
	f.run(t, f.get(t))
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := env.Client.CoreV1().Events(f.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, ev := range evs.Items {
			if ev.Reason == "AllComponentsReady" && ev.Type == corev1.EventTypeNormal && ev.InvolvedObject.Kind == "HTTPRoute" &&
				ev.Message == "All components are ready" && ev.Source.Component == "statemachine-test" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no AllComponentsReady event: %v", err)
	}
}
