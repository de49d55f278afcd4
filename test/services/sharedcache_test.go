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

// A namespaced template with spec.caching.enabled owns a Shared cache named after it (catalogue C4). A
// Shared service using that template reuses it, while Progressing and once Ready (status.cache.
// templateCacheRef), and never creates its own <template>-<hash> cache (catalogue §1.3 step 3).
func TestSharedReusesOwnedCache(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	c := aimClient(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	tpl := paintTemplate(t, ns, "owned", "llama", "Ready", "fp8", source{"hf://org/owned", "org/owned", "1Gi"})
	eventually(t, 10*time.Second, "template caching.enabled", func() error {
		cur, err := c.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, tpl.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Caching = &aimv1.AIMTemplateCachingConfig{Enabled: true}
		_, err = c.AimV1alpha1().AIMServiceTemplates(ns).Update(bg, cur, metav1.UpdateOptions{})
		return err
	})

	// The template controller does not run in this harness: create the cache exactly as C4 describes
	// (name = template, owned by it, mode unset so the CRD default Shared applies), paused so the
	// template-cache controller leaves its painted status alone.
	yes := true
	owned, err := c.AimV1alpha1().AIMTemplateCaches(ns).Create(bg, &aimv1.AIMTemplateCache{
		ObjectMeta: metav1.ObjectMeta{Name: tpl.Name, Namespace: ns, Annotations: paused,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: aimv1.SchemeGroupVersion.String(), Kind: "AIMServiceTemplate",
				Name: tpl.Name, UID: tpl.UID, Controller: &yes, BlockOwnerDeletion: &yes}}},
		Spec: aimv1.AIMTemplateCacheSpec{TemplateName: tpl.Name, TemplateScope: "Namespace"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create template-owned cache: %v", err)
	}
	if owned.Spec.Mode != "Shared" {
		t.Fatalf("cache mode %q, want the CRD default Shared", owned.Spec.Mode)
	}
	paintCache := func(status string) {
		eventually(t, 10*time.Second, "cache status "+status, func() error {
			cur, err := c.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, owned.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Status.Status = aimv1.AIMStatus(status)
			cur.Status.Artifacts = map[string]aimv1.AIMTemplateCacheArtifact{
				"owned-art": {Name: "owned-art", Model: "org/owned", Status: aimv1.AIMStatus(status), PersistentVolumeClaim: "owned-pvc"}}
			_, err = c.AimV1alpha1().AIMTemplateCaches(ns).UpdateStatus(bg, cur, metav1.UpdateOptions{})
			return err
		})
	}
	paintCache("Progressing")
	onlyOwned := func() {
		t.Helper()
		l, err := c.AimV1alpha1().AIMTemplateCaches(ns).List(bg, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 1 || l.Items[0].Name != owned.Name {
			var names []string
			for _, i := range l.Items {
				names = append(names, i.Name)
			}
			t.Fatalf("caches %v, want only the template's %s (not %s)", names, owned.Name, naming.SharedTemplateCacheName(tpl.Name, ns))
		}
	}

	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "shared"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
	// Progressing cache: the service waits on it (a cache of its own would read "Creating template cache"
	// or "Template cache status: Pending"), and no reference is written before it is Ready.
	var s *aimv1.AIMService
	eventually(t, 30*time.Second, "CacheReady=False/CacheNotReady", func() error {
		s = getService(t, ns, "shared")
		if c := cond(s.Status.Conditions, "CacheReady"); c == nil || c.Status != metav1.ConditionFalse || c.Reason != "CacheNotReady" ||
			c.Message != "Template cache is progressing" {
			return fmt.Errorf("conditions %v", summarize(s.Status.Conditions))
		}
		return nil
	})
	if s.Status.Cache != nil {
		t.Fatalf("status.cache set while the cache is not Ready: %+v", s.Status.Cache)
	}
	onlyOwned()

	paintCache("Ready")
	eventually(t, 30*time.Second, "templateCacheRef to the template's cache", func() error {
		s = getService(t, ns, "shared")
		if s.Status.Cache == nil || s.Status.Cache.TemplateCacheRef == nil {
			return fmt.Errorf("status.cache %+v, conditions %v", s.Status.Cache, summarize(s.Status.Conditions))
		}
		if r := s.Status.Cache.TemplateCacheRef; r.Name != owned.Name || r.UID != owned.UID || r.Namespace != ns {
			return fmt.Errorf("templateCacheRef %+v", r)
		}
		return nil
	})
	if c := cond(s.Status.Conditions, "CacheReady"); c == nil || c.Status != metav1.ConditionTrue || c.Reason != "CacheReady" {
		t.Fatalf("CacheReady %+v", c)
	}
	// The InferenceService mounts the template cache's volume.
	isvcName, _ := naming.InferenceServiceName("shared", ns)
	eventually(t, 30*time.Second, "inference service on the template's cache", func() error {
		u, err := env.Dynamic.Resource(kserve.GVR).Namespace(ns).Get(bg, isvcName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		vols, _, _ := kserve.ExtraVolumes(u)
		if got := fmt.Sprint(vols); !contains(got, "owned-pvc") {
			return fmt.Errorf("volumes %s lack owned-pvc", got)
		}
		return nil
	})
	onlyOwned()
}
