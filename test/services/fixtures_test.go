package services

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
)

var bg = context.Background()

func aimClient(t *testing.T) versioned.Interface {
	t.Helper()
	return versioned.NewForConfigOrDie(env.Config)
}

var paused = map[string]string{constants.AnnotationReconciliationPaused: "true"}

// paintModel creates a paused AIMModel and sets its status by hand.
func paintModel(t *testing.T, ns, name, image, status string) *aimv1.AIMModel {
	t.Helper()
	c := aimClient(t)
	m, err := c.AimV1alpha1().AIMModels(ns).Create(bg, &aimv1.AIMModel{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: paused},
		Spec:       aimv1.AIMModelSpec{Image: image},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create model: %v", err)
	}
	return setModelStatus(t, m, status)
}

func setModelStatus(t *testing.T, m *aimv1.AIMModel, status string) *aimv1.AIMModel {
	t.Helper()
	c := aimClient(t)
	var out *aimv1.AIMModel
	eventually(t, 10*time.Second, "model status update", func() error {
		cur, err := c.AimV1alpha1().AIMModels(m.Namespace).Get(bg, m.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Status = aimv1.AIMStatus(status)
		out, err = c.AimV1alpha1().AIMModels(m.Namespace).UpdateStatus(bg, cur, metav1.UpdateOptions{})
		return err
	})
	return out
}

type source struct{ uri, id, size string }

// paintTemplate creates a paused AIMServiceTemplate and sets a Ready-like status by hand.
func paintTemplate(t *testing.T, ns, name, model, status, precision string, srcs ...source) *aimv1.AIMServiceTemplate {
	t.Helper()
	c := aimClient(t)
	tpl, err := c.AimV1alpha1().AIMServiceTemplates(ns).Create(bg, &aimv1.AIMServiceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: paused},
		Spec: aimv1.AIMServiceTemplateSpec{AIMServiceTemplateSpecCommon: aimv1.AIMServiceTemplateSpecCommon{
			ModelName: model, AIMRuntimeParameters: aimv1.AIMRuntimeParameters{Metric: "latency", Precision: aimv1.AIMPrecision(precision)}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create template: %v", err)
	}
	eventually(t, 10*time.Second, "template status update", func() error {
		cur, err := c.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Status = aimv1.AIMStatus(status)
		cur.Status.Profile = &aimv1.AIMProfile{Metadata: &aimv1.AIMProfileMetadata{Type: "optimized", Metric: "latency",
			Precision: aimv1.AIMPrecision(precision), GPU: "MI300X", GPUCount: 1}}
		cur.Status.ResolvedHardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}
		cur.Status.ModelSources = nil
		for _, s := range srcs {
			ms := aimv1.AIMModelSource{SourceURI: s.uri, ModelID: s.id}
			if s.size != "" {
				q := resource.MustParse(s.size)
				ms.Size = &q
			}
			cur.Status.ModelSources = append(cur.Status.ModelSources, ms)
		}
		cur.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "AllComponentsReady",
			Message: "All components are ready", LastTransitionTime: metav1.Now()}}
		if status != constants.StatusReady {
			cur.Status.Conditions[0].Status, cur.Status.Conditions[0].Reason = metav1.ConditionFalse, "Progressing"
		}
		tpl, err = c.AimV1alpha1().AIMServiceTemplates(ns).UpdateStatus(bg, cur, metav1.UpdateOptions{})
		return err
	})
	return tpl
}

func createService(t *testing.T, ns string, svc *aimv1.AIMService) *aimv1.AIMService {
	t.Helper()
	svc.Namespace = ns
	out, err := aimClient(t).AimV1alpha1().AIMServices(ns).Create(bg, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}
	return out
}

func getService(t *testing.T, ns, name string) *aimv1.AIMService {
	t.Helper()
	s, err := aimClient(t).AimV1alpha1().AIMServices(ns).Get(bg, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service: %v", err)
	}
	return s
}

func cond(conds []metav1.Condition, typ string) *metav1.Condition {
	for i := range conds {
		if conds[i].Type == typ {
			return &conds[i]
		}
	}
	return nil
}

// waitServiceStatus waits for status.status and, optionally, a condition with a reason.
func waitServiceStatus(t *testing.T, ns, name, status, condType, reason string, timeout time.Duration) *aimv1.AIMService {
	t.Helper()
	var s *aimv1.AIMService
	eventually(t, timeout, fmt.Sprintf("service %s status %s %s=%s", name, status, condType, reason), func() error {
		s = getService(t, ns, name)
		if string(s.Status.Status) != status {
			return fmt.Errorf("status %q, conditions %v", s.Status.Status, summarize(s.Status.Conditions))
		}
		if condType != "" {
			c := cond(s.Status.Conditions, condType)
			if c == nil || c.Reason != reason {
				return fmt.Errorf("condition %s = %+v, all %v", condType, c, summarize(s.Status.Conditions))
			}
		}
		return nil
	})
	return s
}

func summarize(cs []metav1.Condition) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s=%s/%s(%s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return out
}

// setISVCReady plays KServe: it starts a predictor pod (kwok runs it) and marks the
// InferenceService Ready.
func setISVCReady(t *testing.T, ns, name string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-predictor", Namespace: ns, Labels: map[string]string{"serving.kserve.io/inferenceservice": name}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "kserve-container", Image: "ghcr.io/example/llama:1.0"}}},
	}
	if _, err := env.Client.CoreV1().Pods(ns).Create(bg, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("predictor pod: %v", err)
	}
	eventually(t, 10*time.Second, "isvc status", func() error {
		u, err := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"type": "Ready", "status": "True"}}, "status", "conditions")
		_, err = env.Dynamic.Resource(kserve.GVR).Namespace(ns).UpdateStatus(bg, u, metav1.UpdateOptions{})
		return err
	})
}
