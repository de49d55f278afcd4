package model

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

func bp(b bool) *bool { return &b }

func TestAggregate(t *testing.T) {
	known := Expectation{Known: true, Expects: true}
	cases := []struct {
		name     string
		statuses []string
		exp      Expectation
		state    statemachine.State
		reason   string
		message  string
	}{
		{"awaiting metadata", nil, Expectation{}, statemachine.StateProgressing, "AwaitingMetadata", "Waiting for the model to fetch metadata"},
		{"creating", nil, known, statemachine.StateProgressing, "CreatingTemplates", "Creating templates for the model"},
		{"none expected", nil, Expectation{Known: true}, statemachine.StateReady, "NoTemplatesExpected", "The model does not have any recommended templates"},
		{"all ready", []string{"Ready", "Ready"}, known, statemachine.StateReady, "AllTemplatesReady", "All templates are ready"},
		{"all failed", []string{"Failed", "Degraded"}, known, statemachine.StateFailed, "AllTemplatesFailed", "All templates are degraded or failed"},
		{"all not available", []string{"NotAvailable"}, known, statemachine.StateNotAvailable, "NoTemplatesAvailable", "None of the model's templates are available (no matching GPUs in the cluster)"},
		{"some degraded", []string{"Ready", "Degraded", "Pending"}, known, statemachine.StateDegraded, "SomeTemplatesDegraded", "Some templates are degraded or failed"},
		{"progressing", []string{"Ready", "Pending"}, known, statemachine.StateProgressing, "TemplatesProgressing", "Templates are progressing"},
		{"ready and not available", []string{"Ready", "NotAvailable"}, known, statemachine.StateReady, "SomeTemplatesReady", "All templates have finished processing (some are not available)"},
		{"empty statuses", []string{"", "Ready"}, known, statemachine.StateProgressing, "TemplatesProgressing", "Unknown status"},
	}
	for _, c := range cases {
		h := Aggregate("ServiceTemplates", c.statuses, c.exp)
		if h.Component != "ServiceTemplates" || h.State != c.state || h.Reason != c.reason || h.Message != c.message {
			t.Errorf("%s: %+v", c.name, h)
		}
	}
}

func TestExpectsTemplates(t *testing.T) {
	md := &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{RecommendedDeployments: []aimv1.RecommendedDeployment{{GPUModel: "MI300X", GPUCount: 1}}}}
	cases := []struct {
		name string
		spec aimv1.AIMModelSpec
		md   *aimv1.ImageMetadata
		want Expectation
	}{
		{"unknown", aimv1.AIMModelSpec{Image: "i"}, nil, Expectation{}},
		{"deployments", aimv1.AIMModelSpec{Image: "i"}, md, Expectation{true, true}},
		{"metadata without deployments", aimv1.AIMModelSpec{Image: "i"}, &aimv1.ImageMetadata{}, Expectation{Known: true}},
		{"creation disabled", aimv1.AIMModelSpec{Image: "i", Discovery: &aimv1.AIMModelDiscoveryConfig{CreateServiceTemplates: bp(false)}}, md, Expectation{Known: true}},
		// Extraction disabled and no metadata: unknown, as in the reference (catalogue §2.8 AwaitingMetadata).
		{"extraction disabled", aimv1.AIMModelSpec{Image: "i", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}, nil, Expectation{}},
		{"extraction disabled, spec metadata", aimv1.AIMModelSpec{Image: "i", Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}, md, Expectation{true, true}},
		{"custom", aimv1.AIMModelSpec{Image: "i", ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}}, nil, Expectation{true, true}},
	}
	for _, c := range cases {
		if got := ExpectsTemplates(&c.spec, c.md); got != c.want {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
}

func TestDesiredTemplatesFromMetadata(t *testing.T) {
	spec := &aimv1.AIMModelSpec{Image: "ghcr.io/silogen/aim-llama:0.8.5", ServiceAccountName: "sa",
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}}
	md := &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{RecommendedDeployments: []aimv1.RecommendedDeployment{
		{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8", ProfileID: "p1"},
		{GPUModel: "MI325X", Metric: "throughput"},
	}}}
	ds := DesiredTemplates("llama-8b", spec, md, false)
	if len(ds) != 2 {
		t.Fatalf("got %d templates", len(ds))
	}
	d := ds[0]
	if d.Name != "ghcr-io-silogen-aim-llama-0-8-5-1x-mi300x-lat-fp8-137f" {
		t.Errorf("name %s", d.Name)
	}
	if d.Labels[constants.LabelModel] != "llama-8b" || d.Labels[constants.LabelOrigin] != "auto-generated" {
		t.Errorf("labels %v", d.Labels)
	}
	s := d.Spec
	if s.ModelName != "llama-8b" || s.Metric != "latency" || s.Precision != "fp8" || s.ProfileID != "p1" ||
		s.ServiceAccountName != "sa" || len(s.ImagePullSecrets) != 1 || s.Hardware.GPU.Requests != 1 || s.Hardware.GPU.Model != "MI300X" {
		t.Errorf("spec %+v", s)
	}
	if ds[1].Spec.Hardware != nil {
		t.Errorf("hardware needs both count and model: %+v", ds[1].Spec.Hardware)
	}
}

func TestDesiredCustomTemplates(t *testing.T) {
	four := resource.MustParse("4")
	spec := &aimv1.AIMModelSpec{Image: "base:1", Env: []corev1.EnvVar{{Name: "A", Value: "model"}, {Name: "B", Value: "model"}},
		ModelSources: []aimv1.AIMModelSource{{SourceURI: "hf://org/m", ModelID: "org/m"}},
		Custom:       &aimv1.AIMCustomModelSpec{Type: "preview", Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}}}
	auto := DesiredTemplates("m", spec, nil, false)
	if len(auto) != 1 || auto[0].Spec.Type != "preview" || auto[0].Spec.Hardware.GPU.Model != "MI300X" ||
		len(auto[0].Spec.ModelSources) != 1 || len(auto[0].Spec.Env) != 2 {
		t.Fatalf("auto template %+v", auto)
	}
	spec.CustomTemplates = []aimv1.AIMCustomTemplate{{Name: "fast", Type: "optimized",
		Env:      []corev1.EnvVar{{Name: "B", Value: "ct"}},
		Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 2}, CPU: &aimv1.AIMCpuRequirements{Requests: four}},
		Profile:  &aimv1.AIMCustomTemplateProfile{Metric: "latency", Precision: "fp16"}}}
	ds := DesiredTemplates("m", spec, nil, false)
	if len(ds) != 1 {
		t.Fatalf("custom list replaces the auto template: %d", len(ds))
	}
	s := ds[0].Spec
	if ds[0].Labels[constants.LabelTemplateAlias] != "fast" || s.Type != "optimized" || s.Hardware.GPU.Requests != 2 ||
		s.Hardware.GPU.Model != "MI300X" || s.Metric != "latency" || s.Precision != "fp16" {
		t.Errorf("custom template %+v %v", s, ds[0].Labels)
	}
	if s.Env[1].Value != "ct" || s.Env[0].Value != "model" {
		t.Errorf("env model < ct: %v", s.Env)
	}
	if q := s.Resources.Requests[corev1.ResourceCPU]; q.Cmp(four) != 0 {
		t.Errorf("cpu resources %v", s.Resources)
	}
	if cl := DesiredTemplates("m", spec, nil, true); cl[0].Spec.Env != nil {
		t.Errorf("cluster templates have no env: %v", cl[0].Spec.Env)
	}
}

type fakeFetcher struct {
	md    *aimv1.ImageMetadata
	err   error
	calls int
}

func (f *fakeFetcher) Fetch(context.Context, string, []*corev1.Secret) (*aimv1.ImageMetadata, error) {
	f.calls++
	return f.md, f.err
}

func TestFetchAndHealth(t *testing.T) {
	md := &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{CanonicalName: "org/m", RecommendedDeployments: []aimv1.RecommendedDeployment{{GPUModel: "MI300X", GPUCount: 1}}}}
	newRec := func(f *fakeFetcher, secretErr error) *Reconciler[*aimv1.AIMModel] {
		return &Reconciler[*aimv1.AIMModel]{ControllerName: "model",
			Access: Accessors[*aimv1.AIMModel]{Spec: func(o *aimv1.AIMModel) *aimv1.AIMModelSpec { return &o.Spec },
				Status: func(o *aimv1.AIMModel) *aimv1.AIMModelStatus { return &o.Status }},
			Templates: func(string, string) ([]TemplateInfo, error) { return nil, nil },
			Secrets: func(context.Context, string, string) (*corev1.Secret, error) {
				return &corev1.Secret{}, secretErr
			},
			Fetcher: f}
	}
	model := &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns"}, Spec: aimv1.AIMModelSpec{Image: "img:1",
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}}}
	run := func(r *Reconciler[*aimv1.AIMModel], m *aimv1.AIMModel) (Observation, statemachine.PlanResult) {
		rc := statemachine.ReconcileContext[*aimv1.AIMModel]{Object: m}
		o := r.ComposeState(context.Background(), rc, r.FetchRemoteState(context.Background(), rc))
		return o, r.PlanResources(context.Background(), rc, o)
	}

	f := &fakeFetcher{md: md}
	o, p := run(newRec(f, nil), model.DeepCopy())
	if f.calls != 1 || o.Source != metaRegistry || len(p.ToApply()) != 1 {
		t.Fatalf("registry read: calls=%d source=%v plan=%d", f.calls, o.Source, len(p.ToApply()))
	}
	if h := o.GetComponentHealth()[1]; h.Reason != constants.ReasonImageMetadataFound || h.GetState() != statemachine.StateReady {
		t.Errorf("metadata health %+v", h)
	}
	var status aimv1.AIMModelStatus
	newRec(f, nil).DecorateStatus(&status, nil, o)
	if status.ImageMetadata == nil || status.SourceType != "Image" {
		t.Errorf("status %+v", status)
	}

	cached := model.DeepCopy()
	cached.Status.ImageMetadata = md
	o, _ = run(newRec(f, nil), cached)
	if f.calls != 1 || o.Source != metaStatus {
		t.Errorf("cached metadata must not be re-read: calls=%d", f.calls)
	}
	if h := o.GetComponentHealth()[1]; h.Reason != constants.ReasonImageMetadataFound {
		t.Errorf("no reason flip for cached metadata: %s", h.Reason)
	}

	// Missing pull secret: MissingUpstream SecretNotFound, plan blocked by the engine.
	o, _ = run(newRec(&fakeFetcher{md: md}, apierrors.NewNotFound(corev1.Resource("secrets"), "pull")), model.DeepCopy())
	h := o.GetComponentHealth()[1]
	if se := statemachine.CategorizeError(h.Errors[0]); se.Reason() != "SecretNotFound" || se.Category() != statemachine.CategoryMissingUpstreamDependency ||
		se.UserMessage() != `imagePullSecret "pull" not found in namespace "ns"` {
		t.Errorf("secret missing: %v", h.Errors)
	}
	// Registry error: an uncategorized error (Unknown → infra).
	o, _ = run(newRec(&fakeFetcher{err: errors.New("failed to fetch image \"img:1\": 404")}, nil), model.DeepCopy())
	if se := statemachine.CategorizeError(o.GetComponentHealth()[1].Errors[0]); se.Reason() != "UnknownError" {
		t.Errorf("registry error reason %s", se.Reason())
	}
	if h := o.GetComponentHealth()[2]; h.Reason != constants.ReasonAwaitingMetadata {
		t.Errorf("templates while metadata unknown: %+v", h)
	}
}

// discovery.extractMetadata=false is checked before spec.imageMetadata in the reference: ImageMetadataReady
// is True/ImageFound (catalogue §2.7), while the spec metadata still drives the templates and the status copy.
// Without any metadata the template aggregate waits (Progressing/AwaitingMetadata, catalogue §2.8).
func TestExtractionDisabled(t *testing.T) {
	md := &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{CanonicalName: "org/m", RecommendedDeployments: []aimv1.RecommendedDeployment{{GPUModel: "MI300X", GPUCount: 1}}}}
	f := &fakeFetcher{md: md}
	r := &Reconciler[*aimv1.AIMModel]{ControllerName: "model",
		Access: Accessors[*aimv1.AIMModel]{Spec: func(o *aimv1.AIMModel) *aimv1.AIMModelSpec { return &o.Spec },
			Status: func(o *aimv1.AIMModel) *aimv1.AIMModelStatus { return &o.Status }},
		Templates: func(string, string) ([]TemplateInfo, error) { return nil, nil },
		Secrets:   func(context.Context, string, string) (*corev1.Secret, error) { return &corev1.Secret{}, nil },
		Fetcher:   f}
	run := func(m *aimv1.AIMModel) (Observation, statemachine.PlanResult) {
		rc := statemachine.ReconcileContext[*aimv1.AIMModel]{Object: m}
		o := r.ComposeState(context.Background(), rc, r.FetchRemoteState(context.Background(), rc))
		return o, r.PlanResources(context.Background(), rc, o)
	}
	base := &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "ns"}, Spec: aimv1.AIMModelSpec{Image: "img:1",
		Discovery: &aimv1.AIMModelDiscoveryConfig{ExtractMetadata: bp(false)}}}

	// Spec metadata: ImageFound, templates from the spec metadata, status copy kept.
	withSpec := base.DeepCopy()
	withSpec.Spec.ImageMetadata = md
	o, p := run(withSpec)
	if h := o.GetComponentHealth()[1]; h.GetState() != statemachine.StateReady || h.Reason != constants.ReasonImageFound || h.Message != "" {
		t.Errorf("spec metadata, extraction disabled: %+v", h)
	}
	if len(p.ToApply()) != 1 {
		t.Errorf("templates from spec metadata: %d", len(p.ToApply()))
	}
	if h := o.GetComponentHealth()[2]; h.Reason != constants.ReasonCreatingTemplates {
		t.Errorf("templates expected: %+v", h)
	}
	var st aimv1.AIMModelStatus
	r.DecorateStatus(&st, nil, o)
	if st.ImageMetadata == nil || st.ImageMetadata.Model.CanonicalName != "org/m" {
		t.Errorf("spec metadata copied to status: %+v", st.ImageMetadata)
	}

	// No metadata at all: ImageFound, AwaitingMetadata (Progressing), no templates, no registry read.
	o, p = run(base.DeepCopy())
	hs := o.GetComponentHealth()
	if hs[1].GetState() != statemachine.StateReady || hs[1].Reason != constants.ReasonImageFound {
		t.Errorf("no metadata: %+v", hs[1])
	}
	if hs[2].GetState() != statemachine.StateProgressing || hs[2].Reason != "AwaitingMetadata" ||
		hs[2].Message != "Waiting for the model to fetch metadata" {
		t.Errorf("templates aggregate: %+v", hs[2])
	}
	if !p.Empty() || f.calls != 0 {
		t.Errorf("no templates and no registry read: plan=%d calls=%d", len(p.ToApply()), f.calls)
	}

	// Metadata cached in status (extraction was enabled earlier) still decides the templates.
	cached := base.DeepCopy()
	cached.Status.ImageMetadata = md
	o, p = run(cached)
	if h := o.GetComponentHealth()[1]; h.Reason != constants.ReasonImageFound {
		t.Errorf("cached, disabled: %+v", h)
	}
	if len(p.ToApply()) != 1 || f.calls != 0 {
		t.Errorf("cached metadata, disabled: plan=%d calls=%d", len(p.ToApply()), f.calls)
	}

	// A custom model with extraction disabled expects its templates without any metadata.
	custom := base.DeepCopy()
	custom.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
	custom.Spec.Custom = &aimv1.AIMCustomModelSpec{Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}}
	o, p = run(custom)
	if h := o.GetComponentHealth()[2]; h.Reason != constants.ReasonCreatingTemplates || len(p.ToApply()) != 1 {
		t.Errorf("custom: %+v plan=%d", h, len(p.ToApply()))
	}
}
