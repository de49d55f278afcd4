// Package nokserve checks that AIMService runs without the KServe and Gateway API CRDs: the
// service reports the missing kind instead of failing, and proceeds once the CRDs appear.
package nokserve

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/testenv"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	"github.com/aimlite/aimlite/test/services/harness"
)

var env = testenv.New(testenv.Options{NoTestCRDs: true})

func TestMain(m *testing.M) { env.Main(m) }

func TestServiceWaitsForKServe(t *testing.T) {
	ctx := context.Background()
	harness.StartWith(t, env, false)
	ns := env.Namespace(t)
	c := versioned.NewForConfigOrDie(env.Config)
	paused := map[string]string{constants.AnnotationReconciliationPaused: "true"}
	m, err := c.AimV1alpha1().AIMModels(ns).Create(ctx, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "llama", Annotations: paused},
		Spec: aimv1.AIMModelSpec{Image: "ghcr.io/example/llama:1.0"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Status.Status = "Ready"
	if _, err := c.AimV1alpha1().AIMModels(ns).UpdateStatus(ctx, m, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	tpl, err := c.AimV1alpha1().AIMServiceTemplates(ns).Create(ctx, &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "tpl", Annotations: paused},
		Spec: aimv1.AIMServiceTemplateSpec{AIMServiceTemplateSpecCommon: aimv1.AIMServiceTemplateSpecCommon{ModelName: "llama"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tpl.Status.Status = "Ready"
	tpl.Status.Profile = &aimv1.AIMProfile{Metadata: &aimv1.AIMProfileMetadata{Type: "optimized"}}
	if _, err := c.AimV1alpha1().AIMServiceTemplates(ns).UpdateStatus(ctx, tpl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AimV1alpha1().AIMServices(ns).Create(ctx, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "svc"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	status := func(want, reason string) func() error {
		return func() error {
			s, err := c.AimV1alpha1().AIMServices(ns).Get(ctx, "svc", metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, k := range s.Status.Conditions {
				if k.Type == "InferenceServiceReady" && k.Reason == reason && string(s.Status.Status) == want {
					return nil
				}
			}
			return fmt.Errorf("status %s conditions %+v", s.Status.Status, s.Status.Conditions)
		}
	}
	harness.Eventually(t, 30*time.Second, "Pending on the missing InferenceService kind", status("Pending", "InferenceServiceKindMissing"))

	if err := env.InstallCRDs(ctx, env.TestCRDsDir()); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 60*time.Second, "InferenceService created once KServe is installed", status("Starting", "CreatingRuntime"))
	name, _ := naming.InferenceServiceName("svc", ns)
	if _, err := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Fatalf("isvc: %v", err)
	}
}
