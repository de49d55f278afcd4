package services

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// Auto-selection requires the template's GPU in the cluster (catalogue §7 "Template selection"): with no
// MI355X node the only candidate is filtered out (Pending/TemplateNotFound); a node announcing one
// re-enqueues the unresolved service, which then resolves the template.
func TestAutoSelectWaitsForGPUNode(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	c := aimClient(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	tpl := paintTemplate(t, ns, "on-mi355x", "llama", "Ready", "fp8")
	eventually(t, 10*time.Second, "template GPU MI355X", func() error {
		cur, err := c.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, tpl.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Profile.Metadata.GPU = "MI355X"
		cur.Status.ResolvedHardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI355X"}}
		_, err = c.AimV1alpha1().AIMServiceTemplates(ns).UpdateStatus(bg, cur, metav1.UpdateOptions{})
		return err
	})
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "gpu"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	s := waitServiceStatus(t, ns, "gpu", "Pending", "TemplateReady", "TemplateNotFound", 30*time.Second)
	if m := cond(s.Status.Conditions, "TemplateReady").Message; m != "No template found for service" {
		t.Fatalf("TemplateReady message %q", m)
	}
	if s.Status.ResolvedTemplate != nil {
		t.Fatalf("resolvedTemplate %+v without an MI355X node", s.Status.ResolvedTemplate)
	}

	node := localcluster.Node{Name: "kwok-mi355x-" + ns, GPUs: 8, Labels: map[string]string{"amd.com/gpu.device-id": "75a3"}}
	if err := env.AddNode(bg, node); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.DeleteNode(bg, node.Name) })
	eventually(t, 30*time.Second, "template resolved once the GPU node exists", func() error {
		s = getService(t, ns, "gpu")
		tc := cond(s.Status.Conditions, "TemplateReady")
		if tc == nil || tc.Status != metav1.ConditionTrue || s.Status.ResolvedTemplate == nil || s.Status.ResolvedTemplate.Name != tpl.Name {
			return fmt.Errorf("resolvedTemplate %+v, conditions %v", s.Status.ResolvedTemplate, summarize(s.Status.Conditions))
		}
		return nil
	})
}
