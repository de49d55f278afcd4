package apiintegration

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	acv1alpha1 "github.com/aimlite/aimlite/pkg/generated/applyconfiguration/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
)

// TestApplyAndExtract changes a created sample through a generated apply configuration and checks
// the extract/modify/apply workflow: Extract<Kind> returns exactly what the manager applied,
// re-applying it is a no-op, and a modified extract changes only that field. The same for status
// through ApplyStatus and Extract<Kind>Status.
func TestApplyAndExtract(t *testing.T) {
	cfg := restConfig(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	cs, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	models := cs.AimV1alpha1().AIMModels(ns)

	m := readManifest(t, filepath.Join(samplesDir, "aim_v1alpha1_aimmodel.yaml"))
	sample := toTyped(t, m.obj).(*aimv1alpha1.AIMModel)
	sample.Namespace = ns
	created, err := models.Create(ctx, sample, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A second manager takes co-ownership of the image (same value: no conflict) and sets two more fields.
	const manager = "apiintegration-apply"
	applied := acv1alpha1.AIMModel(created.Name, ns).
		WithLabels(map[string]string{"aimlite.dev/applied": "yes"}).
		WithSpec(acv1alpha1.AIMModelSpec().
			WithImage(created.Spec.Image).
			WithRuntimeConfigName("tuned"))
	got, err := models.Apply(ctx, applied, metav1.ApplyOptions{FieldManager: manager})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got.Spec.RuntimeConfigName != "tuned" || got.Labels["aimlite.dev/applied"] != "yes" {
		t.Errorf("apply did not set runtimeConfigName and the label: %s", mustJSON(got))
	}
	if len(got.Spec.Env) != len(created.Spec.Env) || got.Spec.Discovery == nil {
		t.Errorf("apply dropped fields it does not own: env %v discovery %v", got.Spec.Env, got.Spec.Discovery)
	}

	extracted, err := acv1alpha1.ExtractAIMModel(got, manager)
	if err != nil {
		t.Fatalf("ExtractAIMModel: %v", err)
	}
	if a, e := mustJSON(applied), mustJSON(extracted); a != e {
		t.Fatalf("Extract does not round-trip:\napplied   %s\nextracted %s", a, e)
	}
	again, err := models.Apply(ctx, extracted, metav1.ApplyOptions{FieldManager: manager})
	if err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != got.ResourceVersion {
		t.Errorf("re-applying the extracted configuration changed the object (resourceVersion %s -> %s)", got.ResourceVersion, again.ResourceVersion)
	}

	extracted.Spec.WithRuntimeConfigName("other")
	changed, err := models.Apply(ctx, extracted, metav1.ApplyOptions{FieldManager: manager})
	if err != nil {
		t.Fatal(err)
	}
	if changed.Spec.RuntimeConfigName != "other" || changed.Spec.Image != created.Spec.Image || len(changed.Spec.Env) != len(created.Spec.Env) {
		t.Errorf("extract/modify/apply: want only runtimeConfigName changed, got %s", mustJSON(changed.Spec))
	}

	// Status through the status subresource, as a controller writes it.
	const statusManager = "apiintegration-status"
	status := acv1alpha1.AIMModel(created.Name, ns).WithStatus(acv1alpha1.AIMModelStatus().
		WithStatus(aimv1alpha1.AIMStatusReady).
		WithObservedGeneration(changed.Generation).
		WithConditions(metav1ac.Condition().
			WithType("Ready").WithStatus(metav1.ConditionTrue).
			WithReason("AllGood").WithMessage("sample applied").
			WithObservedGeneration(changed.Generation).
			WithLastTransitionTime(metav1.NewTime(time.Now().Truncate(time.Second)))))
	withStatus, err := models.ApplyStatus(ctx, status, metav1.ApplyOptions{FieldManager: statusManager})
	if err != nil {
		t.Fatalf("apply status: %v", err)
	}
	if withStatus.Status.Status != aimv1alpha1.AIMStatusReady || len(withStatus.Status.Conditions) != 1 {
		t.Errorf("status not applied: %s", mustJSON(withStatus.Status))
	}
	extractedStatus, err := acv1alpha1.ExtractAIMModelStatus(withStatus, statusManager)
	if err != nil {
		t.Fatalf("ExtractAIMModelStatus: %v", err)
	}
	if a, e := mustJSON(status), mustJSON(extractedStatus); a != e {
		t.Errorf("status Extract does not round-trip:\napplied   %s\nextracted %s", a, e)
	}
	// The spec manager's extract is unaffected by the status write.
	specAgain, err := acv1alpha1.ExtractAIMModel(withStatus, manager)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(specAgain) != mustJSON(extracted) {
		t.Errorf("spec extract changed after a status apply:\nbefore %s\nafter  %s", mustJSON(extracted), mustJSON(specAgain))
	}
}

// TestApplyClusterScoped applies and extracts a cluster-scoped kind (no namespace in the request).
func TestApplyClusterScoped(t *testing.T) {
	cfg := restConfig(t)
	ctx := context.Background()
	cs, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api := cs.AimV1alpha1().AIMClusterRuntimeConfigs()
	name := "apiintegration-apply" + runSuffix
	ensureGone(t,
		func(ctx context.Context) error { _, err := api.Get(ctx, name, metav1.GetOptions{}); return err },
		func(ctx context.Context) error { return api.Delete(ctx, name, metav1.DeleteOptions{}) })
	t.Cleanup(func() { _ = api.Delete(context.Background(), name, metav1.DeleteOptions{}) })

	const manager = "apiintegration-apply"
	applied := acv1alpha1.AIMClusterRuntimeConfig(name).
		WithLabels(map[string]string{"aimlite.dev/applied": "yes"}).
		WithSpec(acv1alpha1.AIMRuntimeConfigSpec().
			WithStorage(acv1alpha1.AIMStorageConfig().WithPVCHeadroomPercent(15)))
	got, err := api.Apply(ctx, applied, metav1.ApplyOptions{FieldManager: manager})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got.Namespace != "" || got.Labels["aimlite.dev/applied"] != "yes" ||
		got.Spec.Storage == nil || got.Spec.Storage.PVCHeadroomPercent == nil || *got.Spec.Storage.PVCHeadroomPercent != 15 {
		t.Errorf("unexpected object: %s", mustJSON(got))
	}
	extracted, err := acv1alpha1.ExtractAIMClusterRuntimeConfig(got, manager)
	if err != nil {
		t.Fatal(err)
	}
	if a, e := mustJSON(applied), mustJSON(extracted); a != e {
		t.Errorf("Extract does not round-trip:\napplied   %s\nextracted %s", a, e)
	}
}
