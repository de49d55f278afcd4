// Package artifact reconciles AIMArtifact: size check Job → PVC sized with headroom → download
// Job, with the RoleBinding that lets the downloader report progress, DownloadComplete, and
// failure classification of the Job pods (from their logs) through the engine's pod inspector.
package artifact

import (
	"context"
	"io"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aimlite/aimlite/pkg/aim/childwiring"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/download"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
	"github.com/aimlite/aimlite/pkg/statemachine/inspect"
)

// ProgressRequeue is how often a Progressing artifact is looked at again (the downloader
// patches progress into status, but job pods may stall without events).
const ProgressRequeue = 10 * time.Second

// CheckSizeOutput reasons.
const ReasonInvalidSizeOutput = "InvalidSizeOutput"

// Stores are the cached reads of the reconciler.
type Stores struct {
	Jobs          store.Store[*batchv1.Job]
	Pods          store.Store[*corev1.Pod]
	PVCs          store.Store[*corev1.PersistentVolumeClaim]
	RoleBindings  store.Store[*rbacv1.RoleBinding]
	RuntimeConfig runtimeconfig.Lookup
}

// LogTail reads the last lines of a container's log (live).
type LogTail func(ctx context.Context, ns, pod, container string, lines int64) (string, error)

// KubeLogTail reads logs through a clientset.
func KubeLogTail(kube kubeclient.Interface) LogTail {
	return func(ctx context.Context, ns, pod, container string, lines int64) (string, error) {
		rc, err := kube.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &lines}).Stream(ctx)
		if err != nil {
			return "", err
		}
		defer func() { _ = rc.Close() }()
		b, err := io.ReadAll(io.LimitReader(rc, 64<<10))
		return string(b), err
	}
}

// Reconciler is the AIMArtifact domain reconciler.
type Reconciler struct {
	Stores Stores
	Logs   LogTail
}

// Fetched is the artifact's world.
type Fetched struct {
	art      *aimv1.AIMArtifact
	rc       runtimeconfig.Result
	pvcName  string
	pvc      sm.FetchResult[*corev1.PersistentVolumeClaim]
	rbExists bool
	rbErr    error

	sizing         bool // spec.size is zero and no size was discovered yet
	checkJobName   string
	checkJob       sm.FetchResult[*batchv1.Job]
	checkPods      sm.FetchResult[[]*corev1.Pod]
	checkOutput    string
	size           int64 // effective size in bytes; 0 = unknown
	sizeErr        error // unparsable check-size output
	discoveredSize int64

	dlJobName string
	dlJob     sm.FetchResult[*batchv1.Job]
	dlPods    sm.FetchResult[[]*corev1.Pod]
}

// Obs is the observation.
type Obs struct{ *Fetched }

func jobCond(j *batchv1.Job, t batchv1.JobConditionType) bool {
	if j == nil {
		return false
	}
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func (f *Fetched) ready() bool { return string(f.art.Status.Status) == constants.StatusReady }

// FetchRemoteState reads the children and, while sizing, the check-size output.
func (r *Reconciler) FetchRemoteState(ctx context.Context, rc sm.ReconcileContext[*aimv1.AIMArtifact]) *Fetched {
	a := rc.Object
	f := &Fetched{art: a}
	f.rc.Resolved, f.rc.Err = r.Stores.RuntimeConfig.Resolve(a.Spec.RuntimeConfigName, a.Namespace)
	f.pvcName = naming.ArtifactPVCName(a.Name, string(a.UID))
	f.pvc = sm.Fetch[*corev1.PersistentVolumeClaim](store.In(r.Stores.PVCs, a.Namespace), f.pvcName)
	_, err := r.Stores.RoleBindings.Get(a.Namespace, download.StatusUpdaterName)
	f.rbExists = err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		f.rbErr = err
	}

	if a.Spec.Size != nil && a.Spec.Size.Value() > 0 {
		f.size = a.Spec.Size.Value()
	} else if a.Status.DiscoveredSizeBytes > 0 {
		f.size = a.Status.DiscoveredSizeBytes
	}
	f.sizing = f.size == 0
	if f.sizing {
		f.checkJobName = naming.CheckSizeJobName(a.Name, string(a.UID))
		f.checkJob = sm.Fetch[*batchv1.Job](store.In(r.Stores.Jobs, a.Namespace), f.checkJobName)
		if f.checkJob.OK() {
			pods, err := r.Stores.Pods.List(a.Namespace, labels.SelectorFromSet(labels.Set{constants.LabelJobName: f.checkJobName}))
			f.checkPods = sm.FetchResult[[]*corev1.Pod]{Value: pods, Error: err}
			if jobCond(f.checkJob.Value, batchv1.JobComplete) && r.Logs != nil {
				for _, p := range pods {
					if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodRunning {
						if out, err := r.Logs(ctx, p.Namespace, p.Name, download.CheckSizeContainer, 1); err == nil {
							f.checkOutput = strings.TrimSpace(out)
						}
						break
					}
				}
			}
			if f.checkOutput != "" {
				f.discoveredSize, f.sizeErr = download.ParseCheckSizeOutput(f.checkOutput)
				f.size = f.discoveredSize
			}
		}
	}

	f.dlJobName = naming.DownloadJobName(a.Name, string(a.UID))
	f.dlJob = sm.Fetch[*batchv1.Job](store.In(r.Stores.Jobs, a.Namespace), f.dlJobName)
	if f.dlJob.OK() && !jobCond(f.dlJob.Value, batchv1.JobComplete) {
		pods, err := r.Stores.Pods.List(a.Namespace, labels.SelectorFromSet(labels.Set{constants.LabelJobName: f.dlJobName}))
		f.dlPods = sm.FetchResult[[]*corev1.Pod]{Value: pods, Error: err}
	}
	return f
}

// ComposeState is a passthrough.
func (r *Reconciler) ComposeState(_ context.Context, _ sm.ReconcileContext[*aimv1.AIMArtifact], f *Fetched) Obs {
	return Obs{f}
}

// GetComponentHealth reports RuntimeConfig, the sizing components, CachePvc and the
// download components (catalogue §1.5, §2.12).
func (o Obs) GetComponentHealth(ctx context.Context, cs kubeclient.Interface) []sm.ComponentHealth {
	hs := []sm.ComponentHealth{o.rc.Health(true)}
	if o.sizing {
		hs = append(hs, o.checkJob.ToDownstreamComponentHealth(constants.ComponentCheckSizeJob, inspect.Job))
		if o.checkJob.OK() {
			hs = append(hs, o.checkPods.ToComponentHealthWithContext(ctx, constants.ComponentCheckSizeJobPods, inspect.ForClient(cs).Health))
		}
		if o.sizeErr != nil {
			hs = append(hs, sm.ComponentHealth{Component: constants.ComponentCheckSizeOutput, State: sm.StateFailed,
				Reason: ReasonInvalidSizeOutput, Message: o.sizeErr.Error(), Errors: []error{o.sizeErr}, DependencyType: sm.DependencyDownstream})
		}
	}
	if o.sizeDiscovered() {
		hs = append(hs, keptJobsReady(constants.ComponentCheckSizeJob, constants.ComponentCheckSizeJobPods)...)
	}
	if o.size > 0 {
		hs = append(hs, o.pvc.ToDownstreamComponentHealth(constants.ComponentCachePvc, inspect.PVC))
	}
	if o.downloadDone() {
		return append(hs, keptJobsReady(constants.ComponentDownloadJob, constants.ComponentDownloadJobPods)...)
	}
	hs = append(hs, o.dlJob.ToDownstreamComponentHealth(constants.ComponentDownloadJob, inspect.Job))
	if o.dlJob.OK() {
		hs = append(hs, o.dlPods.ToComponentHealthWithContext(ctx, constants.ComponentDownloadJobPods, inspect.ForClient(cs).Health))
	}
	return hs
}

// MsgPodsReady is the pods inspector's message for a Succeeded or ready pod (catalogue §2.3 row 6).
const MsgPodsReady = "Pods are ready"

// keptJobsReady reports a finished Job and its pods as Ready. The reference stops computing these
// components once the size is known / the download finished, but never prunes conditions, so they keep
// the values of the successful run (Job inspector §2.4 Complete row; pods inspector §2.3 row 6)
// and users wait on them (catalogue §8 "stale conditions"). The engine here prunes unreported
// `*Ready` conditions, so they are reported explicitly; being Ready they do not change the rollup.
func keptJobsReady(job, pods string) []sm.ComponentHealth {
	return []sm.ComponentHealth{
		{Component: job, State: sm.StateReady, Reason: constants.ReasonReadyComponent, DependencyType: sm.DependencyDownstream},
		{Component: pods, State: sm.StateReady, Reason: constants.ReasonPodsReady, Message: MsgPodsReady},
	}
}

// sizeDiscovered: the size came from a finished check-size Job (spec.size zero, discoveredSizeBytes set).
func (f *Fetched) sizeDiscovered() bool {
	return (f.art.Spec.Size == nil || f.art.Spec.Size.Value() <= 0) && f.art.Status.DiscoveredSizeBytes > 0
}

// downloadDone: the artifact is Ready, or its download Job completed (its pods are no longer listed).
func (f *Fetched) downloadDone() bool {
	return f.ready() || (f.dlJob.OK() && jobCond(f.dlJob.Value, batchv1.JobComplete))
}

func (f *Fetched) headroom() int32 {
	if s := f.rc.Spec(); s != nil && s.Storage != nil && s.Storage.PVCHeadroomPercent != nil {
		return *s.Storage.PVCHeadroomPercent
	}
	return download.DefaultHeadroomPercent
}

func (f *Fetched) storageClass() string {
	if f.art.Spec.StorageClassName != "" {
		return f.art.Spec.StorageClassName
	}
	if s := f.rc.Spec(); s != nil && s.Storage != nil {
		return s.Storage.DefaultStorageClassName
	}
	return ""
}

func (f *Fetched) spec() download.Artifact {
	a := f.art
	var rcEnv []corev1.EnvVar
	if s := f.rc.Spec(); s != nil {
		rcEnv = s.Env
	}
	return download.Artifact{Name: a.Name, Namespace: a.Namespace, UID: string(a.UID), SourceURI: a.Spec.SourceURI,
		Image: a.Spec.ModelDownloadImage, ImagePullSecrets: a.Spec.ImagePullSecrets, RuntimeConfigEnv: rcEnv, Env: a.Spec.Env,
		TemplateCreated: a.Labels[constants.LabelTemplateMade] == constants.TrueValue}
}

// PlanResources is phased: RoleBinding; then check-size Job while the size is unknown; then
// the PVC (created once); then the download Job while not Ready.
func (r *Reconciler) PlanResources(ctx context.Context, rc sm.ReconcileContext[*aimv1.AIMArtifact], o Obs) sm.PlanResult {
	p := r.plan(o)
	for _, l := range [][]any{p.ToApply(), p.ToApplyWithoutOwnerRef()} {
		for _, obj := range l {
			if m, ok := obj.(metav1.Object); ok {
				childwiring.PropagateLabels(o.art.Labels, m, o.rc.Spec())
			}
		}
	}
	return p
}

func (r *Reconciler) plan(o Obs) sm.PlanResult {
	var p sm.PlanResult
	if o.art.DeletionTimestamp != nil || o.rc.Err != nil {
		return p
	}
	if !o.rbExists && o.rbErr == nil {
		p.ApplyWithoutOwnerRef(download.RoleBinding(o.art.Namespace))
	}
	if o.size == 0 {
		if o.checkJob.IsNotFound() {
			p.Apply(download.CheckSizeJob(o.spec()))
		}
		if o.sizeErr == nil {
			p.RequeueAfter = ProgressRequeue
		}
		return p
	}
	if o.pvc.IsNotFound() {
		p.Apply(download.PVC(o.spec(), o.size, o.headroom(), o.storageClass()))
		return p
	}
	if !o.ready() && o.dlJob.IsNotFound() && o.rbExists {
		p.Apply(download.DownloadJob(o.spec(), o.pvcName, o.size))
	}
	// Progress arrives as status patches (watched); the periodic look only covers pods that
	// stall without events, and never runs for a failed artifact (no error events every 10 s).
	switch o.art.Status.Status {
	case "", constants.StatusPending, constants.StatusProgressing:
		p.RequeueAfter = ProgressRequeue
	}
	return p
}

// DecorateStatus fills mode, sizes, PVC and DownloadComplete (catalogue §1.5).
func (r *Reconciler) DecorateStatus(st *aimv1.AIMArtifactStatus, cm *sm.ConditionManager, o Obs) {
	st.Mode = "Shared"
	if len(o.art.OwnerReferences) > 0 {
		st.Mode = "Dedicated"
	}
	if o.discoveredSize > 0 && o.sizeErr == nil {
		st.DiscoveredSizeBytes = o.discoveredSize
	}
	if o.size > 0 {
		st.DisplaySize = download.DisplaySize(o.size)
		if st.AllocatedSize == nil || st.AllocatedSize.IsZero() {
			q := download.QuantityWithHeadroom(o.size, o.headroom())
			h := o.headroom()
			st.AllocatedSize, st.HeadroomPercent = &q, &h
		}
	}
	if o.pvc.OK() && o.pvc.Value != nil && st.PersistentVolumeClaim == "" {
		st.PersistentVolumeClaim = o.pvcName
	}
	if !o.dlJob.OK() || o.dlJob.Value == nil {
		return
	}
	j := o.dlJob.Value
	failed := jobCond(j, batchv1.JobFailed)
	if o.dlPods.OK() {
		for _, p := range o.dlPods.Value {
			failed = failed || p.Status.Phase == corev1.PodFailed
		}
	}
	var pct int32
	if st.Progress != nil {
		pct = st.Progress.Percentage
	}
	c := download.DownloadComplete(jobCond(j, batchv1.JobComplete), failed, pct)
	var opt sm.Option = sm.WithNormalEvent()
	if c.Warning {
		opt = sm.AsWarning()
	}
	if c.Status == metav1.ConditionTrue {
		cm.MarkTrue(constants.CondDownloadComplete, c.Reason, c.Message, opt)
	} else {
		cm.MarkFalse(constants.CondDownloadComplete, c.Reason, c.Message, opt)
	}
	switch {
	case c.ForceComplete:
		st.Progress = &aimv1.AIMArtifactProgress{TotalBytes: o.size, DownloadedBytes: o.size, Percentage: 100, DisplayPercentage: "100 %"}
		if st.Download != nil {
			st.Download.Message = "Complete"
		}
	case c.NotApplicable:
		if st.Progress == nil {
			st.Progress = &aimv1.AIMArtifactProgress{}
		}
		st.Progress.DisplayPercentage = "N/A"
	}
}
