package statemachine

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// UnstructuredStatus adapts an unstructured object's status.conditions, status.status and
// status.observedGeneration to Status, for kinds reconciled without Go types. Use it as Pipeline.Fields.
func UnstructuredStatus(u *unstructured.Unstructured) Status { return unstructuredStatus{u} }

type unstructuredStatus struct{ u *unstructured.Unstructured }

func (s unstructuredStatus) GetConditions() []metav1.Condition {
	raw, _, _ := unstructured.NestedSlice(s.u.Object, "status", "conditions")
	var out []metav1.Condition
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		var c metav1.Condition
		if runtime.DefaultUnstructuredConverter.FromUnstructured(m, &c) == nil {
			out = append(out, c)
		}
	}
	return out
}

func (s unstructuredStatus) SetConditions(cs []metav1.Condition) {
	if len(cs) == 0 {
		unstructured.RemoveNestedField(s.u.Object, "status", "conditions")
		return
	}
	raw := make([]any, 0, len(cs))
	for i := range cs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&cs[i])
		if err == nil {
			raw = append(raw, m)
		}
	}
	_ = unstructured.SetNestedSlice(s.u.Object, raw, "status", "conditions")
}

func (s unstructuredStatus) GetStatus() string {
	v, _, _ := unstructured.NestedString(s.u.Object, "status", "status")
	return v
}

func (s unstructuredStatus) SetStatus(v string) {
	_ = unstructured.SetNestedField(s.u.Object, v, "status", "status")
}

func (s unstructuredStatus) GetObservedGeneration() int64 {
	v, _, _ := unstructured.NestedInt64(s.u.Object, "status", "observedGeneration")
	return v
}

func (s unstructuredStatus) SetObservedGeneration(g int64) {
	_ = unstructured.SetNestedField(s.u.Object, g, "status", "observedGeneration")
}
