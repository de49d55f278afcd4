package statemachine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

// widget is a minimal primary kind for tests.
type widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Status            widgetStatus `json:"status"`
}

type widgetStatus struct {
	Conditions         []metav1.Condition `json:"conditions,omitempty"`
	Status             string             `json:"status,omitempty"`
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
	Extra              string             `json:"extra,omitempty"`
}

func (w *widget) DeepCopyObject() runtime.Object {
	out := *w
	w.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Status.Conditions = nil
	for _, c := range w.Status.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, *c.DeepCopy())
	}
	return &out
}

// widgetStatus implements Status, so tests can run without Pipeline.Fields.
func (s *widgetStatus) GetConditions() []metav1.Condition  { return s.Conditions }
func (s *widgetStatus) SetConditions(c []metav1.Condition) { s.Conditions = c }
func (s *widgetStatus) GetStatus() string                  { return s.Status }
func (s *widgetStatus) SetStatus(v string)                 { s.Status = v }
func (s *widgetStatus) GetObservedGeneration() int64       { return s.ObservedGeneration }
func (s *widgetStatus) SetObservedGeneration(g int64)      { s.ObservedGeneration = g }

var widgetGVK = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}

func newWidget() *widget {
	return &widget{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns", UID: types.UID("uid-w"), Generation: 3}}
}

// funcReconciler builds a reconciler from closures; the observation is the health list itself.
type funcReconciler struct {
	health   func() []ComponentHealth
	plan     func(*widget) PlanResult
	decorate func(*widgetStatus, *ConditionManager)
}

type healthObs struct{ hs []ComponentHealth }

func (o healthObs) GetComponentHealth() []ComponentHealth { return o.hs }

func (r *funcReconciler) FetchRemoteState(_ context.Context, _ ReconcileContext[*widget]) []ComponentHealth {
	if r.health == nil {
		return nil
	}
	return r.health()
}
func (r *funcReconciler) ComposeState(_ context.Context, _ ReconcileContext[*widget], f []ComponentHealth) healthObs {
	return healthObs{f}
}
func (r *funcReconciler) PlanResources(_ context.Context, rc ReconcileContext[*widget], _ healthObs) PlanResult {
	if r.plan == nil {
		return PlanResult{}
	}
	return r.plan(rc.Object)
}

type decoratingReconciler struct{ *funcReconciler }

func (r decoratingReconciler) DecorateStatus(s *widgetStatus, cm *ConditionManager, _ healthObs) {
	r.decorate(s, cm)
}

// statusStore records status writes and can fail them.
type statusStore struct {
	mu     sync.Mutex
	writes []*widget
	err    error
}

func (s *statusStore) update(_ context.Context, w *widget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.writes = append(s.writes, w.DeepCopyObject().(*widget))
	return nil
}

func (s *statusStore) last(t testing.TB) *widget {
	t.Helper()
	if len(s.writes) == 0 {
		t.Fatal("no status write")
	}
	return s.writes[len(s.writes)-1]
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type env struct {
	cs       *fake.Clientset
	dyn      *dynamicfake.FakeDynamicClient
	store    *statusStore
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	applier  *Applier
}

// testResolver knows the kinds the tests apply.
var testResolver = ResolverFunc(func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
	switch gvk.Kind {
	case "ConfigMap":
		return corev1.SchemeGroupVersion.WithResource("configmaps"), true, nil
	case "Secret":
		return corev1.SchemeGroupVersion.WithResource("secrets"), true, nil
	case "Namespace":
		return corev1.SchemeGroupVersion.WithResource("namespaces"), false, nil
	}
	return schema.GroupVersionResource{}, false, errors.New("unknown kind " + gvk.Kind)
})

// newEnv: a field-managed typed fake (real SSA merge semantics) and a dynamic fake sharing its tracker.
func newEnv(objs ...runtime.Object) *env {
	cs := fake.NewClientset(objs...)
	dyn := dynamicfake.NewSimpleDynamicClient(scheme.Scheme)
	typed := k8stesting.ObjectReaction(cs.Tracker())
	dyn.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := typed(a)
		if err != nil || obj == nil {
			return handled, obj, err
		}
		if _, ok := obj.(*unstructured.Unstructured); ok {
			return handled, obj, nil
		}
		if _, ok := obj.(*unstructured.UnstructuredList); ok {
			return handled, obj, nil
		}
		gvks, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil {
			return true, nil, err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return true, nil, err
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(gvks[0])
		return true, u, nil
	})
	e := &env{cs: cs, dyn: dyn, store: &statusStore{}, clock: clocktesting.NewFakeClock(t0), recorder: record.NewFakeRecorder(1000)}
	e.applier = NewApplier(dyn, testResolver, "test-controller")
	return e
}

func (e *env) pipeline(r DomainReconciler[*widget, []ComponentHealth, healthObs]) *Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs] {
	return &Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]{
		Name:         "test",
		Reconciler:   r,
		StatusOf:     func(w *widget) *widgetStatus { return &w.Status },
		UpdateStatus: e.store.update,
		OwnerGVK:     widgetGVK,
		Applier:      e.applier,
		Recorder:     e.recorder,
		Clock:        e.clock,
	}
}

// events drains the fake recorder.
func (e *env) events() []string {
	var out []string
	for {
		select {
		case ev := <-e.recorder.Events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

// mutations counts mutating actions seen by the dynamic fake.
func mutations(actions []k8stesting.Action) int {
	n := 0
	for _, a := range actions {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			n++
		}
	}
	return n
}

func cond(cs []metav1.Condition, t string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

func infraErr() error { return apierrors.NewServiceUnavailable("down") }

func metaRESTMapper() *meta.DefaultRESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(corev1.SchemeGroupVersion.WithKind("ConfigMap"), meta.RESTScopeNamespace)
	m.Add(corev1.SchemeGroupVersion.WithKind("Namespace"), meta.RESTScopeRoot)
	return m
}
