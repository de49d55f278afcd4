package servicetemplate

import (
	"context"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aimlite/aimlite/pkg/aim/discovery"
	"github.com/aimlite/aimlite/pkg/aim/gpu"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

const output = `[{"filename":"p.yaml","profile":{"metadata":{"engine":"vllm","gpu":"MI300X","precision":"fp8","gpu_count":1,"metric":"latency","type":"optimized"},"engine_args":{"a":1},"env_vars":{}},"models":[{"name":"org/m","source":"hf://org/m","size_gb":1}]}]`

func tpl() Template {
	return Template{Name: "t", Namespace: "ns", UID: "uid-t", Status: &aimv1.AIMServiceTemplateStatus{},
		Spec: &aimv1.AIMServiceTemplateSpecCommon{ModelName: "m", AIMRuntimeParameters: aimv1.AIMRuntimeParameters{
			Metric: "latency", Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: "MI300X"}}}}}
}

func okModel() statemachine.FetchResult[*ModelInfo] {
	return statemachine.FetchResult[*ModelInfo]{Value: &ModelInfo{Name: "m", Namespace: "ns", Spec: &aimv1.AIMModelSpec{Image: "img:1"}, Status: &aimv1.AIMModelStatus{}}}
}

func job(cond batchv1.JobConditionType, at time.Time, msg string) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "discover-t-x", Namespace: "ns", UID: "uid-j"}}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded",
			Message: msg, LastTransitionTime: metav1.NewTime(at)}}
	}
	return j
}

var cluster = gpu.Resources{"MI300X": 192 << 30}

func TestComposePhases(t *testing.T) {
	b := discovery.Backoff{}
	failedAt := t0.Add(-30 * time.Second)
	cases := []struct {
		name  string
		mut   func(*Template, *Fetched)
		phase Phase
	}{
		{"inline", func(tp *Template, f *Fetched) {
			tp.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
		}, PhaseInline},
		{"gpu missing blocks", func(_ *Template, f *Fetched) { f.GPU = gpu.Resources{} }, PhaseBlocked},
		{"model missing blocks", func(_ *Template, f *Fetched) { f.Model = statemachine.FetchResult[*ModelInfo]{Error: errNotFound()} }, PhaseBlocked},
		{"no job: create", func(*Template, *Fetched) {}, PhaseCreate},
		{"running", func(_ *Template, f *Fetched) { f.Job = job("", t0, "") }, PhaseRunning},
		{"complete, no output yet", func(_ *Template, f *Fetched) { f.Job = job(batchv1.JobComplete, t0, "") }, PhaseAwaitingOutput},
		{"complete, parsed", func(_ *Template, f *Fetched) { f.Job, f.Logs = job(batchv1.JobComplete, t0, ""), output }, PhaseSucceeded},
		{"complete, garbage", func(_ *Template, f *Fetched) { f.Job, f.Logs = job(batchv1.JobComplete, failedAt, ""), "boom" }, PhaseFailedWaiting},
		{"failed, in backoff", func(_ *Template, f *Fetched) { f.Job = job(batchv1.JobFailed, failedAt, "exit 1") }, PhaseFailedWaiting},
		{"failed, backoff expired", func(_ *Template, f *Fetched) { f.Job = job(batchv1.JobFailed, t0.Add(-61*time.Second), "exit 1") }, PhaseFailedRetry},
		{"no job, in backoff", func(tp *Template, f *Fetched) {
			at := metav1.NewTime(failedAt)
			tp.Status.Discovery = &aimv1.AIMDiscoveryState{Attempts: 1, LastAttemptTime: &at, SpecHash: specHash(*tp, f.Model.Value)}
		}, PhaseWaiting},
		{"no job, spec changed resets backoff", func(tp *Template, f *Fetched) {
			at := metav1.NewTime(failedAt)
			tp.Status.Discovery = &aimv1.AIMDiscoveryState{Attempts: 3, LastAttemptTime: &at, SpecHash: "old"}
		}, PhaseCreate},
		{"done", func(tp *Template, f *Fetched) {
			tp.Status.Profile = &aimv1.AIMProfile{}
			tp.Status.Conditions = []metav1.Condition{{Type: "Discovered", Status: metav1.ConditionTrue, Reason: "DiscoveryComplete"}}
		}, PhaseDone},
	}
	for _, c := range cases {
		tp := tpl()
		f := Fetched{Now: t0, Model: okModel(), GPU: cluster}
		c.mut(&tp, &f)
		o := Compose(tp, "ns", f, b)
		if o.Phase != c.phase {
			t.Errorf("%s: phase %d, want %d", c.name, o.Phase, c.phase)
		}
	}
}

func TestFailureRecordedOnce(t *testing.T) {
	tp := tpl()
	failedAt := t0.Add(-10 * time.Second)
	f := Fetched{Now: t0, Model: okModel(), GPU: cluster, Job: job(batchv1.JobFailed, failedAt, "exit 3")}
	o := Compose(tp, "ns", f, discovery.Backoff{})
	if o.Discovery.Attempts != 1 || o.Discovery.LastFailureReason != "exit 3" || o.Gate.Wait != 50*time.Second {
		t.Fatalf("first observation: %+v gate %+v", o.Discovery, o.Gate)
	}
	// The next reconcile sees the recorded state: no second count for the same Job.
	tp.Status.Discovery = o.Discovery
	o2 := Compose(tp, "ns", f, discovery.Backoff{})
	if o2.Discovery.Attempts != 1 {
		t.Fatalf("attempt counted twice: %+v", o2.Discovery)
	}
	p := (&Reconciler[*aimv1.AIMServiceTemplate]{}).PlanResources(context.Background(), statemachine.ReconcileContext[*aimv1.AIMServiceTemplate]{Object: &aimv1.AIMServiceTemplate{}}, o2)
	if p.RequeueAfter != 50*time.Second+expirySlack || !p.Empty() {
		t.Errorf("waiting plan must requeue at expiry: %+v", p)
	}
	// During the backoff the failed Job and its failed pod are Spec errors (catalogue §2.3 row 5e, §2.4):
	// the engine sets ConfigValid=False/InvalidSpec and the template is Failed.
	f.Pods = []*corev1.Pod{failedPod(3, "boom")}
	o2.Fetched = f
	got := components(o2)
	if h := got["DiscoveryJob"]; specError(h) != "JobBackoffLimitExceeded" || h.GetState() != statemachine.StateFailed || h.GetMessage() != "exit 3" {
		t.Errorf("failed Job in backoff must be a Spec error: %+v", h)
	}
	if h := got["DiscoveryPods"]; specError(h) != "PodFailed" || h.GetMessage() != "Container discovery failed with exit code 3: boom" {
		t.Errorf("failed pod in backoff must be PodFailed (Spec): %+v", h)
	}
	// After expiry the failed Job is deleted so the same-named Job can be created again; the discovery
	// components must not carry the Spec error then, or the engine would block that delete.
	f.Now = t0.Add(51 * time.Second)
	o3 := Compose(tp, "ns", f, discovery.Backoff{})
	p = (&Reconciler[*aimv1.AIMServiceTemplate]{}).PlanResources(context.Background(), statemachine.ReconcileContext[*aimv1.AIMServiceTemplate]{Object: &aimv1.AIMServiceTemplate{}}, o3)
	if o3.Phase != PhaseFailedRetry || len(p.ToDelete()) != 1 {
		t.Errorf("retry plan: phase %d %+v", o3.Phase, p)
	}
	got = components(o3)
	for _, c := range []string{"DiscoveryJob", "DiscoveryPods"} {
		if h, ok := got[c]; !ok || len(h.Errors) != 0 || h.GetState() != statemachine.StateProgressing || h.GetReason() != ReasonRetryingDiscovery {
			t.Errorf("%s after the backoff: %+v, want Progressing/%s without errors", c, h, ReasonRetryingDiscovery)
		}
	}
	// The failed Job is gone: a new attempt is created (no discovery component carries an error).
	f.Job, f.Pods = nil, nil
	tp.Status.Discovery = o3.Discovery
	o4 := Compose(tp, "ns", f, discovery.Backoff{})
	if o4.Phase != PhaseCreate {
		t.Errorf("after the delete: phase %d, want create", o4.Phase)
	}
	for c, h := range components(o4) {
		if len(h.Errors) != 0 {
			t.Errorf("%s after the delete carries %v", c, h.Errors)
		}
	}
}

// An unparsable output of a completed Job keeps the explicit Failed state (no reference row, no error).
func TestInvalidOutputIsExplicitFailed(t *testing.T) {
	f := Fetched{Now: t0, Model: okModel(), GPU: cluster, Job: job(batchv1.JobComplete, t0.Add(-time.Second), ""), Logs: "boom"}
	o := Compose(tpl(), "ns", f, discovery.Backoff{})
	if h := o.jobHealth(); h.State != statemachine.StateFailed || h.Reason != ReasonInvalidDiscoveryOutput || len(h.Errors) != 0 {
		t.Errorf("invalid output: %+v", h)
	}
}

func components(o Observation) map[string]statemachine.ComponentHealth {
	got := map[string]statemachine.ComponentHealth{}
	for _, h := range o.GetComponentHealth(context.Background(), nil) {
		got[h.Component] = h
	}
	return got
}

// specError returns the reason of h's InvalidSpec error, or "".
func specError(h statemachine.ComponentHealth) string {
	for _, err := range h.Errors {
		if se := statemachine.CategorizeError(err); se.Category() == statemachine.CategoryInvalidSpec {
			return se.Reason()
		}
	}
	return ""
}

func failedPod(exit int32, msg string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "discover-t-x-abc", Namespace: "ns"}}
	p.Status.Phase = corev1.PodFailed
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "discovery",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: exit, Reason: "Error", Message: msg}}}}
	return p
}

func TestPlanCreateRespectsSlot(t *testing.T) {
	r := &Reconciler[*aimv1.AIMServiceTemplate]{ControllerName: "service-template"}
	obj := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns"}}
	rc := statemachine.ReconcileContext[*aimv1.AIMServiceTemplate]{Object: obj}
	tp := tpl()
	o := Compose(tp, "ns", Fetched{Now: t0, Model: okModel(), GPU: cluster}, discovery.Backoff{})
	if p := r.PlanResources(context.Background(), rc, o); p.RequeueAfter != CapRequeue || !p.Empty() {
		t.Errorf("no slot: %+v", p)
	}
	o.SlotGranted = true
	p := r.PlanResources(context.Background(), rc, o)
	if len(p.ToApply()) != 1 {
		t.Fatalf("plan %+v", p)
	}
	var j batchv1.Job
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(p.ToApply()[0].(*unstructured.Unstructured).Object, &j); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(j.Name, "discover-t-") || *j.Spec.BackoffLimit != 0 || *j.Spec.TTLSecondsAfterFinished != 60 || *j.Spec.ActiveDeadlineSeconds != 600 {
		t.Errorf("job %s", j.Name)
	}
	c := j.Spec.Template.Spec.Containers[0]
	if c.Image != "img:1" || c.Args[0] != "dry-run" || *j.Spec.Template.Spec.SecurityContext.RunAsUser != 65532 {
		t.Errorf("container %+v", c)
	}
	var env []string
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	if got := strings.Join(env, ","); got != "AIM_LOG_LEVEL_ROOT=CRITICAL,AIM_LOG_LEVEL=CRITICAL,AIM_METRIC=latency,AIM_GPU_MODEL=MI300X,AIM_GPU_COUNT=1" {
		t.Errorf("env %s", got)
	}
	if j.Labels["app.kubernetes.io/managed-by"] != "aim-controller" || j.Labels["aim.eai.amd.com/service-template.name"] != "t" ||
		j.Spec.Template.Labels["aim.eai.amd.com/template"] != "t" {
		t.Errorf("labels %v / %v", j.Labels, j.Spec.Template.Labels)
	}
}

func TestDeadlockGuard(t *testing.T) {
	m := &ModelInfo{Name: "m", Spec: &aimv1.AIMModelSpec{Image: "i"}, Status: &aimv1.AIMModelStatus{Status: "Failed",
		Conditions: []metav1.Condition{{Type: "ServiceTemplatesReady", Status: metav1.ConditionFalse}, {Type: "Ready", Status: metav1.ConditionFalse}}}}
	o := Observation{Template: tpl(), Fetched: Fetched{Model: statemachine.FetchResult[*ModelInfo]{Value: m}}}
	if h := o.modelHealth(); h.GetState() != statemachine.StateReady || h.Reason != "ModelFound" {
		t.Errorf("failing only through templates must not block: %+v", h)
	}
	m.Status.Conditions = append(m.Status.Conditions, metav1.Condition{Type: "RuntimeConfigReady", Status: metav1.ConditionFalse})
	if h := o.modelHealth(); h.GetState() != statemachine.StateFailed || h.Reason != "ModelFailed" || h.Message != "AIMModel is in Failed state" {
		t.Errorf("real model failure propagates: %+v", h)
	}
}

func TestDecorateSuccess(t *testing.T) {
	r := &Reconciler[*aimv1.AIMServiceTemplate]{}
	tp := tpl()
	f := Fetched{Now: t0, Model: okModel(), GPU: cluster, Job: job(batchv1.JobComplete, t0, ""), Logs: output}
	o := Compose(tp, "ns", f, discovery.Backoff{})
	cm := statemachine.NewConditionManager(nil, 1, nil)
	st := &aimv1.AIMServiceTemplateStatus{}
	r.DecorateStatus(st, cm, o)
	c := cm.Get("Discovered")
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != "DiscoveryComplete" {
		t.Fatalf("Discovered %+v", c)
	}
	if len(st.ModelSources) != 1 || st.Profile.Metadata.GPU != "MI300X" || st.HardwareSummary != "1 x MI300X" ||
		st.ResolvedHardware.GPU.ResourceName != "amd.com/gpu" || st.ResolvedNodeAffinity == nil || st.ResolvedModel.Name != "m" {
		t.Errorf("status %+v", st)
	}
	// Inline sources: Discovered=True/InlineModelSources.
	tp.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
	o = Compose(tp, "ns", Fetched{Now: t0, Model: okModel(), GPU: cluster}, discovery.Backoff{})
	cm = statemachine.NewConditionManager(nil, 1, nil)
	st = &aimv1.AIMServiceTemplateStatus{}
	r.DecorateStatus(st, cm, o)
	if c := cm.Get("Discovered"); c.Reason != "InlineModelSources" || len(st.ModelSources) != 1 {
		t.Errorf("inline %+v %+v", c, st)
	}
}

func TestPlanTemplateCache(t *testing.T) {
	r := &Reconciler[*aimv1.AIMServiceTemplate]{ControllerName: "service-template"}
	obj := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns", UID: "uid-t"}}
	rc := statemachine.ReconcileContext[*aimv1.AIMServiceTemplate]{Object: obj}
	tp := tpl()
	tp.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
	tp.Spec.RuntimeConfigName = "rc"
	f := Fetched{Now: t0, Model: okModel(), GPU: cluster}

	if p := r.PlanResources(context.Background(), rc, Compose(tp, "ns", f, discovery.Backoff{})); !p.Empty() {
		t.Errorf("caching disabled: %+v", p.ToApply())
	}
	tp.Caching = &aimv1.AIMTemplateCachingConfig{Enabled: true, Env: []corev1.EnvVar{{Name: "E", Value: "1"}}}
	p := r.PlanResources(context.Background(), rc, Compose(tp, "ns", f, discovery.Backoff{}))
	if len(p.ToApply()) != 1 {
		t.Fatalf("cache plan %+v", p)
	}
	c := p.ToApply()[0].(*aimv1.AIMTemplateCache)
	if c.Name != "t" || c.Spec.TemplateName != "t" || c.Spec.TemplateScope != "Namespace" || c.Spec.RuntimeConfigName != "rc" ||
		len(c.Spec.Env) != 1 || c.Spec.Mode != "" || c.Labels["aim.eai.amd.com/service-template.name"] != "t" {
		t.Errorf("cache %+v", c)
	}
	// A cache this template already owns is not re-created (whatever its name).
	f.Caches = []*aimv1.AIMTemplateCache{{ObjectMeta: metav1.ObjectMeta{Name: "other",
		OwnerReferences: []metav1.OwnerReference{{UID: "uid-t"}}}}}
	if p := r.PlanResources(context.Background(), rc, Compose(tp, "ns", f, discovery.Backoff{})); !p.Empty() {
		t.Errorf("owned cache exists: %+v", p.ToApply())
	}
	// Discovery path: no cache before discovery succeeded.
	tp.Spec.ModelSources = nil
	f.Caches = nil
	o := Compose(tp, "ns", f, discovery.Backoff{})
	o.SlotGranted = true
	for _, a := range r.PlanResources(context.Background(), rc, o).ToApply() {
		if _, ok := a.(*aimv1.AIMTemplateCache); ok {
			t.Error("cache planned before discovery")
		}
	}
}

func TestDiscoveryConditionsStayAfterSuccess(t *testing.T) {
	tp := tpl()
	tp.Status.Profile = &aimv1.AIMProfile{}
	tp.Status.Conditions = []metav1.Condition{{Type: "Discovered", Status: metav1.ConditionTrue, Reason: "DiscoveryComplete"}}
	o := Compose(tp, "ns", Fetched{Now: t0, Model: okModel(), GPU: cluster}, discovery.Backoff{})
	got := map[string]string{}
	for _, h := range o.GetComponentHealth(context.Background(), nil) {
		got[h.Component] = string(h.GetState()) + "/" + h.GetReason()
	}
	if got["DiscoveryJob"] != "Ready/Ready" || got["DiscoveryPods"] != "Ready/PodsReady" {
		t.Errorf("components after discovery: %v", got)
	}
	tp.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
	o = Compose(tp, "ns", Fetched{Now: t0, Model: okModel(), GPU: cluster}, discovery.Backoff{})
	for _, h := range o.GetComponentHealth(context.Background(), nil) {
		if h.Component == "DiscoveryJob" || h.Component == "DiscoveryPods" {
			t.Errorf("inline sources report no discovery components: %+v", h)
		}
	}
}

// The template-owned cache comes after the model and GPU gates (catalogue C4; behaviour §3.4 plan order):
// inline sources or a Ready status alone do not create it while the model is not OK or the GPU is missing.
func TestPlanTemplateCacheGated(t *testing.T) {
	r := &Reconciler[*aimv1.AIMServiceTemplate]{ControllerName: "service-template"}
	obj := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns", UID: "uid-t"}}
	rc := statemachine.ReconcileContext[*aimv1.AIMServiceTemplate]{Object: obj}
	inline := func(tp *Template) {
		tp.Spec.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
	}
	done := func(tp *Template) {
		tp.Status.ModelSources = []aimv1.AIMModelSource{{SourceURI: "hf://a/b", ModelID: "a/b"}}
		tp.Status.Profile = &aimv1.AIMProfile{}
		tp.Status.Conditions = []metav1.Condition{{Type: "Discovered", Status: metav1.ConditionTrue, Reason: "DiscoveryComplete"}}
	}
	failedModel := statemachine.FetchResult[*ModelInfo]{Value: &ModelInfo{Name: "m", Namespace: "ns",
		Spec: &aimv1.AIMModelSpec{Image: "img:1"}, Status: &aimv1.AIMModelStatus{Status: "Failed",
			Conditions: []metav1.Condition{{Type: "RuntimeConfigReady", Status: metav1.ConditionFalse}}}}}
	cases := []struct {
		name  string
		setup func(*Template)
		f     Fetched
		want  bool
		phase Phase
	}{
		{"inline, all OK", inline, Fetched{Now: t0, Model: okModel(), GPU: cluster}, true, PhaseInline},
		{"inline, no GPU", inline, Fetched{Now: t0, Model: okModel(), GPU: gpu.Resources{}}, false, PhaseInline},
		{"inline, wrong GPU", inline, Fetched{Now: t0, Model: okModel(), GPU: gpu.Resources{"MI210": 64 << 30}}, false, PhaseInline},
		{"inline, model missing", inline, Fetched{Now: t0, Model: statemachine.FetchResult[*ModelInfo]{Error: errNotFound()}, GPU: cluster}, false, PhaseInline},
		{"inline, model failed", inline, Fetched{Now: t0, Model: failedModel, GPU: cluster}, false, PhaseInline},
		{"done, all OK", done, Fetched{Now: t0, Model: okModel(), GPU: cluster}, true, PhaseDone},
		{"done, no GPU", done, Fetched{Now: t0, Model: okModel(), GPU: gpu.Resources{}}, false, PhaseDone},
		{"done, model missing", done, Fetched{Now: t0, Model: statemachine.FetchResult[*ModelInfo]{Error: errNotFound()}, GPU: cluster}, false, PhaseDone},
	}
	for _, c := range cases {
		tp := tpl()
		tp.Caching = &aimv1.AIMTemplateCachingConfig{Enabled: true}
		c.setup(&tp)
		o := Compose(tp, "ns", c.f, discovery.Backoff{})
		if o.Phase != c.phase {
			t.Errorf("%s: phase %d, want %d (status decoration keeps the phase)", c.name, o.Phase, c.phase)
		}
		got := false
		for _, a := range r.PlanResources(context.Background(), rc, o).ToApply() {
			if _, ok := a.(*aimv1.AIMTemplateCache); ok {
				got = true
			}
		}
		if got != c.want {
			t.Errorf("%s: cache planned=%v, want %v", c.name, got, c.want)
		}
	}
}
