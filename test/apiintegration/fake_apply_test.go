package apiintegration

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	acv1alpha1 "github.com/aimlite/aimlite/pkg/generated/applyconfiguration/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned/fake"
)

// TestFakeClientsetApply needs no control plane: fake.NewClientset tracks field ownership with the
// structured-merge-diff schema that applyconfiguration-gen embedded (--applyconfig-openapi-schema),
// so unit tests of controllers can rely on real apply semantics for AIM kinds.
func TestFakeClientsetApply(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	models := c.AimV1alpha1().AIMModels("ns")

	a := acv1alpha1.AIMModel("m", "ns").WithSpec(acv1alpha1.AIMModelSpec().
		WithImage("ghcr.io/silogen/aim:1").
		WithEnv(corev1ac.EnvVar().WithName("A").WithValue("1")))
	got, err := models.Apply(ctx, a, metav1.ApplyOptions{FieldManager: "first"})
	if err != nil {
		t.Fatalf("apply through the fake clientset: %v", err)
	}
	if got.Spec.Image != "ghcr.io/silogen/aim:1" || len(got.Spec.Env) != 1 {
		t.Fatalf("applied object: %+v", got.Spec)
	}

	// env is a list-map keyed by name: a second manager's entry merges instead of replacing.
	b := acv1alpha1.AIMModel("m", "ns").WithSpec(acv1alpha1.AIMModelSpec().
		WithImage("ghcr.io/silogen/aim:1").
		WithEnv(corev1ac.EnvVar().WithName("B").WithValue("2")))
	got, err = models.Apply(ctx, b, metav1.ApplyOptions{FieldManager: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if names := envNames(got.Spec.Env); len(names) != 2 || names[0] != "A" || names[1] != "B" {
		t.Errorf("env after two managers = %v, want [A B] (merged by name)", names)
	}

	// Ownership is tracked: another value for a field someone else owns conflicts.
	conflicting := acv1alpha1.AIMModel("m", "ns").WithSpec(acv1alpha1.AIMModelSpec().WithImage("other:2"))
	if _, err := models.Apply(ctx, conflicting, metav1.ApplyOptions{FieldManager: "third"}); !apierrors.IsConflict(err) {
		t.Errorf("apply of a field owned by others: want a conflict, got %v", err)
	}

	extracted, err := acv1alpha1.ExtractAIMModel(got, "first")
	if err != nil {
		t.Fatalf("ExtractAIMModel: %v", err)
	}
	if want, got := mustJSON(a), mustJSON(extracted); want != got {
		t.Errorf("Extract does not round-trip:\napplied   %s\nextracted %s", want, got)
	}

	// Status applies too. The fake records it without the "status" subresource in managedFields
	// (client-go's tracker does not model subresources), so Extract<Kind>Status is checked against
	// a real apiserver in TestApplyAndExtract instead.
	st := acv1alpha1.AIMModel("m", "ns").WithStatus(acv1alpha1.AIMModelStatus().WithStatus(aimv1alpha1.AIMStatusReady))
	withStatus, err := models.ApplyStatus(ctx, st, metav1.ApplyOptions{FieldManager: "controller"})
	if err != nil {
		t.Fatalf("apply status: %v", err)
	}
	if withStatus.Status.Status != aimv1alpha1.AIMStatusReady || withStatus.Spec.Image != "ghcr.io/silogen/aim:1" {
		t.Errorf("after status apply: status %q image %q", withStatus.Status.Status, withStatus.Spec.Image)
	}

	// A cluster-scoped kind applies without a namespace.
	cm, err := c.AimV1alpha1().AIMClusterModels().Apply(ctx,
		acv1alpha1.AIMClusterModel("cm").WithSpec(acv1alpha1.AIMModelSpec().WithImage("ghcr.io/silogen/aim:1")),
		metav1.ApplyOptions{FieldManager: "first"})
	if err != nil {
		t.Fatalf("apply cluster-scoped: %v", err)
	}
	if cm.Namespace != "" || cm.Spec.Image != "ghcr.io/silogen/aim:1" {
		t.Errorf("cluster model: %+v", cm)
	}
}

func envNames(env []corev1.EnvVar) []string {
	var out []string
	for _, e := range env {
		out = append(out, e.Name)
	}
	return out
}
