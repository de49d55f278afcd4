package services

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
	if c := cond(s.Status.Conditions, "InferenceServicePodsReady"); c == nil || c.Status != "True" || c.Reason != "PodsReady" {
		t.Fatalf("InferenceServicePodsReady %+v", c)
	}
	if s.Status.Cache == nil || s.Status.Cache.TemplateCacheRef == nil || s.Status.Cache.TemplateCacheRef.Name != cacheName {
		t.Fatalf("cache ref %+v", s.Status.Cache)
	}
	u, _ := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
	if !kserve.HasPVCVolumes(u) {
		t.Fatal("the InferenceService does not mount the cache PVC")
	}
}

// A service by image creates (without owner) the AIMModel for that image.
func TestServiceByImageCreatesModel(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	image := "ghcr.io/silogen/aim-meta-llama-llama-3-1-8b-instruct:0.8.5"
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "by-image"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Image: image}}})
	c := aimClient(t)
	var m *aimv1.AIMModel
	eventually(t, 30*time.Second, "auto-created model", func() error {
		var err error
		m, err = c.AimV1alpha1().AIMModels(ns).Get(bg, "aim-meta-llama-llama-3-1-8b-instruct-0-8-5-8859fc08", metav1.GetOptions{})
		return err
	})
	if m.Spec.Image != image || m.Labels["aim.eai.amd.com/origin"] != "auto-generated" || len(m.OwnerReferences) != 0 {
		t.Fatalf("model %+v labels %v owners %v", m.Spec, m.Labels, m.OwnerReferences)
	}
	// The model exists but is not Ready (no model controller runs here): the service waits.
	s := waitServiceStatus(t, ns, "by-image", "Pending", "ModelReady", "ModelNotReady", 30*time.Second)
	if s.Status.ResolvedModel != nil {
		t.Fatalf("resolvedModel set before the model is Ready: %+v", s.Status.ResolvedModel)
	}
	// A second service with the same image reuses the model instead of creating another.
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "by-image-2"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Image: image}}})
	waitServiceStatus(t, ns, "by-image-2", "Pending", "ModelReady", "ModelNotReady", 30*time.Second)
	l, _ := c.AimV1alpha1().AIMModels(ns).List(bg, metav1.ListOptions{})
	if len(l.Items) != 1 {
		t.Fatalf("%d models, want 1", len(l.Items))
	}
}

// Missing references fail with ConfigValid=False and the reference's reasons; a template that
// does not exist yet for auto-selection only waits.
func TestMissingModelAndTemplateFail(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "no-model"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "absent"}}})
	s := waitServiceStatus(t, ns, "no-model", "Failed", "ModelReady", "ModelNotFound", 30*time.Second)
	if c := cond(s.Status.Conditions, "ConfigValid"); c == nil || c.Status != "False" || c.Reason != "ReferenceNotFound" {
		t.Fatalf("ConfigValid %+v", c)
	}

	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "no-template"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}, Template: &aimv1.AIMServiceTemplateConfig{Name: "absent-tpl"}}})
	s = waitServiceStatus(t, ns, "no-template", "Failed", "TemplateReady", "TemplateNotFound", 30*time.Second)
	if c := cond(s.Status.Conditions, "TemplateReady"); c.Message != `template "absent-tpl" not found` {
		t.Fatalf("TemplateReady message %q", c.Message)
	}
	// Auto-selection with no template (yet) is the contract's Pending fallback: templates may
	// still appear, so it is not a missing reference.
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "auto-none"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	s = waitServiceStatus(t, ns, "auto-none", "Pending", "TemplateReady", "TemplateNotFound", 30*time.Second)
	if c := cond(s.Status.Conditions, "ConfigValid"); c != nil && c.Status == "False" {
		t.Fatalf("ConfigValid %+v", c)
	}
}

// Two equally ranked templates: the contract computes the tie but never surfaces it, so the service waits
// in the Pending fallback (TemplateNotFound) without a spec error.
func TestAmbiguousTemplateSelection(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl-a", "llama", "Ready", "fp8")
	paintTemplate(t, ns, "tpl-b", "llama", "Ready", "fp8")
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "tie"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	s := waitServiceStatus(t, ns, "tie", "Pending", "TemplateReady", "TemplateNotFound", 30*time.Second)
	if msg := cond(s.Status.Conditions, "TemplateReady").Message; msg != "No template found for service" {
		t.Fatalf("TemplateReady message %q", msg)
	}
	if c := cond(s.Status.Conditions, "ConfigValid"); c != nil && c.Status != metav1.ConditionTrue {
		t.Fatalf("a tie is not a spec error: ConfigValid %+v", c)
	}
	if s.Status.ResolvedTemplate != nil {
		t.Fatalf("a tie resolved template %+v", s.Status.ResolvedTemplate)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// A paused dependency with a hand-set status drives the service: Pending while the model
// progresses, Failed when it fails, Running path resumes when it is Ready.
func TestPausedDependencyDrivesStatus(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	m := paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Progressing")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8")
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "dep"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	waitServiceStatus(t, ns, "dep", "Pending", "ModelReady", "ModelNotReady", 30*time.Second)
	m = setModelStatus(t, m, "Failed")
	s := waitServiceStatus(t, ns, "dep", "Failed", "ModelReady", "ModelNotReady", 30*time.Second)
	if c := cond(s.Status.Conditions, "ModelReady"); c.Message != "AIMModel llama is in failed state" {
		t.Fatalf("ModelReady message %q", c.Message)
	}
	setModelStatus(t, m, "Ready")
	// The template has no model sources, so no cache is needed: the ISVC is created next.
	waitServiceStatus(t, ns, "dep", "Starting", "InferenceServiceReady", "CreatingRuntime", 30*time.Second)
}

// Deleting a Dedicated service removes its cache (and the cache's artifacts).
func TestDedicatedDelete(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8", source{"hf://org/ded", "org/ded", "1Gi"})
	svc := createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "ded"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}, Caching: &aimv1.AIMServiceCachingConfig{Mode: "Never"}}})
	c := aimClient(t)
	cacheName := naming.DedicatedTemplateCacheName("tpl", "ded", string(svc.UID))
	eventually(t, 30*time.Second, "dedicated cache with artifact", func() error {
		tc, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, cacheName, metav1.GetOptions{})
		if err != nil {
			l, _ := c.AimV1alpha1().AIMTemplateCaches(ns).List(bg, metav1.ListOptions{})
			s := getService(t, ns, "ded")
			return fmt.Errorf("%v; caches %d; service %v", err, len(l.Items), summarize(s.Status.Conditions))
		}
		if tc.Spec.Mode != "Dedicated" || len(tc.OwnerReferences) != 1 || tc.OwnerReferences[0].UID != svc.UID {
			return fmt.Errorf("cache mode %s owners %v", tc.Spec.Mode, tc.OwnerReferences)
		}
		arts, err := c.AimV1alpha1().AIMArtifacts(ns).List(bg, metav1.ListOptions{})
		if err != nil || len(arts.Items) != 1 || len(arts.Items[0].OwnerReferences) != 1 {
			return fmt.Errorf("artifacts %v", arts)
		}
		return nil
	})
	if err := c.AimV1alpha1().AIMServices(ns).Delete(bg, "ded", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "service, cache and artifacts gone", func() error {
		if _, err := c.AimV1alpha1().AIMServices(ns).Get(bg, "ded", metav1.GetOptions{}); err == nil {
			return fmt.Errorf("service still there")
		}
		if _, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, cacheName, metav1.GetOptions{}); err == nil {
			return fmt.Errorf("cache still there")
		}
		arts, _ := c.AimV1alpha1().AIMArtifacts(ns).List(bg, metav1.ListOptions{})
		if len(arts.Items) != 0 {
			return fmt.Errorf("%d artifacts left", len(arts.Items))
		}
		return nil
	})
}

// Finalizers never block deleting a namespace that holds services, caches and artifacts.
func TestNamespaceDelete(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8", source{"hf://org/nsdel", "org/nsdel", "1Gi"})
	for i := 0; i < 3; i++ {
		createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s%d", i)},
			Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	}
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "missing"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "absent"}}})
	c := aimClient(t)
	eventually(t, 30*time.Second, "finalizers on services and caches", func() error {
		l, err := c.AimV1alpha1().AIMServices(ns).List(bg, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, s := range l.Items {
			if len(s.Finalizers) == 0 {
				return fmt.Errorf("%s has no finalizer", s.Name)
			}
		}
		cl, err := c.AimV1alpha1().AIMTemplateCaches(ns).List(bg, metav1.ListOptions{})
		if err != nil || len(cl.Items) == 0 || len(cl.Items[0].Finalizers) == 0 {
			return fmt.Errorf("no cache with finalizer yet")
		}
		return nil
	})
	if err := env.Client.CoreV1().Namespaces().Delete(bg, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "namespace gone", func() error {
		_, err := env.Client.CoreV1().Namespaces().Get(bg, ns, metav1.GetOptions{})
		if err == nil {
			l, _ := c.AimV1alpha1().AIMServices(ns).List(bg, metav1.ListOptions{})
			return fmt.Errorf("namespace still there (%d services left)", len(l.Items))
		}
		return ignoreNotFound(err)
	})
}

// Losing a Shared cache degrades the service (CacheLost) without touching the
// InferenceService's volumes; the cache is recreated and the service runs again.
func TestLostCacheKeepsVolumes(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8", source{"hf://org/lost", "org/lost", "1Gi"})
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "lost"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	isvcName, _ := naming.InferenceServiceName("lost", ns)
	eventually(t, 60*time.Second, "inference service", func() error {
		_, err := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
		return err
	})
	setISVCReady(t, ns, isvcName)
	waitServiceStatus(t, ns, "lost", "Running", "Ready", "AllComponentsReady", 30*time.Second)
	before, _ := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
	volsBefore, _, _ := kserve.ExtraVolumes(before)

	// Pause the service so the lost state is observable, delete the cache, then resume.
	c := aimClient(t)
	cacheName := naming.SharedTemplateCacheName("tpl", ns)
	setPaused := func(p bool) {
		eventually(t, 10*time.Second, "pause service", func() error {
			s := getService(t, ns, "lost")
			if p {
				s.Annotations = paused
			} else {
				s.Annotations = nil
			}
			_, err := c.AimV1alpha1().AIMServices(ns).Update(bg, s, metav1.UpdateOptions{})
			return err
		})
	}
	setPaused(true)
	old, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, cacheName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AimV1alpha1().AIMTemplateCaches(ns).Delete(bg, cacheName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "cache deleted", func() error {
		if _, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, cacheName, metav1.GetOptions{}); err == nil {
			return fmt.Errorf("cache still there")
		}
		return nil
	})
	setPaused(false)
	// The service recreates the cache (a new object) and runs on it again, with the very same
	// InferenceService volumes throughout.
	var recreated *aimv1.AIMTemplateCache
	eventually(t, 60*time.Second, "cache recreated and Ready", func() error {
		tc, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, cacheName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if tc.UID == old.UID || tc.Status.Status != "Ready" {
			return fmt.Errorf("cache %s status %s", tc.UID, tc.Status.Status)
		}
		recreated = tc
		return nil
	})
	eventually(t, 60*time.Second, "service running on the new cache", func() error {
		s := getService(t, ns, "lost")
		if s.Status.Status != "Running" || s.Status.Cache == nil || s.Status.Cache.TemplateCacheRef == nil ||
			s.Status.Cache.TemplateCacheRef.UID != recreated.UID {
			return fmt.Errorf("status %s cache %+v", s.Status.Status, s.Status.Cache)
		}
		return nil
	})
	after, _ := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
	volsAfter, _, _ := kserve.ExtraVolumes(after)
	if fmt.Sprint(volsBefore) != fmt.Sprint(volsAfter) || len(volsAfter) != 1 {
		t.Fatalf("volumes changed across the lost cache:\nbefore %v\nafter  %v", volsBefore, volsAfter)
	}
}

// KServe's Warning event about the InferenceService is watched: the service fails at once.
func TestServerlessRejectedEvent(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8")
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "ksvc"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	isvcName, _ := naming.InferenceServiceName("ksvc", ns)
	var isvc *unstructured.Unstructured
	eventually(t, 30*time.Second, "inference service", func() error {
		var err error
		isvc, err = env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
		return err
	})
	waitServiceStatus(t, ns, "ksvc", "Starting", "InferenceServiceReady", "CreatingRuntime", 30*time.Second)
	_, err := env.Client.CoreV1().Events(ns).Create(bg, &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "kserve-", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "InferenceService", APIVersion: "serving.kserve.io/v1beta1",
			Name: isvcName, Namespace: ns, UID: isvc.GetUID()},
		Type: corev1.EventTypeWarning, Reason: "ServerlessModeRejected", Message: "Knative not found",
		Source: corev1.EventSource{Component: "kserve"}, FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := waitServiceStatus(t, ns, "ksvc", "Failed", "InferenceServiceReady", "ServerlessModeRejected", 15*time.Second)
	if c := cond(s.Status.Conditions, "InferenceServiceReady"); c.Message != "Knative is not available. Configure KServe to use RawDeployment mode." {
		t.Fatalf("message %q", c.Message)
	}
}
