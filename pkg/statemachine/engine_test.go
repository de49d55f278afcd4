package statemachine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

func cmPlan(w *widget) PlanResult {
	var p PlanResult
	p.Apply(corev1ac.ConfigMap(w.Name, w.Namespace).WithData(map[string]string{"a": "b"}))
	return p
}

type want struct {
	root        string
	ready       metav1.ConditionStatus
	readyReason string
	readyMsg    string
	parents     map[string]string // type → "Status/Reason"; "" means absent
	applied     bool
	errIs       bool // an *InfrastructureError is returned
	after       time.Duration
}

func TestStateEngineRows(t *testing.T) {
	up := DependencyUpstream
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "things"}, "x")
	cases := []struct {
		name   string
		health []ComponentHealth
		w      want
	}{
		{"no components", nil,
			want{root: "Ready", ready: "True", readyReason: "AllComponentsReady", readyMsg: "All components are ready", applied: true}},
		{"all ready", []ComponentHealth{{Component: "A", State: StateReady}, {Component: "B"}},
			want{root: "Ready", ready: "True", readyReason: "AllComponentsReady", applied: true}},
		{"running counts as ready", []ComponentHealth{{Component: "A", State: StateRunning}},
			want{root: "Ready", ready: "True", applied: true}},
		{"progressing", []ComponentHealth{{Component: "A", State: StateProgressing, Reason: "Working"}},
			want{root: "Progressing", ready: "False", readyReason: "Progressing", readyMsg: "Waiting for components to become ready", applied: true}},
		{"starting component rolls up as progressing", []ComponentHealth{{Component: "A", State: StateStarting, Reason: "S"}},
			want{root: "Progressing", ready: "False", readyReason: "Progressing", applied: true}},
		{"upstream not ready is pending", []ComponentHealth{{Component: "A", State: StateProgressing, Reason: "W", DependencyType: up}},
			want{root: "Pending", ready: "False", readyReason: "Progressing", applied: true}},
		{"explicit pending", []ComponentHealth{{Component: "A", State: StatePending, Reason: "P"}},
			want{root: "Pending", ready: "False", readyReason: "Progressing", applied: true}},
		{"degraded names the component", []ComponentHealth{{Component: "A", State: StateReady}, {Component: "Model", State: StateDegraded, Reason: "Broken", Message: "bad"}},
			want{root: "Degraded", ready: "False", readyReason: "Broken", readyMsg: "Component Model is not ready: bad", applied: true}},
		{"not available", []ComponentHealth{{Component: "A", State: StateNotAvailable, Reason: "NA"}},
			want{root: "NotAvailable", ready: "False", readyReason: "NA", applied: true}},
		{"explicit failed without error does not block apply", []ComponentHealth{{Component: "A", State: StateFailed, Reason: "F"}},
			want{root: "Failed", ready: "False", readyReason: "F", applied: true}},
		{"worst of degraded and pending", []ComponentHealth{{Component: "A", State: StatePending, Reason: "P"}, {Component: "B", State: StateDegraded, Reason: "D"}},
			want{root: "Degraded", ready: "False", readyReason: "D", applied: true}},
		{"first error component in list order", []ComponentHealth{{Component: "A", State: StateDegraded, Reason: "First"}, {Component: "B", State: StateFailed, Reason: "Second"}},
			want{root: "Failed", ready: "False", readyReason: "First", applied: true}},
		{"pending beats progressing", []ComponentHealth{{Component: "A", State: StateProgressing, Reason: "W"}, {Component: "B", State: StatePending, Reason: "P"}},
			want{root: "Pending", ready: "False", readyReason: "Progressing", applied: true}},
		{"missing downstream progresses and applies", []ComponentHealth{{Component: "Job", Errors: []error{notFound}}},
			want{root: "Progressing", ready: "False", readyReason: "Progressing", applied: true}},
		{"auth", []ComponentHealth{{Component: "A", Errors: []error{NewAuthError("Denied", "no", nil)}}},
			want{root: "Failed", ready: "False", readyReason: "AuthError", readyMsg: "Authentication or authorization failure",
				parents: map[string]string{"AuthValid": "False/AuthError", "ConfigValid": "", "DependenciesReachable": ""}, after: DefaultSlowRecheck}},
		{"invalid spec", []ComponentHealth{{Component: "A", Errors: []error{NewInvalidSpecError("Bad", "no", nil)}}},
			want{root: "Failed", ready: "False", readyReason: "InvalidSpec", readyMsg: "Configuration validation failed",
				parents: map[string]string{"ConfigValid": "False/InvalidSpec", "AuthValid": ""}, after: DefaultSlowRecheck}},
		{"missing upstream", []ComponentHealth{{Component: "A", Errors: []error{NewMissingUpstreamDependencyError("Gone", "no", nil)}}},
			want{root: "Failed", ready: "False", readyReason: "ReferenceNotFound", readyMsg: "Referenced resource not found",
				parents: map[string]string{"ConfigValid": "False/ReferenceNotFound"}, after: DefaultSlowRecheck}},
		{"auth wins the Ready reason", []ComponentHealth{{Component: "A", Errors: []error{NewInvalidSpecError("Bad", "no", nil)}}, {Component: "B", Errors: []error{apierrors.NewForbidden(schema.GroupResource{}, "x", errors.New("rbac"))}}},
			want{root: "Failed", ready: "False", readyReason: "AuthError",
				parents: map[string]string{"ConfigValid": "False/InvalidSpec", "AuthValid": "False/AuthError"}, after: DefaultSlowRecheck}},
		{"invalid spec wins over missing upstream", []ComponentHealth{{Component: "A", Errors: []error{NewMissingUpstreamDependencyError("Gone", "no", nil)}}, {Component: "B", Errors: []error{NewInvalidSpecError("Bad", "no", nil)}}},
			want{root: "Failed", ready: "False", readyReason: "InvalidSpec", parents: map[string]string{"ConfigValid": "False/InvalidSpec"}, after: DefaultSlowRecheck}},
		{"resource exhaustion fails and stops apply without parents", []ComponentHealth{{Component: "Pods", Errors: []error{NewResourceExhaustionError("PodOOMKilled", "oom", nil)}}},
			want{root: "Failed", ready: "False", readyReason: "PodOOMKilled", readyMsg: "Component Pods is not ready: oom",
				parents: map[string]string{"ConfigValid": "", "AuthValid": "", "DependenciesReachable": ""}, after: DefaultSlowRecheck}},
		{"infra", []ComponentHealth{{Component: "Model", Errors: []error{infraErr()}}},
			want{root: "Degraded", ready: "False", readyReason: "ServiceUnavailable", readyMsg: "Component Model is not ready: Kubernetes API server unavailable or internal error",
				parents: map[string]string{"DependenciesReachable": "False/InfrastructureError"}, errIs: true}},
		{"unknown error counts as infra", []ComponentHealth{{Component: "A", Errors: []error{errors.New("boom")}}},
			want{root: "Degraded", ready: "False", readyReason: "InfrastructureError", readyMsg: "Infrastructure error - waiting for retry",
				parents: map[string]string{"DependenciesReachable": "False/InfrastructureError"}, errIs: true}},
		{"infra turns failed into degraded", []ComponentHealth{{Component: "A", State: StateFailed, Reason: "F"}, {Component: "B", Errors: []error{infraErr()}}},
			want{root: "Degraded", ready: "False", readyReason: "F", errIs: true}},
		{"auth wins over infra for the root, infra wins the decision", []ComponentHealth{{Component: "A", Errors: []error{NewAuthError("Denied", "no", nil)}}, {Component: "B", Errors: []error{infraErr()}}},
			want{root: "Failed", ready: "False", readyReason: "AuthError", errIs: true}},
		{"unnamed component is ignored", []ComponentHealth{{State: StateFailed}},
			want{root: "Ready", ready: "True", applied: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv()
			r := &funcReconciler{health: func() []ComponentHealth { return tc.health }, plan: cmPlan}
			res, err := e.pipeline(r).Run(context.Background(), newWidget())
			var ie *InfrastructureError
			if got := errors.As(err, &ie); got != tc.w.errIs {
				t.Fatalf("err = %v, want infra error %v", err, tc.w.errIs)
			}
			if err != nil && !res.IsZero() {
				t.Fatalf("error together with %+v", res)
			}
			if res.RequeueAfter != tc.w.after {
				t.Errorf("RequeueAfter = %v, want %v", res.RequeueAfter, tc.w.after)
			}
			st := e.store.last(t).Status
			if st.Status != tc.w.root {
				t.Errorf("root = %q, want %q", st.Status, tc.w.root)
			}
			rc := cond(st.Conditions, "Ready")
			if rc == nil || rc.Status != tc.w.ready || (tc.w.readyReason != "" && rc.Reason != tc.w.readyReason) || (tc.w.readyMsg != "" && rc.Message != tc.w.readyMsg) {
				t.Errorf("Ready = %+v, want %s/%s/%s", rc, tc.w.ready, tc.w.readyReason, tc.w.readyMsg)
			}
			for typ, sr := range tc.w.parents {
				c := cond(st.Conditions, typ)
				switch {
				case sr == "" && c != nil:
					t.Errorf("%s = %+v, want absent", typ, c)
				case sr != "" && (c == nil || string(c.Status)+"/"+c.Reason != sr):
					t.Errorf("%s = %+v, want %s", typ, c, sr)
				}
			}
			_, getErr := e.cs.CoreV1().ConfigMaps("ns").Get(context.Background(), "w", metav1.GetOptions{})
			if applied := getErr == nil; applied != tc.w.applied {
				t.Errorf("applied = %v, want %v", applied, tc.w.applied)
			}
			for _, h := range tc.health {
				if h.Component == "" {
					continue
				}
				c := cond(st.Conditions, h.Component+"Ready")
				if c == nil || c.ObservedGeneration != 3 || c.LastTransitionTime.Time != t0 {
					t.Errorf("component condition %s = %+v", h.Component, c)
				}
			}
			if cond(st.Conditions, "Ready"+"") == nil || len(st.Conditions) == 0 {
				t.Error("no conditions")
			}
		})
	}
}

func TestComponentConditionStatusAndMessages(t *testing.T) {
	e := newEnv()
	r := &funcReconciler{health: func() []ComponentHealth {
		return []ComponentHealth{
			{Component: "Ok"},
			{Component: "Err", Errors: []error{NewInvalidSpecError("Why", "because", nil)}},
			{Component: "Explicit", State: StateProgressing, Reason: "R", Message: "M", Errors: []error{infraErr()}},
		}
	}}
	_, _ = e.pipeline(r).Run(context.Background(), newWidget())
	st := e.store.last(t).Status
	check := func(typ string, s metav1.ConditionStatus, reason, msg string) {
		t.Helper()
		c := cond(st.Conditions, typ)
		if c == nil || c.Status != s || c.Reason != reason || c.Message != msg {
			t.Errorf("%s = %+v, want %s/%s/%q", typ, c, s, reason, msg)
		}
	}
	check("OkReady", "True", "Ready", "")
	check("ErrReady", "False", "Why", "because")
	check("ExplicitReady", "False", "R", "M")
}

func TestMapStatus(t *testing.T) {
	mapping := func(s State) string {
		switch s {
		case StateProgressing:
			return string(StateStarting)
		case StateReady:
			return string(StateRunning)
		}
		return string(s)
	}
	for _, tc := range []struct {
		health []ComponentHealth
		want   string
	}{
		{[]ComponentHealth{{Component: "A"}}, "Running"},
		{[]ComponentHealth{{Component: "A", State: StateProgressing, Reason: "W"}}, "Starting"},
		{[]ComponentHealth{{Component: "A", State: StateDegraded, Reason: "D"}}, "Degraded"},
	} {
		e := newEnv()
		p := e.pipeline(&funcReconciler{health: func() []ComponentHealth { return tc.health }})
		p.MapStatus = mapping
		if _, err := p.Run(context.Background(), newWidget()); err != nil {
			t.Fatal(err)
		}
		if got := e.store.last(t).Status.Status; got != tc.want {
			t.Errorf("status = %q, want %q", got, tc.want)
		}
	}
}

func TestPriorityOrder(t *testing.T) {
	order := []State{StateFailed, StateNotAvailable, StateDegraded, StatePending, StateStarting, StateProgressing, StateReady, StateRunning}
	for i, s := range order {
		if Priority(s) != i {
			t.Errorf("Priority(%s) = %d, want %d", s, Priority(s), i)
		}
	}
	if Priority("bogus") != 0 || Priority("") != 0 || !Worse(StateDegraded, StatePending) || Worse(StateReady, StateReady) {
		t.Error("unknown states must rank with Failed")
	}
}

// A stored widget, as written by a previous reconcile.
func storedWidget(conds ...metav1.Condition) *widget {
	w := newWidget()
	w.Status.Conditions = conds
	return w
}

func c(typ string, s metav1.ConditionStatus, reason string, ltt time.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: "old", LastTransitionTime: metav1.NewTime(ltt), ObservedGeneration: 1}
}

func TestStaleComponentConditionsAreRemoved(t *testing.T) {
	e := newEnv()
	w := storedWidget(c("GoneReady", "False", "Old", t0), c("Custom", "True", "Kept", t0), c("AReady", "True", "Ready", t0))
	r := &funcReconciler{health: func() []ComponentHealth { return []ComponentHealth{{Component: "A"}} }}
	if _, err := e.pipeline(r).Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	st := e.store.last(t).Status
	if cond(st.Conditions, "GoneReady") != nil {
		t.Error("stale GoneReady kept")
	}
	if cond(st.Conditions, "Custom") == nil {
		t.Error("non-component condition removed")
	}
	if st.Status != "Ready" {
		t.Errorf("status = %s: the stale False condition must not hold the rollup", st.Status)
	}
}

func TestParentsFlipBackAndStayLazy(t *testing.T) {
	e := newEnv()
	w := storedWidget(
		c("DependenciesReachable", "False", "InfrastructureError", t0),
		c("AuthValid", "False", "AuthError", t0),
		c("ConfigValid", "False", "InvalidSpec", t0),
	)
	r := &funcReconciler{health: func() []ComponentHealth { return []ComponentHealth{{Component: "A"}} }}
	if _, err := e.pipeline(r).Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	st := e.store.last(t).Status
	for typ, want := range map[string]string{
		"DependenciesReachable": "True/Reachable/All dependencies are reachable",
		"AuthValid":             "True/AuthenticationValid/Authentication and authorization successful",
		"ConfigValid":           "True/ConfigurationValid/Configuration is valid",
	} {
		got := cond(st.Conditions, typ)
		if got == nil || string(got.Status)+"/"+got.Reason+"/"+got.Message != want || got.ObservedGeneration != 3 {
			t.Errorf("%s = %+v, want %s", typ, got, want)
		}
	}
	// A second run keeps them (never deleted) and moves nothing.
	e2 := newEnv()
	w2 := e.store.last(t)
	w2.Generation = 4
	if _, err := e2.pipeline(r).Run(context.Background(), w2); err != nil {
		t.Fatal(err)
	}
	st2 := e2.store.last(t).Status
	for _, typ := range []string{"DependenciesReachable", "AuthValid", "ConfigValid"} {
		got := cond(st2.Conditions, typ)
		if got == nil || got.Status != "True" || got.ObservedGeneration != 4 {
			t.Errorf("%s after second run = %+v", typ, got)
		}
	}
	if st2.ObservedGeneration != 4 {
		t.Errorf("observedGeneration = %d", st2.ObservedGeneration)
	}
}

func TestLastTransitionTimeMovesOnlyOnStatusChange(t *testing.T) {
	old := t0.Add(-time.Hour)
	e := newEnv()
	w := storedWidget(c("AReady", "False", "Waiting", old), c("BReady", "False", "Waiting", old), c("Ready", "False", "Progressing", old))
	r := &funcReconciler{health: func() []ComponentHealth {
		return []ComponentHealth{{Component: "A", State: StateProgressing, Reason: "NewReason"}, {Component: "B"}}
	}}
	if _, err := e.pipeline(r).Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	st := e.store.last(t).Status
	if a := cond(st.Conditions, "AReady"); a.LastTransitionTime.Time != old || a.Reason != "NewReason" {
		t.Errorf("reason-only change moved LTT: %+v", a)
	}
	if b := cond(st.Conditions, "BReady"); b.LastTransitionTime.Time != t0 {
		t.Errorf("status change kept LTT: %+v", b)
	}
	if rd := cond(st.Conditions, "Ready"); rd.LastTransitionTime.Time != old {
		t.Errorf("Ready re-stamped: %+v", rd)
	}
	// The reason change is still a reported transition.
	evs := strings.Join(e.events(), "\n")
	if !strings.Contains(evs, "NewReason") {
		t.Errorf("no event for the reason change: %s", evs)
	}
}

func TestGracePeriod(t *testing.T) {
	timeout := apierrors.NewTimeoutError("slow", 1)
	health := func() []ComponentHealth { return []ComponentHealth{{Component: "Model", Errors: []error{timeout}}} }
	stored := func(prev metav1.ConditionStatus) *widget {
		return storedWidget(c("ModelReady", prev, "Ready", t0.Add(-time.Hour)), c("Ready", prev, "AllComponentsReady", t0.Add(-time.Hour)))
	}
	// First infra error: DependenciesReachable is created now, so we are inside the window.
	e := newEnv()
	p := e.pipeline(&funcReconciler{health: health})
	_, err := p.Run(context.Background(), stored("True"))
	if err == nil {
		t.Fatal("infra error must be returned")
	}
	st := e.store.last(t).Status
	m := cond(st.Conditions, "ModelReady")
	if m.Status != "True" || m.Reason != "Timeout" || m.LastTransitionTime.Time != t0.Add(-time.Hour) {
		t.Errorf("inside grace ModelReady = %+v", m)
	}
	if st.Status != "Ready" || cond(st.Conditions, "Ready").Status != "True" {
		t.Errorf("inside grace status = %s, Ready = %+v", st.Status, cond(st.Conditions, "Ready"))
	}
	dr := cond(st.Conditions, "DependenciesReachable")
	if dr == nil || dr.Status != "False" || dr.LastTransitionTime.Time != t0 {
		t.Fatalf("DependenciesReachable = %+v", dr)
	}

	// 9 s later: still inside, the window is anchored on DependenciesReachable's transition.
	e.clock.Step(9 * time.Second)
	_, _ = p.Run(context.Background(), e.store.last(t))
	if m := cond(e.store.last(t).Status.Conditions, "ModelReady"); m.Status != "True" {
		t.Errorf("at 9s ModelReady = %+v", m)
	}

	// 11 s: expired.
	e.clock.Step(2 * time.Second)
	_, _ = p.Run(context.Background(), e.store.last(t))
	st = e.store.last(t).Status
	m = cond(st.Conditions, "ModelReady")
	if m.Status != "False" || m.Reason != "Timeout" || m.LastTransitionTime.Time != t0.Add(11*time.Second) {
		t.Errorf("after grace ModelReady = %+v", m)
	}
	rd := cond(st.Conditions, "Ready")
	if st.Status != "Degraded" || rd.Status != "False" || rd.Reason != "Timeout" || rd.Message != "Component Model is not ready: Request timed out" {
		t.Errorf("after grace status = %s, Ready = %+v", st.Status, rd)
	}

	// A previous False stays False (AsError), a configurable window, and no previous condition means False.
	e = newEnv()
	p = e.pipeline(&funcReconciler{health: health})
	p.GracePeriod = time.Minute
	_, _ = p.Run(context.Background(), stored("False"))
	if m := cond(e.store.last(t).Status.Conditions, "ModelReady"); m.Status != "False" || m.Reason != "Timeout" {
		t.Errorf("previous False: %+v", m)
	}
	if evs := strings.Join(e.events(), "\n"); !strings.Contains(evs, "Warning Timeout") {
		t.Errorf("previous False in grace must warn: %s", evs)
	}
	e = newEnv()
	p = e.pipeline(&funcReconciler{health: health})
	w := storedWidget(c("ModelReady", "Unknown", "Init", t0.Add(-time.Hour)))
	_, _ = p.Run(context.Background(), w)
	if m := cond(e.store.last(t).Status.Conditions, "ModelReady"); m.Status != "Unknown" {
		t.Errorf("previous Unknown: %+v", m)
	}
	e = newEnv()
	_, _ = e.pipeline(&funcReconciler{health: health}).Run(context.Background(), newWidget())
	if m := cond(e.store.last(t).Status.Conditions, "ModelReady"); m.Status != "False" {
		t.Errorf("no previous: %+v", m)
	}
	// Unknown-category errors do not get the grace period.
	e = newEnv()
	_, _ = e.pipeline(&funcReconciler{health: func() []ComponentHealth {
		return []ComponentHealth{{Component: "Model", Errors: []error{errors.New("weird")}}}
	}}).Run(context.Background(), stored("True"))
	if m := cond(e.store.last(t).Status.Conditions, "ModelReady"); m.Status != "False" {
		t.Errorf("unknown error in grace: %+v", m)
	}
}

func TestDecoratorAddsRolledUpCondition(t *testing.T) {
	e := newEnv()
	r := decoratingReconciler{&funcReconciler{
		health: func() []ComponentHealth { return []ComponentHealth{{Component: "A"}} },
		decorate: func(s *widgetStatus, cm *ConditionManager) {
			s.Extra = "resolved"
			if !cm.IsTrue("AReady") {
				panic("decorator runs after component conditions")
			}
			cm.MarkFalse("CustomReady", "NotYet", "waiting")
		},
	}}
	p := &Pipeline[*widget, *widgetStatus, []ComponentHealth, healthObs]{
		Name: "t", Reconciler: r, StatusOf: func(w *widget) *widgetStatus { return &w.Status },
		UpdateStatus: e.store.update, Clock: e.clock,
	}
	if _, err := p.Run(context.Background(), newWidget()); err != nil {
		t.Fatal(err)
	}
	st := e.store.last(t).Status
	if st.Extra != "resolved" || st.Status != "Progressing" || cond(st.Conditions, "CustomReady") == nil {
		t.Errorf("status = %+v", st)
	}
}
