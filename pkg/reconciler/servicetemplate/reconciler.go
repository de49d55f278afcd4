package servicetemplate

import (
	"context"
	"errors"
	"io"
	"sort"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/discovery"
	"github.com/aimlite/aimlite/pkg/aim/gpu"
	aimlabels "github.com/aimlite/aimlite/pkg/aim/labels"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// LogReader reads a container's full log.
type LogReader interface {
	ReadLogs(ctx context.Context, namespace, pod, container string) (string, error)
}

// ClientsetLogs reads logs through the pods/log subresource.
type ClientsetLogs struct{ Client kubeclient.Interface }

// maxLogBytes bounds a discovery log read.
const maxLogBytes = 4 << 20

// ReadLogs implements LogReader.
func (c ClientsetLogs) ReadLogs(ctx context.Context, ns, pod, container string) (string, error) {
	limit := int64(maxLogBytes)
	rc, err := c.Client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, LimitBytes: &limit}).Stream(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// Accessors give the shared logic access to one of the two template kinds.
type Accessors[T statemachine.Object] struct {
	Spec    func(T) *aimv1.AIMServiceTemplateSpecCommon
	Caching func(T) *aimv1.AIMTemplateCachingConfig // nil for cluster templates
	Status  func(T) *aimv1.AIMServiceTemplateStatus
}

// Reconciler is the domain reconciler shared by both template kinds.
type Reconciler[T statemachine.Object] struct {
	Cluster        bool
	ControllerName string
	Access         Accessors[T]
	RuntimeConfigs runtimeconfig.Lookup
	// Model returns the (cluster) model; namespace is "" for cluster models.
	Model func(namespace, name string) (*ModelInfo, error)
	Nodes func() ([]*corev1.Node, error)
	// Jobs returns this kind's discovery Jobs of a template in namespace.
	Jobs func(namespace, template string) ([]*batchv1.Job, error)
	// Pods returns the pods of a Job (by its controller UID).
	Pods func(namespace string, jobUID types.UID) ([]*corev1.Pod, error)
	// Caches lists template caches of a namespace (namespaced templates only).
	Caches  func(namespace string) ([]*aimv1.AIMTemplateCache, error)
	Logs    LogReader
	Limiter *discovery.Limiter
	// Wake enqueues a template that waits for a discovery slot (nil: it polls every CapRequeue).
	Wake            func(controller.Key)
	Backoff         discovery.Backoff
	SystemNamespace string
	Clock           clock.PassiveClock
	// PodAnnotations (optional) returns annotations for the discovery pods of a template's next attempt
	// (attempt = failed attempts so far); tests script kwok with them.
	PodAnnotations func(namespace, template string, attempt int32) map[string]string
}

func (r *Reconciler[T]) now() clock.PassiveClock {
	if r.Clock == nil {
		return clock.RealClock{}
	}
	return r.Clock
}

func (r *Reconciler[T]) template(o T) Template {
	t := Template{Name: o.GetName(), Namespace: o.GetNamespace(), UID: o.GetUID(), Cluster: r.Cluster,
		Spec: r.Access.Spec(o), Status: r.Access.Status(o)}
	if r.Access.Caching != nil {
		t.Caching = r.Access.Caching(o)
	}
	return t
}

func (r *Reconciler[T]) jobNamespace(t Template) string {
	if r.Cluster {
		return r.SystemNamespace
	}
	return t.Namespace
}

// SlotKey identifies a template's discovery Job for the limiter (namespace, kind, template).
func SlotKey(jobNS, controllerName, template string) string {
	return jobNS + "/" + controllerName + "/" + template
}

// FetchRemoteState reads the runtime config, the model, the nodes, and the discovery Job, its pods and
// its output; it then takes a discovery slot if this reconcile is going to create a Job.
func (r *Reconciler[T]) FetchRemoteState(ctx context.Context, rc statemachine.ReconcileContext[T]) Fetched {
	t := r.template(rc.Object)
	f := Fetched{Now: r.now().Now()}
	res, err := r.RuntimeConfigs.Resolve(t.Spec.RuntimeConfigName, t.Namespace)
	f.RuntimeConfig = runtimeconfig.Result{Resolved: res, Err: err}
	m, err := r.Model(t.Namespace, t.Spec.ModelName)
	f.Model = statemachine.FetchResult[*ModelInfo]{Value: m, Error: err}
	if t.requirement().Required() {
		nodes, err := r.Nodes()
		if err != nil {
			f.GPUErr = err
		} else {
			f.GPU = gpu.Detect(nodes)
		}
	} else if t.Spec.Hardware != nil && t.Spec.Hardware.GPU != nil && t.Spec.Hardware.GPU.MinVRAM != nil {
		if nodes, err := r.Nodes(); err == nil {
			f.GPU = gpu.Detect(nodes)
		}
	}
	jobNS := r.jobNamespace(t)
	if len(t.Spec.ModelSources) == 0 && !discovered(t.Status) {
		jobs, err := r.Jobs(jobNS, t.Name)
		f.JobErr = err
		if len(jobs) > 0 {
			sort.Slice(jobs, func(i, j int) bool {
				return jobs[j].CreationTimestamp.Before(&jobs[i].CreationTimestamp)
			})
			f.Job = jobs[0]
			f.Pods, f.PodsErr = r.Pods(jobNS, f.Job.UID)
			if fin := discovery.Finished(f.Job); fin != nil && fin.Type == batchv1.JobComplete {
				f.Logs, f.LogsErr = r.readOutput(ctx, jobNS, f.Pods)
			}
		}
	}
	if !r.Cluster && r.Caches != nil && t.Caching != nil && t.Caching.Enabled {
		f.Caches, f.CachesErr = r.Caches(t.Namespace)
	}
	if o := Compose(t, jobNS, f, r.Backoff); o.NeedsSlot() && r.Limiter != nil {
		var wake func()
		if r.Wake != nil {
			key := controller.NewKey(t.Namespace, t.Name)
			wake = func() { r.Wake(key) }
		}
		f.SlotGranted = r.Limiter.TryAcquireOrWait(SlotKey(jobNS, r.ControllerName, t.Name), wake)
	} else if r.Limiter == nil {
		f.SlotGranted = true
	}
	return f
}

func (r *Reconciler[T]) readOutput(ctx context.Context, ns string, pods []*corev1.Pod) (string, error) {
	var pod *corev1.Pod
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded && (pod == nil || pod.CreationTimestamp.Before(&p.CreationTimestamp)) {
			pod = p
		}
	}
	if pod == nil {
		return "", errors.New("no succeeded discovery pod found")
	}
	if r.Logs == nil {
		return "", errors.New("no log reader configured")
	}
	return r.Logs.ReadLogs(ctx, ns, pod.Name, constants.DiscoveryContainerName)
}

// ComposeState is Compose over the fetched state.
func (r *Reconciler[T]) ComposeState(_ context.Context, rc statemachine.ReconcileContext[T], f Fetched) Observation {
	t := r.template(rc.Object)
	return Compose(t, r.jobNamespace(t), f, r.Backoff)
}

// PlanResources is pure: it creates the discovery Job, deletes a failed one when its backoff expired,
// creates the template cache, and asks for the requeues that replace the reference's missing timers.
func (r *Reconciler[T]) PlanResources(_ context.Context, rc statemachine.ReconcileContext[T], o Observation) statemachine.PlanResult {
	var p statemachine.PlanResult
	cfg := o.RuntimeConfig.Spec()
	switch o.Phase {
	case PhaseInline, PhaseDone:
		if c := r.cache(rc.Object, o, cfg); c != nil {
			p.Apply(c)
		}
	case PhaseCreate:
		if !o.SlotGranted {
			p.RequeueAfter = CapRequeue
			break
		}
		p.Apply(discovery.BuildJob(r.jobInput(rc.Object, o, cfg)))
	case PhaseWaiting, PhaseFailedWaiting:
		p.RequeueAfter = o.Gate.Wait + expirySlack
	case PhaseFailedRetry:
		p.Delete(&batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: o.Job.Name, Namespace: o.Job.Namespace}})
	case PhaseAwaitingOutput:
		p.RequeueAfter = OutputRequeue
	}
	return p
}

func (r *Reconciler[T]) jobInput(obj T, o Observation, cfg *aimv1.AIMRuntimeConfigSpec) discovery.JobInput {
	t := o.Template
	in := discovery.JobInput{TemplateName: t.Name, Namespace: o.JobNS, Template: t.Spec, ModelName: t.Spec.ModelName,
		Model: o.Model.Value.Spec}
	if r.PodAnnotations != nil {
		var attempt int32
		if o.Discovery != nil && o.Discovery.SpecHash == o.SpecHash {
			attempt = o.Discovery.Attempts
		}
		in.PodAnnotations = r.PodAnnotations(t.Namespace, t.Name, attempt)
	}
	if !r.Cluster {
		in.TemplateEnv = t.Spec.Env
	}
	// Job: propagated labels and the domain label (the managed-by label is pre-set by BuildJob).
	in.JobLabels = aimlabels.ForChild(obj, map[string]string{constants.LabelK8sManagedBy: constants.ManagedByDiscovery}, cfg, r.ControllerName)
	in.PodLabels = aimlabels.ForChild(obj, map[string]string{constants.LabelK8sManagedBy: constants.ManagedByDiscovery}, cfg, r.ControllerName)
	delete(in.PodLabels, constants.LabelK8sManagedBy)
	return in
}

// cache returns the template cache to create (catalogue C4), or nil.
func (r *Reconciler[T]) cache(obj T, o Observation, cfg *aimv1.AIMRuntimeConfigSpec) *aimv1.AIMTemplateCache {
	t := o.Template
	if r.Cluster || t.Caching == nil || !t.Caching.Enabled || o.CachesErr != nil {
		return nil
	}
	// The cache comes after the model and GPU gates (catalogue C4): the inline/done phases are decided
	// before the gates only for status decoration.
	if !o.ModelOK || !o.GPUOK {
		return nil
	}
	if o.Phase == PhaseDone && len(t.Status.ModelSources) == 0 {
		return nil
	}
	for _, c := range o.Caches {
		for _, ref := range c.OwnerReferences {
			if ref.UID == t.UID {
				return nil
			}
		}
	}
	return &aimv1.AIMTemplateCache{
		TypeMeta: metav1.TypeMeta{APIVersion: aimv1.SchemeGroupVersion.String(), Kind: "AIMTemplateCache"},
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Namespace: t.Namespace,
			Labels: aimlabels.ForChild(obj, nil, cfg, r.ControllerName)},
		Spec: aimv1.AIMTemplateCacheSpec{TemplateName: t.Name, TemplateScope: aimv1.AIMResolutionScopeNamespace,
			Env: t.Caching.Env, RuntimeConfigName: t.Spec.RuntimeConfigName},
	}
}

// DecorateStatus writes the resolved model, the discovery state and results, and Discovered.
func (r *Reconciler[T]) DecorateStatus(st *aimv1.AIMServiceTemplateStatus, cm *statemachine.ConditionManager, o Observation) {
	if o.Model.OK() && o.Model.Value != nil {
		ref := &aimv1.AIMResolvedReference{Name: o.Model.Value.Name, Namespace: o.Model.Value.Namespace}
		st.ResolvedModel = ref
	}
	st.ResolvedRuntimeConfig = o.RuntimeConfig.Reference()
	t := o.Template
	switch o.Phase {
	case PhaseInline:
		st.ModelSources = copySources(t.Spec.ModelSources)
		st.Profile = inlineProfile(t.Spec)
		r.setHardware(st, t.requirement(), o)
		cm.MarkTrue(constants.CondDiscovered, constants.ReasonInlineModelSources, constants.MsgInlineModelSources)
		return
	case PhaseDone:
		return
	case PhaseSucceeded:
		st.ModelSources = o.Result.ModelSources
		st.Profile = o.Result.Profile
		r.setHardware(st, o.resolvedRequirement(), o)
		st.Discovery = &aimv1.AIMDiscoveryState{SpecHash: o.SpecHash}
		st.DiscoveryJob = &aimv1.AIMResolvedReference{Name: o.Job.Name, Namespace: o.Job.Namespace}
		cm.MarkTrue(constants.CondDiscovered, constants.ReasonDiscoveryComplete, constants.MsgDiscoveryComplete)
		return
	}
	st.Discovery = o.Discovery
	if o.Job != nil {
		st.DiscoveryJob = &aimv1.AIMResolvedReference{Name: o.Job.Name, Namespace: o.Job.Namespace}
	}
	if c := cm.Get(constants.CondDiscovered); c != nil && c.Status == metav1.ConditionTrue {
		return // never regress a completed discovery
	}
	msg := constants.MsgAwaitingDiscovery
	if (o.Phase == PhaseWaiting || o.Phase == PhaseFailedWaiting) && o.Gate.Message != "" {
		msg = o.Gate.Message
	}
	cm.MarkFalse(constants.CondDiscovered, constants.ReasonAwaitingDiscovery, msg)
}

func (r *Reconciler[T]) setHardware(st *aimv1.AIMServiceTemplateStatus, req gpu.Requirement, o Observation) {
	spec := o.Template.Spec
	if !req.Required() && (spec.Hardware == nil || spec.Hardware.GPU == nil) {
		if spec.Hardware != nil {
			st.ResolvedHardware = spec.Hardware.DeepCopy()
		}
		st.HardwareSummary = gpu.Summary(0, "")
		st.ResolvedNodeAffinity = nil
		return
	}
	hw := &aimv1.AIMHardwareRequirements{}
	if spec.Hardware != nil {
		hw = spec.Hardware.DeepCopy()
	}
	if hw.GPU == nil {
		hw.GPU = &aimv1.AIMGpuRequirements{}
	}
	hw.GPU.Requests, hw.GPU.Model = req.Requests, req.Model
	if hw.GPU.ResourceName == "" {
		hw.GPU.ResourceName = constants.DefaultGPUResourceName
	}
	st.ResolvedHardware = hw
	st.HardwareSummary = gpu.Summary(req.Requests, req.Model)
	st.ResolvedNodeAffinity = gpu.NodeAffinity(req, o.GPU)
}

func inlineProfile(s *aimv1.AIMServiceTemplateSpecCommon) *aimv1.AIMProfile {
	md := &aimv1.AIMProfileMetadata{Metric: s.Metric, Precision: s.Precision, Type: s.Type}
	if s.Hardware != nil && s.Hardware.GPU != nil {
		md.GPU, md.GPUCount = s.Hardware.GPU.Model, s.Hardware.GPU.Requests
	}
	return &aimv1.AIMProfile{Metadata: md}
}

func copySources(in []aimv1.AIMModelSource) []aimv1.AIMModelSource {
	out := make([]aimv1.AIMModelSource, len(in))
	for i := range in {
		in[i].DeepCopyInto(&out[i])
	}
	return out
}
