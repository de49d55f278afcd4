package services

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// A service naming a model with a Ready template creates the cache, its artifact, the PVC,
// the download Job and finally the InferenceService, and runs once KServe reports Ready.
func TestServiceByModelNameRuns(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "llama-mi300x", "llama", "Ready", "fp8", source{"hf://org/llama-8b", "org/llama-8b", "2Gi"})
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "chat"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})

	c := aimClient(t)
	cacheName := naming.SharedTemplateCacheName("llama-mi300x", ns)
	eventually(t, 30*time.Second, "template cache", func() error {
		_, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, cacheName, metav1.GetOptions{})
		return err
	})
	var art *aimv1.AIMArtifact
	eventually(t, 30*time.Second, "artifact", func() error {
		l, err := c.AimV1alpha1().AIMArtifacts(ns).List(bg, metav1.ListOptions{})
		if err != nil || len(l.Items) != 1 {
			return fmt.Errorf("artifacts: %v %d", err, len(l.Items))
		}
		art = &l.Items[0]
		return nil
	})
	pvc := naming.ArtifactPVCName(art.Name, string(art.UID))
	eventually(t, 60*time.Second, "artifact Ready", func() error {
		a, err := c.AimV1alpha1().AIMArtifacts(ns).Get(bg, art.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if a.Status.Status != "Ready" {
			return fmt.Errorf("artifact %s: %v", a.Status.Status, summarize(a.Status.Conditions))
		}
		if a.Status.PersistentVolumeClaim != pvc {
			return fmt.Errorf("pvc %q", a.Status.PersistentVolumeClaim)
		}
		return nil
	})
	if _, err := env.Client.CoreV1().PersistentVolumeClaims(ns).Get(bg, pvc, metav1.GetOptions{}); err != nil {
		t.Fatalf("pvc: %v", err)
	}
	isvcName, _ := naming.InferenceServiceName("chat", ns)
	eventually(t, 60*time.Second, "inference service", func() error {
		_, err := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
		return err
	})
	s := waitServiceStatus(t, ns, "chat", "Starting", "InferenceServiceReady", "CreatingRuntime", 30*time.Second)
	if s.Status.ResolvedTemplate == nil || s.Status.ResolvedTemplate.Name != "llama-mi300x" {
		t.Fatalf("resolvedTemplate %+v", s.Status.ResolvedTemplate)
	}
	setISVCReady(t, ns, isvcName)
	s = waitServiceStatus(t, ns, "chat", "Running", "Ready", "AllComponentsReady", 30*time.Second)
	if s.Status.Cache == nil || s.Status.Cache.TemplateCacheRef == nil || s.Status.Cache.TemplateCacheRef.Name != cacheName {
		t.Fatalf("cache ref %+v", s.Status.Cache)
	}
	u, _ := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
	if !kserve.HasPVCVolumes(u) {
		t.Fatal("the InferenceService does not mount the cache PVC")
	}
}
