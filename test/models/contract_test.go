package models

import (
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// noCache asserts that the template-owned cache does not appear for a while.
func noCache(t *testing.T, ns, name string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_, err := op.client.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("cache %s/%s must not exist: err=%v", ns, name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The template-owned cache (catalogue C4) comes after the model and GPU gates: a template with inline
// sources and caching enabled creates no cache while its GPU is absent or its model is missing; the cache
// appears once the model exists.
func TestTemplateCacheWaitsForModelAndGPU(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	mk := func(name, model, gpuModel string) {
		tpl := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		tpl.Spec.ModelName = model
		tpl.Spec.Hardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: gpuModel}}
		tpl.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://org/" + name, ModelID: "org/" + name}}
		tpl.Spec.Caching = &aimv1.AIMTemplateCachingConfig{Enabled: true}
		create(t, op.client.AimV1alpha1().AIMServiceTemplates(ns).Create, tpl)
	}
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	mk("no-gpu", "m", "MI355X")
	mk("no-model", "later", "MI300X")

	got := waitTemplate(t, ns, "no-gpu", "NotAvailable", 30*time.Second)
	if c := cond(got.Status.Conditions, "Discovered"); c == nil || c.Reason != "InlineModelSources" {
		t.Errorf("status decoration of inline sources kept: Discovered %s", condStr(c))
	}
	eventually(t, 30*time.Second, "template without model reports it", func() (bool, string) {
		tp, err := op.client.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, "no-model", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := cond(tp.Status.Conditions, "ModelReady")
		return c != nil && c.Status == "False", fmt.Sprintf("status=%q ModelReady %s", tp.Status.Status, condStr(c))
	})
	noCache(t, ns, "no-gpu", 3*time.Second)
	noCache(t, ns, "no-model", time.Second)

	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "later", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	eventually(t, 30*time.Second, "cache created once the model exists", func() (bool, string) {
		c, err := op.client.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, "no-model", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return c.Spec.TemplateName == "no-model", fmt.Sprintf("%+v", c.Spec)
	})
	noCache(t, ns, "no-gpu", time.Second)
}

// discovery.extractMetadata=false: ImageMetadataReady is True/ImageFound even with spec.imageMetadata
// (catalogue §2.7); without any metadata the model waits for metadata: Progressing with
// ServiceTemplatesReady False/AwaitingMetadata (catalogue §1.1, §2.8).
func TestModelWithExtractionDisabled(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	withSpec := metadataModel(ns, "with-spec")
	withSpec.Spec.Discovery = &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, withSpec)

	m := waitModel(t, ns, "bare", "Progressing", 30*time.Second)
	if c := cond(m.Status.Conditions, "ImageMetadataReady"); c == nil || c.Status != "True" || c.Reason != "ImageFound" {
		t.Errorf("bare ImageMetadataReady %s", condStr(c))
	}
	if c := cond(m.Status.Conditions, "ServiceTemplatesReady"); c == nil || c.Status != "False" || c.Reason != "AwaitingMetadata" ||
		c.Message != "Waiting for the model to fetch metadata" {
		t.Errorf("bare ServiceTemplatesReady %s", condStr(c))
	}

	m = waitModel(t, ns, "with-spec", "Ready", 30*time.Second)
	if c := cond(m.Status.Conditions, "ImageMetadataReady"); c == nil || c.Status != "True" || c.Reason != "ImageFound" || c.Message != "" {
		t.Errorf("with-spec ImageMetadataReady %s", condStr(c))
	}
	if c := cond(m.Status.Conditions, "ServiceTemplatesReady"); c == nil || c.Reason != "NoTemplatesExpected" {
		t.Errorf("with-spec ServiceTemplatesReady %s", condStr(c))
	}
	if m.Status.ImageMetadata == nil || m.Status.ImageMetadata.Model.CanonicalName != "org/llama" {
		t.Errorf("spec metadata copied to status: %+v", m.Status.ImageMetadata)
	}
}
