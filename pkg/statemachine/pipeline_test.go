package statemachine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"

	"github.com/go-logr/logr"
)

func TestMain(m *testing.M) {
	// Keep test output readable; log content is asserted through contextual loggers.
	klog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

func TestPausedObjectRunsNoPhase(t *testing.T) {
	e := newEnv()
	called := false
	r := &funcReconciler{health: func() []ComponentHealth { called = true; return nil }, plan: cmPlan}
	p := e.pipeline(r)
	p.PauseAnnotation = "example.com/paused"
	w := newWidget()
	w.Annotations = map[string]string{"example.com/paused": "true"}
	res, err := p.Run(context.Background(), w)
	if err != nil || !res.IsZero() || called || len(e.store.writes) != 0 || len(e.dyn.Actions()) != 0 {
		t.Fatalf("paused: res=%+v err=%v called=%v writes=%d", res, err, called, len(e.store.writes))
	}
	w.Annotations["example.com/paused"] = "false"
	if _, err := p.Run(context.Background(), w); err != nil || !called {
		t.Fatal("not paused must run")
	}
}

func TestRunDoesNotMutateInput(t *testing.T) {
	e := newEnv()
	w := newWidget()
	_, _ = e.pipeline(&funcReconciler{}).Run(context.Background(), w)
	if len(w.Status.Conditions) != 0 || w.Status.Status != "" {
		t.Fatalf("input mutated: %+v", w.Status)
	}
}

func TestStatusWrite(t *testing.T) {
	t.Run("conflict requeues quietly", func(t *testing.T) {
		e := newEnv()
		e.store.err = apierrors.NewConflict(schema.GroupResource{Resource: "widgets"}, "w", errors.New("rv"))
		res, err := e.pipeline(&funcReconciler{}).Run(context.Background(), newWidget())
		if err != nil || !res.Requeue || res.RequeueAfter != 0 {
			t.Fatalf("res=%+v err=%v", res, err)
		}
	})
	t.Run("other error is returned", func(t *testing.T) {
		e := newEnv()
		e.store.err = apierrors.NewInternalError(errors.New("etcd"))
		_, err := e.pipeline(&funcReconciler{}).Run(context.Background(), newWidget())
		if err == nil || !strings.Contains(err.Error(), "status update failed") {
			t.Fatalf("err=%v", err)
		}
	})
	t.Run("infra error wins over conflict", func(t *testing.T) {
		e := newEnv()
		e.store.err = apierrors.NewConflict(schema.GroupResource{Resource: "widgets"}, "w", errors.New("rv"))
		r := &funcReconciler{health: func() []ComponentHealth { return []ComponentHealth{{Component: "A", Errors: []error{infraErr()}}} }}
		res, err := e.pipeline(r).Run(context.Background(), newWidget())
		var ie *InfrastructureError
		if !errors.As(err, &ie) || !res.IsZero() || !apierrors.IsServiceUnavailable(err) {
			t.Fatalf("res=%+v err=%v", res, err)
		}
	})
	t.Run("unchanged status is not written", func(t *testing.T) {
		e := newEnv()
		p := e.pipeline(&funcReconciler{})
		_, _ = p.Run(context.Background(), newWidget())
		_, _ = p.Run(context.Background(), e.store.last(t))
		if len(e.store.writes) != 1 {
			t.Fatalf("writes = %d", len(e.store.writes))
		}
	})
}

func TestRequeueAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		health []ComponentHealth
		plan   time.Duration
		slow   time.Duration
		want   time.Duration
	}{
		{"plan honoured", nil, 30 * time.Second, 0, 30 * time.Second},
		{"blocked gets slow recheck", []ComponentHealth{{Component: "A", Errors: []error{NewAuthError("x", "y", nil)}}}, 0, time.Minute, time.Minute},
		{"blocked keeps a shorter plan", []ComponentHealth{{Component: "A", Errors: []error{NewAuthError("x", "y", nil)}}}, 10 * time.Second, time.Minute, 10 * time.Second},
		{"blocked caps a longer plan", []ComponentHealth{{Component: "A", Errors: []error{NewAuthError("x", "y", nil)}}}, time.Hour, time.Minute, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			r := &funcReconciler{health: func() []ComponentHealth { return tc.health }, plan: func(*widget) PlanResult { return PlanResult{RequeueAfter: tc.plan} }}
			p := e.pipeline(r)
			p.SlowRecheck = tc.slow
			res, err := p.Run(context.Background(), newWidget())
			if err != nil || res.RequeueAfter != tc.want || res.Requeue {
				t.Fatalf("res=%+v err=%v want %v", res, err, tc.want)
			}
		})
	}
}

// manualReconciler implements ManualStatus.
type manualReconciler struct{ *funcReconciler }

func (manualReconciler) SetStatus(s *widgetStatus, cm *ConditionManager, _ healthObs) {
	s.Status = "Custom"
	cm.MarkTrue("Mine", "Because", "set by hand")
}

// bareObs has no health; bareReconciler is manual.
type bareObs struct{}
type bareReconciler struct{}

func (bareReconciler) FetchRemoteState(context.Context, ReconcileContext[*widget]) struct{} {
	return struct{}{}
}
func (bareReconciler) ComposeState(context.Context, ReconcileContext[*widget], struct{}) bareObs {
	return bareObs{}
}
func (bareReconciler) PlanResources(context.Context, ReconcileContext[*widget], bareObs) PlanResult {
	return PlanResult{}
}

type bareManual struct{ bareReconciler }

func (bareManual) SetStatus(s *widgetStatus, cm *ConditionManager, _ bareObs) { s.Status = "Hand" }

func TestManualMode(t *testing.T) {
	e := newEnv()
	r := manualReconciler{&funcReconciler{plan: cmPlan, health: func() []ComponentHealth { return []ComponentHealth{{Component: "A", Errors: []error{infraErr()}}} }}}
	p := &Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]{
		Name: "m", Reconciler: r, StatusOf: func(w *widget) *widgetStatus { return &w.Status },
		UpdateStatus: e.store.update, Applier: e.applier, OwnerGVK: widgetGVK, Clock: e.clock,
	}
	_, err := p.Run(context.Background(), newWidget())
	if err == nil {
		t.Fatal("manual mode still returns infra errors")
	}
	st := e.store.last(t).Status
	if st.Status != "Custom" || len(st.Conditions) != 1 || st.Conditions[0].Type != "Mine" || st.ObservedGeneration != 3 {
		t.Fatalf("status = %+v", st)
	}
	if _, err := e.cs.CoreV1().ConfigMaps("ns").Get(context.Background(), "w", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatal("infra error in manual mode must block apply")
	}
	// Manual mode without any health provider.
	e2 := newEnv()
	p2 := &Pipeline[*widget, *widgetStatus, struct{}, bareObs]{Reconciler: bareManual{}, StatusOf: func(w *widget) *widgetStatus { return &w.Status }, UpdateStatus: e2.store.update}
	if _, err := p2.Run(context.Background(), newWidget()); err != nil || e2.store.last(t).Status.Status != "Hand" {
		t.Fatalf("err=%v", err)
	}
}

type ctxObs struct{ seen *kubernetes.Interface }

func (o ctxObs) GetComponentHealth(_ context.Context, cs kubernetes.Interface) []ComponentHealth {
	*o.seen = cs
	return []ComponentHealth{{Component: "Pods"}}
}

type ctxReconciler struct{ seen *kubernetes.Interface }

func (ctxReconciler) FetchRemoteState(context.Context, ReconcileContext[*widget]) int { return 0 }
func (r ctxReconciler) ComposeState(context.Context, ReconcileContext[*widget], int) ctxObs {
	return ctxObs{seen: r.seen}
}
func (ctxReconciler) PlanResources(context.Context, ReconcileContext[*widget], ctxObs) PlanResult {
	return PlanResult{}
}

func TestClientHealthProvider(t *testing.T) {
	var seen kubernetes.Interface
	e := newEnv()
	p := &Pipeline[*widget, *widgetStatus, int, ctxObs]{Reconciler: ctxReconciler{&seen}, StatusOf: func(w *widget) *widgetStatus { return &w.Status }, UpdateStatus: e.store.update}
	_, err := p.Run(context.Background(), newWidget())
	if !errors.Is(err, ErrProgramming) || len(e.store.writes) != 0 {
		t.Fatalf("missing clientset must be a programming error, got %v", err)
	}
	p.Client = WithClient("not a clientset") // a client of another type does not count
	if _, err := p.Run(context.Background(), newWidget()); !errors.Is(err, ErrProgramming) {
		t.Fatalf("a client of the wrong type must be a programming error, got %v", err)
	}
	p.Client = WithClient[kubernetes.Interface](e.cs)
	if _, err := p.Run(context.Background(), newWidget()); err != nil || seen != kubernetes.Interface(e.cs) {
		t.Fatalf("err=%v", err)
	}
	if cond(e.store.last(t).Status.Conditions, "PodsReady") == nil {
		t.Fatal("no PodsReady")
	}
}

// plainStatus does not implement Status.
type plain struct {
	widget
}

func TestProgrammingErrors(t *testing.T) {
	e := newEnv()
	base := func() *Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs] {
		return e.pipeline(&funcReconciler{})
	}
	for name, mutate := range map[string]func(p *Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]){
		"no reconciler":   func(p *Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]) { p.Reconciler = nil },
		"no StatusOf":     func(p *Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]) { p.StatusOf = nil },
		"no UpdateStatus": func(p *Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]) { p.UpdateStatus = nil },
	} {
		p := base()
		mutate(p)
		if _, err := p.Run(context.Background(), newWidget()); !errors.Is(err, ErrProgramming) {
			t.Errorf("%s: err=%v", name, err)
		}
	}
	// An observation without health and a reconciler without SetStatus.
	p := &Pipeline[*widget, *widgetStatus, struct{}, bareObs]{Reconciler: bareReconciler{}, StatusOf: func(w *widget) *widgetStatus { return &w.Status }, UpdateStatus: e.store.update}
	if _, err := p.Run(context.Background(), newWidget()); !errors.Is(err, ErrProgramming) {
		t.Errorf("bare observation: err=%v", err)
	}
	// A status type without Status and no Fields.
	type noStatus struct{ X int }
	p2 := &Pipeline[*widget, *noStatus, []ComponentHealth, healthObs]{Reconciler: &funcReconciler{}, StatusOf: func(*widget) *noStatus { return &noStatus{} }, UpdateStatus: e.store.update}
	if _, err := p2.Run(context.Background(), newWidget()); !errors.Is(err, ErrProgramming) {
		t.Errorf("no Status: err=%v", err)
	}
	// ...which FieldsOf fixes.
	p2.Fields = func(w *widget) Status {
		return FieldsOf(&w.Status.Conditions, &w.Status.Status, &w.Status.ObservedGeneration)
	}
	if _, err := p2.Run(context.Background(), newWidget()); err != nil {
		t.Errorf("with Fields: err=%v", err)
	}
	if st := e.store.last(t).Status; st.Status != "Ready" || st.ObservedGeneration != 3 {
		t.Errorf("Fields not written: %+v", st)
	}
	// A non-empty plan without an applier.
	p3 := e.pipeline(&funcReconciler{plan: cmPlan})
	p3.Applier = nil
	_, err := p3.Run(context.Background(), newWidget())
	if !errors.Is(err, ErrProgramming) {
		t.Errorf("no applier: %v", err)
	}
}

func TestFieldsOfNilPointers(t *testing.T) {
	f := FieldsOf(nil, nil, nil)
	f.SetConditions([]metav1.Condition{{Type: "X"}})
	f.SetStatus("s")
	f.SetObservedGeneration(2)
	if f.GetConditions() != nil || f.GetStatus() != "" || f.GetObservedGeneration() != 0 {
		t.Fatal("nil fields must read as zero")
	}
}

var nameInput = NewInput[string]("name")

func TestPrepareAndInputs(t *testing.T) {
	e := newEnv()
	var got string
	var had bool
	r := &inputReconciler{got: &got, had: &had}
	p := &Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]{
		Reconciler: r, StatusOf: func(w *widget) *widgetStatus { return &w.Status }, UpdateStatus: e.store.update,
		Prepare: func(_ context.Context, w *widget, in *Inputs) { nameInput.Set(in, "merged-"+w.Name) },
	}
	if _, err := p.Run(context.Background(), newWidget()); err != nil || got != "merged-w" || !had {
		t.Fatalf("got %q %v err=%v", got, had, err)
	}
	if _, ok := NewInput[int]("other").Get(Inputs{}); ok {
		t.Fatal("empty inputs")
	}
}

type inputReconciler struct {
	funcReconciler
	got *string
	had *bool
}

func (r *inputReconciler) FetchRemoteState(_ context.Context, rc ReconcileContext[*widget]) []ComponentHealth {
	*r.got, *r.had = nameInput.Get(rc.Inputs)
	return nil
}

func TestApplyPhase(t *testing.T) {
	ctx := context.Background()
	t.Run("order, decoration, unowned and typed objects", func(t *testing.T) {
		e := newEnv()
		r := &funcReconciler{plan: func(w *widget) PlanResult {
			var p PlanResult
			p.Apply(corev1ac.ConfigMap("b", "ns"))
			p.Apply(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}, StringData: map[string]string{"k": "v"}})
			p.Apply(corev1ac.ConfigMap("a", "ns"))
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("v1")
			u.SetKind("ConfigMap")
			u.SetName("shared")
			u.SetNamespace("ns")
			p.ApplyWithoutOwnerRef(u)
			return p
		}}
		p := e.pipeline(r)
		e.applier.Scheme = scheme.Scheme
		p.DecorateChild = func(w *widget, u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{"owner": w.Name})
		}
		if _, err := p.Run(ctx, newWidget()); err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, a := range e.dyn.Actions() {
			if pa, ok := a.(k8stesting.PatchAction); ok {
				order = append(order, pa.GetName())
				force := pa.(k8stesting.PatchActionImpl).PatchOptions.Force
				if wantForce := pa.GetName() != "shared"; *force != wantForce {
					t.Errorf("%s: force=%v", pa.GetName(), *force)
				}
			}
		}
		if strings.Join(order, ",") != "a,b,s,shared" {
			t.Errorf("apply order = %v", order)
		}
		shared, _ := e.cs.CoreV1().ConfigMaps("ns").Get(ctx, "shared", metav1.GetOptions{})
		if len(shared.OwnerReferences) != 0 || shared.Labels["owner"] != "w" {
			t.Errorf("shared = %+v", shared.ObjectMeta)
		}
		sec, err := e.cs.CoreV1().Secrets("ns").Get(ctx, "s", metav1.GetOptions{})
		if err != nil || len(sec.OwnerReferences) != 1 {
			t.Fatalf("typed secret: %v %+v", err, sec)
		}
	})
	t.Run("changed intent is re-applied, unchanged is skipped", func(t *testing.T) {
		e := newEnv()
		val := "1"
		r := &funcReconciler{plan: func(w *widget) PlanResult {
			var p PlanResult
			p.Apply(corev1ac.ConfigMap("c", "ns").WithData(map[string]string{"v": val}))
			return p
		}}
		p := e.pipeline(r)
		for _, v := range []string{"1", "1", "2", "2"} {
			val = v
			if _, err := p.Run(ctx, newWidget()); err != nil {
				t.Fatal(err)
			}
		}
		if s := e.applier.Stats(); s.Sent != 2 || s.Skipped != 2 {
			t.Fatalf("stats = %+v", s)
		}
		cm, _ := e.cs.CoreV1().ConfigMaps("ns").Get(ctx, "c", metav1.GetOptions{})
		if cm.Data["v"] != "2" {
			t.Fatalf("data = %v", cm.Data)
		}
	})
	t.Run("drift is healed", func(t *testing.T) {
		e := newEnv()
		rvs := map[string]string{}
		e.applier.Lookup = func(_ context.Context, gvr schema.GroupVersionResource, ns, name string) (string, error) {
			if rv, ok := rvs[name]; ok {
				return rv, nil
			}
			return "", apierrors.NewNotFound(gvr.GroupResource(), name)
		}
		var outcomes []string
		e.applier.OnApply = func(_ schema.GroupVersionResource, o string) { outcomes = append(outcomes, o) }
		p := e.pipeline(&funcReconciler{plan: cmPlan})
		_, _ = p.Run(ctx, newWidget()) // sent; the fake reports RV ""
		rvs["w"] = ""
		_, _ = p.Run(ctx, newWidget()) // skipped
		rvs["w"] = "changed-by-someone"
		_, _ = p.Run(ctx, newWidget()) // sent again
		if strings.Join(outcomes, ",") != "sent,skipped,sent" {
			t.Fatalf("outcomes = %v", outcomes)
		}
	})
	t.Run("apply failure sets DependenciesReachable and returns an error", func(t *testing.T) {
		e := newEnv()
		e.dyn.PrependReactor("patch", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "w", errors.New("rbac"))
		})
		res, err := e.pipeline(&funcReconciler{plan: cmPlan}).Run(ctx, newWidget())
		var ie *InfrastructureError
		if !errors.As(err, &ie) || !res.IsZero() || !apierrors.IsForbidden(err) {
			t.Fatalf("res=%+v err=%v", res, err)
		}
		dr := cond(e.store.last(t).Status.Conditions, "DependenciesReachable")
		if dr == nil || dr.Status != "False" || dr.Reason != "InfrastructureError" || !strings.HasPrefix(dr.Message, "Failed to apply resources: ") {
			t.Fatalf("DependenciesReachable = %+v", dr)
		}
	})
	t.Run("delete phase", func(t *testing.T) {
		existing := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "ns"}}
		e := newEnv(existing)
		r := &funcReconciler{plan: func(*widget) PlanResult {
			var p PlanResult
			p.Delete(corev1ac.ConfigMap("old", "ns"))
			p.Delete(corev1ac.ConfigMap("never-existed", "ns"))
			return p
		}}
		p := e.pipeline(r)
		if _, err := p.Run(ctx, newWidget()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cs.CoreV1().ConfigMaps("ns").Get(ctx, "old", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatal("not deleted")
		}
		if s := e.applier.Stats(); s.Deleted != 1 || s.DeleteSkipped != 1 {
			t.Fatalf("stats = %+v", s)
		}
		// Second run: nothing to delete, nothing sent.
		e.dyn.ClearActions()
		_, _ = p.Run(ctx, newWidget())
		if mutations(e.dyn.Actions()) != 0 {
			t.Fatalf("actions %v", e.dyn.Actions())
		}
	})
	t.Run("delete failure blocks apply", func(t *testing.T) {
		e := newEnv(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "ns"}})
		e.dyn.PrependReactor("delete", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewInternalError(errors.New("etcd"))
		})
		r := &funcReconciler{plan: func(w *widget) PlanResult {
			p := cmPlan(w)
			p.Delete(corev1ac.ConfigMap("old", "ns"))
			return p
		}}
		_, err := e.pipeline(r).Run(ctx, newWidget())
		if err == nil {
			t.Fatal("want error")
		}
		if dr := cond(e.store.last(t).Status.Conditions, "DependenciesReachable"); !strings.HasPrefix(dr.Message, "Failed to delete resources: ") {
			t.Fatalf("DependenciesReachable = %+v", dr)
		}
		if _, err := e.cs.CoreV1().ConfigMaps("ns").Get(ctx, "w", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatal("applied despite delete failure")
		}
	})
	t.Run("invalid plans", func(t *testing.T) {
		for name, obj := range map[string]any{
			"nil":                 nil,
			"no kind":             &struct{ Name string }{"x"},
			"no name":             corev1ac.ConfigMap("", "ns"),
			"no namespace":        corev1ac.ConfigMap("x", ""),
			"unknown kind":        map[string]any{"apiVersion": "x/v1", "kind": "Nope", "metadata": map[string]any{"name": "n"}},
			"other namespace":     corev1ac.ConfigMap("x", "elsewhere"),
			"cluster child":       corev1ac.Namespace("x"),
			"not an object":       []int{1},
			"unmarshalable":       func() {},
			"typed not in scheme": &widget{ObjectMeta: metav1.ObjectMeta{Name: "x"}},
		} {
			e := newEnv()
			r := &funcReconciler{plan: func(*widget) PlanResult {
				var p PlanResult
				p.Apply(obj)
				return p
			}}
			if _, err := e.pipeline(r).Run(ctx, newWidget()); err == nil {
				t.Errorf("%s: no error", name)
			}
		}
	})
}

func TestOwnerRefReplacesSameUID(t *testing.T) {
	u := &unstructured.Unstructured{}
	u.SetName("x")
	u.SetNamespace("ns")
	no := false
	u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "a/v1", Kind: "Other", Name: "o", UID: "other"}, {APIVersion: "old/v0", Kind: "Widget", Name: "w", UID: "uid-w", Controller: &no}})
	if err := SetControllerRef(u, newWidget(), widgetGVK, true); err != nil {
		t.Fatal(err)
	}
	refs := u.GetOwnerReferences()
	if len(refs) != 2 || refs[1].APIVersion != "example.com/v1" || !*refs[1].Controller || !*refs[1].BlockOwnerDeletion || refs[0].UID != "other" {
		t.Fatalf("refs = %+v", refs)
	}
	if err := SetControllerRef(u, newWidget(), schema.GroupVersionKind{}, true); err == nil {
		t.Fatal("missing owner kind must fail")
	}
	// A cluster-scoped owner may own anything.
	owner := newWidget()
	owner.Namespace = ""
	if err := SetControllerRef(u, owner, widgetGVK, false); err != nil {
		t.Fatal(err)
	}
}

func TestMapperResolver(t *testing.T) {
	m := metaRESTMapper()
	r := MapperResolver(m)
	gvr, ns, err := r.ResourceFor(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"})
	if err != nil || gvr.Resource != "configmaps" || !ns {
		t.Fatalf("%v %v %v", gvr, ns, err)
	}
	gvr, ns, err = r.ResourceFor(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
	if err != nil || gvr.Resource != "namespaces" || ns {
		t.Fatalf("%v %v %v", gvr, ns, err)
	}
	if _, _, err := r.ResourceFor(schema.GroupVersionKind{Group: "x", Version: "v1", Kind: "Nope"}); err == nil {
		t.Fatal("unknown kind")
	}
}

func TestDefaultLookupUsesLiveGet(t *testing.T) {
	e := newEnv()
	p := e.pipeline(&funcReconciler{plan: cmPlan})
	_, _ = p.Run(context.Background(), newWidget())
	// The object disappears behind our back: the cached intent must not hide it.
	_ = e.cs.CoreV1().ConfigMaps("ns").Delete(context.Background(), "w", metav1.DeleteOptions{})
	_, _ = p.Run(context.Background(), newWidget())
	if _, err := e.cs.CoreV1().ConfigMaps("ns").Get(context.Background(), "w", metav1.GetOptions{}); err != nil {
		t.Fatalf("not re-created: %v", err)
	}
	if e.applier.FieldManager() != "test-controller" {
		t.Fatal("field manager")
	}
}

var _ = fake.NewClientset

func TestDependenciesReachableDoesNotFlapWhileApplyFails(t *testing.T) {
	ctx := context.Background()
	e := newEnv()
	failing := true
	e.dyn.PrependReactor("patch", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failing {
			return true, nil, apierrors.NewInternalError(errors.New("etcd"))
		}
		return false, nil, nil
	})
	p := e.pipeline(&funcReconciler{plan: cmPlan})
	_, _ = p.Run(ctx, newWidget())
	first := cond(e.store.last(t).Status.Conditions, "DependenciesReachable")
	e.clock.Step(time.Minute)
	_, err := p.Run(ctx, e.store.last(t))
	second := cond(e.store.last(t).Status.Conditions, "DependenciesReachable")
	if err == nil || second.Status != "False" || second.LastTransitionTime != first.LastTransitionTime {
		t.Fatalf("retry: err=%v first=%+v second=%+v", err, first, second)
	}
	failing = false
	e.clock.Step(time.Minute)
	if _, err := p.Run(ctx, e.store.last(t)); err != nil {
		t.Fatal(err)
	}
	if dr := cond(e.store.last(t).Status.Conditions, "DependenciesReachable"); dr.Status != "True" || dr.Reason != "Reachable" {
		t.Fatalf("after recovery %+v", dr)
	}
}

func TestUnstructuredStatus(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	s := UnstructuredStatus(u)
	if s.GetConditions() != nil || s.GetStatus() != "" || s.GetObservedGeneration() != 0 {
		t.Fatal("empty object")
	}
	want := []metav1.Condition{{Type: "Ready", Status: "True", Reason: "R", Message: "m", ObservedGeneration: 2, LastTransitionTime: metav1.NewTime(t0)}}
	s.SetConditions(want)
	s.SetStatus("Ready")
	s.SetObservedGeneration(2)
	got := UnstructuredStatus(u)
	if c := got.GetConditions(); !equality.Semantic.DeepEqual(c, want) || got.GetStatus() != "Ready" || got.GetObservedGeneration() != 2 {
		t.Fatalf("round trip: %+v", u.Object)
	}
	// Malformed entries are skipped; an empty list removes the field.
	_ = unstructured.SetNestedSlice(u.Object, []any{"junk", map[string]any{"type": "A", "status": "True"}}, "status", "conditions")
	if c := s.GetConditions(); len(c) != 1 || c[0].Type != "A" {
		t.Fatalf("malformed: %+v", c)
	}
	s.SetConditions(nil)
	if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "status", "conditions"); found {
		t.Fatal("empty conditions kept")
	}
}

func TestDeleteConfirmsCacheMiss(t *testing.T) {
	ctx := context.Background()
	e := newEnv(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "ns"}})
	// A cache that does not watch ConfigMaps answers NotFound for everything.
	e.applier.Lookup = func(_ context.Context, gvr schema.GroupVersionResource, _, name string) (string, error) {
		return "", apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	r := &funcReconciler{plan: func(*widget) PlanResult {
		var p PlanResult
		p.Delete(corev1ac.ConfigMap("old", "ns"))
		p.Delete(corev1ac.ConfigMap("gone", "ns"))
		return p
	}}
	if _, err := e.pipeline(r).Run(ctx, newWidget()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().ConfigMaps("ns").Get(ctx, "old", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatal("a cache miss must not hide an existing object from deletion")
	}
	if s := e.applier.Stats(); s.Deleted != 1 || s.DeleteSkipped != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPlanGetters(t *testing.T) {
	var p PlanResult
	if !p.Empty() {
		t.Fatal("zero plan must be empty")
	}
	p.Apply("a")
	p.ApplyWithoutOwnerRef("b")
	p.Delete("c")
	if len(p.ToApply()) != 1 || p.ToApplyWithoutOwnerRef()[0] != "b" || p.ToDelete()[0] != "c" || p.Empty() {
		t.Fatalf("plan %+v", p)
	}
}

// BenchmarkRunSteadyState measures a reconcile that changes nothing: five components, two skipped applies,
// no status write.
func BenchmarkRunSteadyState(b *testing.B) {
	e := newEnv()
	r := &funcReconciler{
		health: func() []ComponentHealth {
			return []ComponentHealth{{Component: "A"}, {Component: "B"}, {Component: "C"}, {Component: "D", State: StateProgressing, Reason: "W"}, {Component: "E"}}
		},
		plan: func(w *widget) PlanResult {
			var p PlanResult
			p.Apply(corev1ac.ConfigMap("one", w.Namespace).WithData(map[string]string{"k": "v"}))
			p.Apply(corev1ac.ConfigMap("two", w.Namespace).WithData(map[string]string{"k": "v"}))
			return p
		},
	}
	p := e.pipeline(r)
	p.Recorder = nil
	rvs := map[string]string{}
	e.applier.Lookup = func(_ context.Context, _ schema.GroupVersionResource, _, name string) (string, error) {
		return rvs[name], nil
	}
	ctx := context.Background()
	_, _ = p.Run(ctx, newWidget())
	w := e.store.last(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Run(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
	if e.applier.Stats().Sent != 2 {
		b.Fatalf("stats %+v", e.applier.Stats())
	}
}

func TestToUnstructuredKeepsIntegers(t *testing.T) {
	big := int64(1<<62 + 1)
	obj := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "n"}, "spec": map[string]any{"big": big}, "status": map[string]any{"x": 1}}
	u, err := ToUnstructured(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := unstructured.NestedInt64(u.Object, "spec", "big"); !ok || v != big {
		t.Fatalf("big = %v (%T)", u.Object["spec"], u.Object["spec"].(map[string]any)["big"])
	}
	if _, found := u.Object["status"]; found {
		t.Fatal("status must never be applied")
	}
}

func TestNoEventsWhenStatusWriteFails(t *testing.T) {
	e := newEnv()
	e.store.err = apierrors.NewConflict(schema.GroupResource{Resource: "widgets"}, "w", errors.New("rv"))
	p := e.pipeline(&funcReconciler{health: func() []ComponentHealth { return []ComponentHealth{{Component: "A"}} }})
	_, _ = p.Run(context.Background(), newWidget())
	if evs := e.events(); len(evs) != 0 {
		t.Fatalf("events after a conflicted write: %v", evs)
	}
	e.store.err = nil
	_, _ = p.Run(context.Background(), newWidget())
	if evs := e.events(); len(evs) != 2 {
		t.Fatalf("events after the retry: %v", evs)
	}
}

func TestConcurrentRuns(t *testing.T) {
	e := newEnv()
	p := e.pipeline(&funcReconciler{plan: cmPlan, health: func() []ComponentHealth { return []ComponentHealth{{Component: "A"}} }})
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(i int) {
			w := newWidget()
			w.Name = fmt.Sprintf("w%d", i)
			w.UID = types.UID(w.Name)
			_, err := p.Run(context.Background(), w)
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if s := e.applier.Stats(); s.Sent != 8 {
		t.Fatalf("stats %+v", s)
	}
}

func TestValidate(t *testing.T) {
	e := newEnv()
	if err := e.pipeline(&funcReconciler{}).Validate(); err != nil {
		t.Fatalf("valid pipeline: %v", err)
	}
	bad := e.pipeline(&funcReconciler{})
	bad.UpdateStatus = nil
	if err := bad.Validate(); !errors.Is(err, ErrProgramming) {
		t.Fatalf("missing UpdateStatus: %v", err)
	}
	type noStatus struct{}
	p2 := &Pipeline[*widget, *noStatus, []ComponentHealth, healthObs]{Reconciler: &funcReconciler{}, StatusOf: func(*widget) *noStatus { return nil }, UpdateStatus: e.store.update}
	if err := p2.Validate(); !errors.Is(err, ErrProgramming) {
		t.Fatalf("no Status: %v", err)
	}
	var seen kubernetes.Interface
	p3 := &Pipeline[*widget, *widgetStatus, int, ctxObs]{Reconciler: ctxReconciler{&seen}, StatusOf: func(w *widget) *widgetStatus { return &w.Status }, UpdateStatus: e.store.update}
	if err := p3.Validate(); !errors.Is(err, ErrProgramming) {
		t.Fatalf("no clientset: %v", err)
	}
	p3.Client = WithClient(e.cs) // *fake.Clientset, not kubernetes.Interface: no match
	if err := p3.Validate(); !errors.Is(err, ErrProgramming) {
		t.Fatalf("client of the wrong type: %v", err)
	}
	p3.Client = WithClient[kubernetes.Interface](e.cs)
	if err := p3.Validate(); err != nil {
		t.Fatal(err)
	}
	p4 := &Pipeline[*widget, *widgetStatus, struct{}, bareObs]{Reconciler: bareReconciler{}, StatusOf: func(w *widget) *widgetStatus { return &w.Status }, UpdateStatus: e.store.update}
	if err := p4.Validate(); !errors.Is(err, ErrProgramming) {
		t.Fatalf("no health: %v", err)
	}
	p4.Reconciler = bareManual{}
	if err := p4.Validate(); err != nil {
		t.Fatal(err)
	}
}
