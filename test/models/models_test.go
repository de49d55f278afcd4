package models

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

func bp(b bool) *bool { return &b }

var bg = context.Background()

func cond(conds []metav1.Condition, t string) *metav1.Condition {
	return meta.FindStatusCondition(conds, t)
}

func condStr(c *metav1.Condition) string {
	if c == nil {
		return "<none>"
	}
	return fmt.Sprintf("%s/%s/%q", c.Status, c.Reason, c.Message)
}

func getModel(t *testing.T, ns, name string) *aimv1.AIMModel {
	m, err := op.client.AimV1alpha1().AIMModels(ns).Get(bg, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get model: %v", err)
	}
	return m
}

func waitModel(t *testing.T, ns, name, status string, timeout time.Duration) *aimv1.AIMModel {
	t.Helper()
	var m *aimv1.AIMModel
	eventually(t, timeout, "model "+name+" "+status, func() (bool, string) {
		m = getModel(t, ns, name)
		return string(m.Status.Status) == status, fmt.Sprintf("status=%q conditions=%v", m.Status.Status, m.Status.Conditions)
	})
	return m
}

func waitTemplate(t *testing.T, ns, name, status string, timeout time.Duration) *aimv1.AIMServiceTemplate {
	t.Helper()
	var tp *aimv1.AIMServiceTemplate
	eventually(t, timeout, "template "+name+" "+status, func() (bool, string) {
		var err error
		tp, err = op.client.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return string(tp.Status.Status) == status, fmt.Sprintf("status=%q conditions=%v", tp.Status.Status, tp.Status.Conditions)
	})
	return tp
}

func metadataModel(ns, name string, deps ...aimv1.RecommendedDeployment) *aimv1.AIMModel {
	return &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"aim.eai.amd.com/team": "a", "other": "x"}},
		Spec: aimv1.AIMModelSpec{Image: "ghcr.io/silogen/aim-llama:0.8.5",
			ImageMetadata: &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{CanonicalName: "org/llama", RecommendedDeployments: deps}}}}
}

func create[T any](t *testing.T, f func(context.Context, T, metav1.CreateOptions) (T, error), obj T) T {
	t.Helper()
	out, err := f(bg, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

// A model with spec.imageMetadata (the air-gapped path) creates one template per recommended deployment;
// each runs discovery, and the model becomes Ready when its templates are.
func TestModelWithImageMetadataCreatesTemplatesAndBecomesReady(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	deps := []aimv1.RecommendedDeployment{
		{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8", ProfileID: "p-lat"},
		{GPUModel: "MI325X", GPUCount: 1, Metric: "throughput", Precision: "fp16"},
	}
	m := create(t, op.client.AimV1alpha1().AIMModels(ns).Create, metadataModel(ns, "llama-8b", deps...))

	names := []string{
		naming.GeneratedTemplateName("llama-8b", m.Spec.Image, naming.TemplateDeployment{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"}),
		naming.GeneratedTemplateName("llama-8b", m.Spec.Image, naming.TemplateDeployment{GPUModel: "MI325X", GPUCount: 1, Metric: "throughput", Precision: "fp16"}),
	}
	if names[0] != "ghcr-io-silogen-aim-llama-0-8-5-1x-mi300x-lat-fp8-137f" {
		t.Fatalf("generated name %s", names[0])
	}
	for _, n := range names {
		tp := waitTemplate(t, ns, n, "Ready", 90*time.Second)
		ref := metav1.GetControllerOf(tp)
		if ref == nil || ref.Kind != "AIMModel" || ref.UID != m.UID {
			t.Errorf("%s: owner %+v", n, ref)
		}
		if tp.Labels["aim.eai.amd.com/model"] != "llama-8b" || tp.Labels["aim.eai.amd.com/origin"] != "auto-generated" ||
			tp.Labels["app.kubernetes.io/managed-by"] != "aim-model-controller" || tp.Labels["aim.eai.amd.com/model.name"] != "llama-8b" {
			t.Errorf("%s: labels %v", n, tp.Labels)
		}
		if tp.Labels["aim.eai.amd.com/team"] != "a" || tp.Labels["other"] != "" {
			t.Errorf("%s: propagation (aim labels only without a runtime config) %v", n, tp.Labels)
		}
		if c := cond(tp.Status.Conditions, "Discovered"); c == nil || c.Status != "True" || c.Reason != "DiscoveryComplete" {
			t.Errorf("%s: Discovered %s", n, condStr(c))
		}
		for _, ct := range []string{"DiscoveryJobReady", "DiscoveryPodsReady"} {
			if c := cond(tp.Status.Conditions, ct); c == nil || c.Status != "True" {
				t.Errorf("%s: %s %s (kept after success, as in the reference)", n, ct, condStr(c))
			}
		}
		if tp.Status.Profile == nil || tp.Status.Profile.Metadata.Engine != "vllm" || len(tp.Status.ModelSources) != 1 ||
			tp.Status.ModelSources[0].SourceURI != "hf://org/llama" || tp.Status.ModelSources[0].Size.String() != "15872Mi" {
			t.Errorf("%s: discovery result %+v / %+v", n, tp.Status.Profile, tp.Status.ModelSources)
		}
		if tp.Status.ResolvedNodeAffinity == nil || tp.Status.DiscoveryJob == nil || tp.Status.ObservedGeneration != tp.Generation {
			t.Errorf("%s: status %+v", n, tp.Status)
		}
	}
	m = waitModel(t, ns, "llama-8b", "Ready", 30*time.Second)
	if c := cond(m.Status.Conditions, "ServiceTemplatesReady"); c == nil || c.Reason != "AllTemplatesReady" {
		t.Errorf("ServiceTemplatesReady %s", condStr(c))
	}
	if c := cond(m.Status.Conditions, "ImageMetadataReady"); c == nil || c.Reason != "ImageMetadataFound" {
		t.Errorf("ImageMetadataReady %s", condStr(c))
	}
	if c := cond(m.Status.Conditions, "RuntimeConfigReady"); c == nil || c.Reason != "DefaultConfigNotFound" {
		t.Errorf("RuntimeConfigReady %s", condStr(c))
	}
	if m.Status.SourceType != "Image" || m.Status.ImageMetadata == nil || m.Status.ObservedGeneration != m.Generation {
		t.Errorf("model status %+v", m.Status)
	}
}

// A custom model (spec.modelSources) creates its template, whose inline sources skip discovery.
func TestCustomModelCreatesItsTemplate(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	m := create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{
		ObjectMeta: metav1.ObjectMeta{Name: "custom", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "ghcr.io/x/base:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)},
			ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://org/Model-7B", ModelID: "org/Model-7B"}},
			Env:          []corev1.EnvVar{{Name: "A", Value: "1"}},
			Custom:       &aimv1.AIMCustomModelSpec{Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}}}})
	name := naming.CustomTemplateName("custom", 0, nil)
	tp := waitTemplate(t, ns, name, "Ready", 30*time.Second)
	if c := cond(tp.Status.Conditions, "Discovered"); c == nil || c.Reason != "InlineModelSources" || c.Status != "True" {
		t.Errorf("Discovered %s", condStr(c))
	}
	if tp.Spec.Type != "unoptimized" || len(tp.Spec.Env) != 1 || tp.Status.HardwareSummary != "1 x MI300X" || len(tp.Status.ModelSources) != 1 {
		t.Errorf("template %+v / %+v", tp.Spec, tp.Status)
	}
	if ref := metav1.GetControllerOf(tp); ref == nil || ref.UID != m.UID {
		t.Errorf("owner %+v", ref)
	}
	m = waitModel(t, ns, "custom", "Ready", 30*time.Second)
	if m.Status.SourceType != "Custom" {
		t.Errorf("sourceType %s", m.Status.SourceType)
	}
	if jobs, _ := op.kube.BatchV1().Jobs(ns).List(bg, metav1.ListOptions{}); len(jobs.Items) != 0 {
		t.Errorf("inline sources must not run discovery: %d jobs", len(jobs.Items))
	}
}

// A template whose GPU is absent is NotAvailable; it becomes Ready when a node with that GPU appears
// (discovery then runs), and NotAvailable again when the node goes.
func TestTemplateFollowsGPUAvailability(t *testing.T) {
	startOperator(t)
	env.RequireLocal(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	tpl := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "mi355", Namespace: ns}}
	tpl.Spec.ModelName = "m"
	tpl.Spec.Hardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 2, Model: "MI355X"}}
	create(t, op.client.AimV1alpha1().AIMServiceTemplates(ns).Create, tpl)
	got := waitTemplate(t, ns, "mi355", "NotAvailable", 30*time.Second)
	if c := cond(got.Status.Conditions, "GPUReady"); c == nil || c.Reason != "GPUNotAvailable" ||
		!strings.HasPrefix(c.Message, "Required GPU model 'MI355X' not available in cluster. Available: ") {
		t.Errorf("GPUReady %s", condStr(c))
	}
	vram := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "vram", Namespace: ns}}
	vram.Spec.ModelName = "m"
	q := resourceMust("1Ti")
	vram.Spec.Hardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, MinVRAM: &q}}
	create(t, op.client.AimV1alpha1().AIMServiceTemplates(ns).Create, vram)
	gotV := waitTemplate(t, ns, "vram", "NotAvailable", 30*time.Second)
	if c := cond(gotV.Status.Conditions, "GPUReady"); c == nil || c.Reason != "VRAMNotAvailable" {
		t.Errorf("VRAM GPUReady %s", condStr(c))
	}

	node := localcluster.Node{Name: "kwok-mi355x-" + ns, GPUs: 8, Labels: map[string]string{"amd.com/gpu.device-id": "75a3"}}
	if err := env.AddNode(bg, node); err != nil {
		t.Fatal(err)
	}
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			_ = env.DeleteNode(bg, node.Name)
		}
	})
	got = waitTemplate(t, ns, "mi355", "Ready", 60*time.Second)
	if c := cond(got.Status.Conditions, "GPUReady"); c == nil || c.Status != "True" || c.Message != "GPU model 'MI355X' is available" {
		t.Errorf("GPUReady %s", condStr(c))
	}
	if err := env.DeleteNode(bg, node.Name); err != nil {
		t.Fatal(err)
	}
	deleted = true
	got = waitTemplate(t, ns, "mi355", "NotAvailable", 30*time.Second)
	if c := cond(got.Status.Conditions, "Discovered"); c == nil || c.Status != "True" {
		t.Errorf("Discovered must stay True when the GPU goes: %s", condStr(c))
	}
}

// A discovery Job that fails is retried after the backoff with no outside event; the retry succeeds.
func TestFailingDiscoveryBacksOffAndRetriesOnItsOwn(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	tpl := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: failPrefix + "tpl", Namespace: ns}}
	tpl.Spec.ModelName = "m"
	tpl.Spec.Metric = "latency"
	tpl.Spec.Hardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}
	create(t, op.client.AimV1alpha1().AIMServiceTemplates(ns).Create, tpl)

	var failedAt time.Time // the failed Job's terminal time, as recorded in status
	eventually(t, 60*time.Second, "first attempt recorded as failed", func() (bool, string) {
		tp, err := op.client.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, tpl.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		d := tp.Status.Discovery
		c := cond(tp.Status.Conditions, "Discovered")
		if d != nil && d.Attempts == 1 && d.LastAttemptTime != nil && c != nil && c.Reason == "AwaitingDiscovery" &&
			strings.Contains(c.Message, "before retry (attempt 1 failed)") && d.LastFailureReason != "" {
			failedAt = d.LastAttemptTime.Time
			return true, ""
		}
		return false, fmt.Sprintf("discovery=%+v Discovered=%s status=%s", d, condStr(c), tp.Status.Status)
	})
	tp := waitTemplate(t, ns, tpl.Name, "Ready", 60*time.Second)
	if c := cond(tp.Status.Conditions, "Discovered"); c == nil || c.Status != "True" || c.Reason != "DiscoveryComplete" {
		t.Errorf("Discovered %s", condStr(c))
	}
	if tp.Status.Discovery == nil || tp.Status.Discovery.Attempts != 0 || len(tp.Status.ModelSources) != 1 {
		t.Errorf("state after success %+v", tp.Status.Discovery)
	}
	// The retry Job was created by the backoff-expiry requeue, not before: its creation (second precision)
	// is at least the backoff after the recorded failure.
	job, err := op.kube.BatchV1().Jobs(ns).Get(bg, tp.Status.DiscoveryJob.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("retry job: %v", err)
	}
	if gap := job.CreationTimestamp.Sub(failedAt); gap < testBackoff-time.Second {
		t.Errorf("retry Job created %s after the failure, before the %s backoff", gap, testBackoff)
	} else {
		t.Logf("retry Job created %s after the failure (backoff %s)", gap, testBackoff)
	}
}

// Thirty templates discover with never more than the cap of Jobs running at once, and all end Ready.
func TestDiscoveryConcurrencyCap(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	// Let earlier tests' Jobs finish so the peak belongs to this test.
	eventually(t, 60*time.Second, "no running discovery jobs", func() (bool, string) {
		n := op.tpl.Limiter.Running()
		jobs, _ := op.kube.BatchV1().Jobs("").List(bg, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=aim-discovery"})
		var names []string
		for _, j := range jobs.Items {
			names = append(names, fmt.Sprintf("%s/%s%v", j.Namespace, j.Name, j.Status.Conditions))
		}
		return n == 0, fmt.Sprintf("%d running; jobs %v", n, names)
	})
	op.maxRunning.Store(0)
	const n = 30
	for i := 0; i < n; i++ {
		tpl := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("t-%02d", i), Namespace: ns}}
		tpl.Spec.ModelName = "m"
		tpl.Spec.ProfileID = fmt.Sprintf("p%d", i)
		tpl.Spec.Hardware = &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}
		create(t, op.client.AimV1alpha1().AIMServiceTemplates(ns).Create, tpl)
	}
	start := time.Now()
	eventually(t, 240*time.Second, "all templates Ready", func() (bool, string) {
		list, err := op.client.AimV1alpha1().AIMServiceTemplates(ns).List(bg, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		ready := 0
		for _, tp := range list.Items {
			if tp.Status.Status == "Ready" {
				ready++
			}
		}
		return ready == n, fmt.Sprintf("%d/%d ready, peak %d running", ready, n, op.maxRunning.Load())
	})
	peak := op.maxRunning.Load()
	t.Logf("%d templates Ready in %s; peak running discovery Jobs %d (cap %d)", n, time.Since(start).Round(time.Second), peak, discoveryCap)
	if peak > discoveryCap || peak < 2 {
		t.Errorf("peak running discovery Jobs %d, want 2..%d", peak, discoveryCap)
	}
}

// A model that names a missing runtime config is Failed (ConfigValid=False/ReferenceNotFound) and creates
// nothing; creating the config heals it without touching the model.
func TestCreatingMissingRuntimeConfigHealsModel(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	m := metadataModel(ns, "needs-rc", aimv1.RecommendedDeployment{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"})
	m.Spec.RuntimeConfigName = "gpu-config"
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, m)
	got := waitModel(t, ns, "needs-rc", "Failed", 30*time.Second)
	if c := cond(got.Status.Conditions, "ConfigValid"); c == nil || c.Status != "False" || c.Reason != "ReferenceNotFound" {
		t.Errorf("ConfigValid %s", condStr(c))
	}
	if c := cond(got.Status.Conditions, "RuntimeConfigReady"); c == nil || c.Reason != "ConfigNotFound" || c.Message != "RuntimeConfig gpu-config not found" {
		t.Errorf("RuntimeConfigReady %s", condStr(c))
	}
	if list, _ := op.client.AimV1alpha1().AIMServiceTemplates(ns).List(bg, metav1.ListOptions{}); len(list.Items) != 0 {
		t.Fatalf("apply must be blocked: %d templates", len(list.Items))
	}
	rc := create(t, op.client.AimV1alpha1().AIMRuntimeConfigs(ns).Create, &aimv1.AIMRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "gpu-config", Namespace: ns},
		Spec: aimv1.AIMRuntimeConfigSpec{LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"oth*"}}}})
	got = waitModel(t, ns, "needs-rc", "Ready", 90*time.Second)
	if c := cond(got.Status.Conditions, "ConfigValid"); c == nil || c.Status != "True" {
		t.Errorf("ConfigValid after heal %s", condStr(c))
	}
	list, _ := op.client.AimV1alpha1().AIMServiceTemplates(ns).List(bg, metav1.ListOptions{})
	if len(list.Items) != 1 || list.Items[0].Labels["other"] != "x" {
		t.Errorf("templates after heal (with label propagation from the config) %+v", list.Items)
	}
	eventually(t, 30*time.Second, "runtime config status", func() (bool, string) {
		r, err := op.client.AimV1alpha1().AIMRuntimeConfigs(ns).Get(bg, rc.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := cond(r.Status.Conditions, "Ready")
		return c != nil && c.Status == "True" && r.Status.ObservedGeneration == r.Generation, condStr(c)
	})

	// Changing the config re-reconciles the model: propagation off, so the propagated label is removed
	// from the template (server-side apply drops what the manager no longer applies).
	rc, err := op.client.AimV1alpha1().AIMRuntimeConfigs(ns).Get(bg, rc.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc.Spec.LabelPropagation.Enabled = false
	if _, err := op.client.AimV1alpha1().AIMRuntimeConfigs(ns).Update(bg, rc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "propagated label removed after the config change", func() (bool, string) {
		list, _ := op.client.AimV1alpha1().AIMServiceTemplates(ns).List(bg, metav1.ListOptions{})
		return len(list.Items) == 1 && list.Items[0].Labels["other"] == "", fmt.Sprint(list.Items[0].Labels)
	})
	// Deleting it fails the model again.
	if err := op.client.AimV1alpha1().AIMRuntimeConfigs(ns).Delete(bg, rc.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	got = waitModel(t, ns, "needs-rc", "Failed", 30*time.Second)
	if c := cond(got.Status.Conditions, "ConfigValid"); c == nil || c.Reason != "ReferenceNotFound" {
		t.Errorf("ConfigValid after delete %s", condStr(c))
	}
}

// A namespace config's explicit false overrides the cluster config's true (the reference's merge could
// not express this): no label propagation for models in that namespace.
func TestNamespaceFalseOverridesClusterTrue(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	name := "prop-" + ns
	create(t, op.client.AimV1alpha1().AIMClusterRuntimeConfigs().Create, &aimv1.AIMClusterRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: aimv1.AIMRuntimeConfigSpec{LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"*"}}}})
	t.Cleanup(func() {
		_ = op.client.AimV1alpha1().AIMClusterRuntimeConfigs().Delete(bg, name, metav1.DeleteOptions{})
	})
	create(t, op.client.AimV1alpha1().AIMRuntimeConfigs(ns).Create, &aimv1.AIMRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: aimv1.AIMRuntimeConfigSpec{LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: false}}})
	m := metadataModel(ns, "merged", aimv1.RecommendedDeployment{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"})
	m.Spec.RuntimeConfigName = name
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, m)
	// The same config name in a namespace without a namespace config: the cluster's true applies.
	other := env.Namespace(t)
	m = metadataModel(other, "cluster-only", aimv1.RecommendedDeployment{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"})
	m.Spec.RuntimeConfigName = name
	create(t, op.client.AimV1alpha1().AIMModels(other).Create, m)
	for _, c := range []struct {
		ns   string
		want string
	}{{ns, ""}, {other, "x"}} {
		eventually(t, 30*time.Second, "template labels in "+c.ns, func() (bool, string) {
			list, _ := op.client.AimV1alpha1().AIMServiceTemplates(c.ns).List(bg, metav1.ListOptions{LabelSelector: "aim.eai.amd.com/model"})
			if len(list.Items) == 0 {
				return false, "no templates"
			}
			for _, tp := range list.Items {
				if tp.Labels["other"] != c.want {
					return false, fmt.Sprint(tp.Labels)
				}
			}
			return true, ""
		})
	}
	mm := getModel(t, ns, "merged")
	if mm.Status.ResolvedRuntimeConfig == nil || mm.Status.ResolvedRuntimeConfig.Scope != "Merged" {
		t.Errorf("resolvedRuntimeConfig %+v", mm.Status.ResolvedRuntimeConfig)
	}
}

// Deleting a model garbage-collects its templates (owner references, kube-controller-manager's GC).
func TestDeletingModelCollectsTemplates(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{
		ObjectMeta: metav1.ObjectMeta{Name: "gc", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)},
			ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://org/gc", ModelID: "org/gc"}},
			Custom:       &aimv1.AIMCustomModelSpec{Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1}}}}})
	name := naming.CustomTemplateName("gc", 0, nil)
	waitTemplate(t, ns, name, "Ready", 30*time.Second)
	if err := op.client.AimV1alpha1().AIMModels(ns).Delete(bg, "gc", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "template garbage-collected", func() (bool, string) {
		_, err := op.client.AimV1alpha1().AIMServiceTemplates(ns).Get(bg, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

// An AIMClusterModel creates AIMClusterServiceTemplates, whose discovery Jobs run in the operator
// namespace, and becomes Ready with them.
func TestClusterModelCreatesClusterTemplates(t *testing.T) {
	startOperator(t)
	name := "cl-" + strings.ToLower(strings.ReplaceAll(t.Name(), "Test", ""))[:20]
	m := create(t, op.client.AimV1alpha1().AIMClusterModels().Create, &aimv1.AIMClusterModel{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: aimv1.AIMModelSpec{Image: "ghcr.io/silogen/aim-cluster:1.0",
			ImageMetadata: &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{CanonicalName: "org/cluster",
				RecommendedDeployments: []aimv1.RecommendedDeployment{{GPUModel: "MI325X", GPUCount: 1, Metric: "throughput", Precision: "fp8"}}}}}})
	t.Cleanup(func() { _ = op.client.AimV1alpha1().AIMClusterModels().Delete(bg, name, metav1.DeleteOptions{}) })
	tplName := naming.GeneratedTemplateName(name, m.Spec.Image, naming.TemplateDeployment{GPUModel: "MI325X", GPUCount: 1, Metric: "throughput", Precision: "fp8"})
	eventually(t, 90*time.Second, "cluster template Ready", func() (bool, string) {
		tp, err := op.client.AimV1alpha1().AIMClusterServiceTemplates().Get(bg, tplName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return tp.Status.Status == "Ready", fmt.Sprintf("status=%q %v", tp.Status.Status, tp.Status.Conditions)
	})
	tp, _ := op.client.AimV1alpha1().AIMClusterServiceTemplates().Get(bg, tplName, metav1.GetOptions{})
	if tp.Status.DiscoveryJob == nil || tp.Status.DiscoveryJob.Namespace != systemNS {
		t.Errorf("discovery job ref %+v", tp.Status.DiscoveryJob)
	}
	if c := cond(tp.Status.Conditions, "ClusterModelReady"); c == nil || c.Reason != "ClusterModelFound" {
		t.Errorf("ClusterModelReady %s", condStr(c))
	}
	if ref := metav1.GetControllerOf(tp); ref == nil || ref.Kind != "AIMClusterModel" || ref.UID != m.UID {
		t.Errorf("owner %+v", ref)
	}
	eventually(t, 30*time.Second, "cluster model Ready", func() (bool, string) {
		cm, err := op.client.AimV1alpha1().AIMClusterModels().Get(bg, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := cond(cm.Status.Conditions, "ClusterServiceTemplatesReady")
		return cm.Status.Status == "Ready" && c != nil && c.Reason == "AllTemplatesReady", fmt.Sprintf("status=%q %s", cm.Status.Status, condStr(c))
	})
}

// A namespaced template with caching enabled creates its AIMTemplateCache (named after the template,
// owned by it) once its model sources are known.
func TestTemplateCreatesCacheWhenCachingEnabled(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: ns},
		Spec: aimv1.AIMModelSpec{Image: "img:1", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}})
	tpl := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "cached", Namespace: ns}}
	tpl.Spec.ModelName = "m"
	tpl.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://org/cached", ModelID: "org/cached"}}
	tpl.Spec.Caching = &aimv1.AIMTemplateCachingConfig{Enabled: true, Env: []corev1.EnvVar{{Name: "HF_X", Value: "1"}}}
	created := create(t, op.client.AimV1alpha1().AIMServiceTemplates(ns).Create, tpl)
	eventually(t, 30*time.Second, "template cache created", func() (bool, string) {
		c, err := op.client.AimV1alpha1().AIMTemplateCaches(ns).Get(bg, "cached", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ref := metav1.GetControllerOf(c)
		ok := ref != nil && ref.UID == created.UID && c.Spec.TemplateName == "cached" && c.Spec.TemplateScope == "Namespace" &&
			len(c.Spec.Env) == 1 && c.Spec.Mode == "Shared"
		return ok, fmt.Sprintf("%+v owner %+v", c.Spec, ref)
	})
}
