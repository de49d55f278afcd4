package localcluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

var widgetGVR = schema.GroupVersionResource{Group: "localcluster.aimlite.dev", Version: "v1", Resource: "widgets"}

func widget(ns string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "localcluster.aimlite.dev/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1", "namespace": ns},
		"spec":     spec,
	}}
}

func TestCRDAndServerSideApply(t *testing.T) {
	ctx := context.Background()
	if err := env.InstallCRDs(ctx, "testdata/widgets.yaml"); err != nil {
		t.Fatal(err)
	}
	ns := env.Namespace(t)
	res := env.Dynamic.Resource(widgetGVR).Namespace(ns)

	// The schema is enforced.
	_, err := res.Apply(ctx, "w1", widget(ns, map[string]any{"size": 0}), metav1.ApplyOptions{FieldManager: "a"})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("size 0 below minimum: want Invalid, got %v", err)
	}

	if _, err := res.Apply(ctx, "w1", widget(ns, map[string]any{"color": "red", "size": int64(2)}), metav1.ApplyOptions{FieldManager: "a"}); err != nil {
		t.Fatal(err)
	}
	// Manager b claims size with another value: conflict, unless forced.
	_, err = res.Apply(ctx, "w1", widget(ns, map[string]any{"size": int64(3)}), metav1.ApplyOptions{FieldManager: "b"})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), "spec.size") {
		t.Fatalf("want a field-manager conflict on spec.size, got %v", err)
	}
	got, err := res.Apply(ctx, "w1", widget(ns, map[string]any{"size": int64(3)}), metav1.ApplyOptions{FieldManager: "b", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	size, _, _ := unstructured.NestedInt64(got.Object, "spec", "size")
	color, _, _ := unstructured.NestedString(got.Object, "spec", "color")
	if size != 3 || color != "red" {
		t.Fatalf("after forced apply: size=%d color=%q, want 3 and red", size, color)
	}
	managers := map[string]bool{}
	for _, mf := range got.GetManagedFields() {
		managers[mf.Manager] = true
	}
	if !managers["a"] || !managers["b"] {
		t.Fatalf("managedFields should list a (color) and b (size): %v", managers)
	}

	// Status subresource: spec changes through /status are ignored, status is written.
	st := widget(ns, nil)
	st.Object["status"] = map[string]any{"phase": "Ready"}
	delete(st.Object, "spec")
	got, err = res.ApplyStatus(ctx, "w1", st, metav1.ApplyOptions{FieldManager: "status-writer"})
	if err != nil {
		t.Fatal(err)
	}
	if phase, _, _ := unstructured.NestedString(got.Object, "status", "phase"); phase != "Ready" {
		t.Fatalf("status.phase = %q", phase)
	}

	// Typed server-side apply on a core object.
	cm := corev1ac.ConfigMap("cm", ns).WithData(map[string]string{"k": "v"})
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Apply(ctx, cm, metav1.ApplyOptions{FieldManager: "a"}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.CoreV1().ConfigMaps(ns).Apply(ctx, corev1ac.ConfigMap("cm", ns).WithData(map[string]string{"k": "w"}), metav1.ApplyOptions{FieldManager: "b"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("ConfigMap: want conflict, got %v", err)
	}
}

func TestGarbageCollectionOfCustomResourceOwner(t *testing.T) {
	ctx := context.Background()
	ns := env.Namespace(t)
	isvcGVR := schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}
	owner, err := env.Dynamic.Resource(isvcGVR).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
		"metadata": map[string]any{"name": "owner"},
		"spec":     map[string]any{"predictor": map[string]any{"model": map[string]any{"modelFormat": map[string]any{"name": "x"}}}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	child := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "child", OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService", Name: owner.GetName(), UID: owner.GetUID(),
	}}}}
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, child, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second child owned by a ConfigMap, to cover a core owner type as well.
	parent, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "parent"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	child2 := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "child2", OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "ConfigMap", Name: parent.Name, UID: parent.UID,
	}}}}
	if _, err := env.Client.CoreV1().Secrets(ns).Create(ctx, child2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if err := env.Dynamic.Resource(isvcGVR).Namespace(ns).Delete(ctx, "owner", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.CoreV1().ConfigMaps(ns).Delete(ctx, "parent", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func(ctx context.Context) (bool, string) {
		_, err1 := env.Client.CoreV1().ConfigMaps(ns).Get(ctx, "child", metav1.GetOptions{})
		_, err2 := env.Client.CoreV1().Secrets(ns).Get(ctx, "child2", metav1.GetOptions{})
		return apierrors.IsNotFound(err1) && apierrors.IsNotFound(err2), "children still present"
	})
	t.Logf("children garbage-collected %.2fs after their owners were deleted", time.Since(start).Seconds())

	// Foreground deletion: the owner waits for its dependents.
	owner2, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "fg"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "fg-dep", OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "ConfigMap", Name: owner2.Name, UID: owner2.UID, BlockOwnerDeletion: new(true),
	}}}}
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fg := metav1.DeletePropagationForeground
	if err := env.Client.CoreV1().ConfigMaps(ns).Delete(ctx, "fg", metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func(ctx context.Context) (bool, string) {
		_, err1 := env.Client.CoreV1().ConfigMaps(ns).Get(ctx, "fg", metav1.GetOptions{})
		_, err2 := env.Client.CoreV1().ConfigMaps(ns).Get(ctx, "fg-dep", metav1.GetOptions{})
		return apierrors.IsNotFound(err1) && apierrors.IsNotFound(err2), "foreground owner or dependent still present"
	})
}
