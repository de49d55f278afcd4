package statemachine

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// An owned child is applied with a controller reference; a second reconcile of the unchanged object sends
// no mutating request and no status write.
func TestRunAppliesOwnedChildThenIsQuiet(t *testing.T) {
	e := newEnv()
	r := &funcReconciler{
		health: func() []ComponentHealth { return []ComponentHealth{{Component: "Data", State: StateReady}} },
		plan: func(w *widget) PlanResult {
			var p PlanResult
			p.Apply(corev1ac.ConfigMap(w.Name, w.Namespace).WithData(map[string]string{"a": "b"}))
			return p
		},
	}
	p := e.pipeline(r)
	res, err := p.Run(context.Background(), newWidget())
	if err != nil || !res.IsZero() {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	cm, err := e.cs.CoreV1().ConfigMaps("ns").Get(context.Background(), "w", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refs := cm.OwnerReferences
	if len(refs) != 1 || refs[0].UID != "uid-w" || refs[0].Kind != "Widget" || !*refs[0].Controller || !*refs[0].BlockOwnerDeletion {
		t.Fatalf("owner refs = %+v", refs)
	}
	if len(cm.ManagedFields) != 1 || cm.ManagedFields[0].Manager != "test-controller" {
		t.Fatalf("managed fields = %+v", cm.ManagedFields)
	}
	w := e.store.last(t)
	if w.Status.Status != "Ready" || w.Status.ObservedGeneration != 3 || cond(w.Status.Conditions, "Ready").ObservedGeneration != 3 {
		t.Fatalf("status = %+v", w.Status)
	}
	e.dyn.ClearActions()
	writes := len(e.store.writes)
	if _, err := p.Run(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if n := mutations(e.dyn.Actions()); n != 0 {
		t.Fatalf("second run sent %d mutating requests: %v", n, e.dyn.Actions())
	}
	if len(e.store.writes) != writes {
		t.Fatal("second run wrote status")
	}
	if s := e.applier.Stats(); s.Sent != 1 || s.Skipped != 1 {
		t.Fatalf("stats = %+v", s)
	}
}
