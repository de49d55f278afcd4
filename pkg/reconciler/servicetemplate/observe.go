// Package servicetemplate reconciles AIMServiceTemplate and AIMClusterServiceTemplate: it checks the model
// (with the model↔template deadlock guard) and GPU availability from node labels, runs the discovery Job
// (capped cluster-wide, with exponential backoff between failed attempts and a requeue when the backoff
// expires), records the discovered profile and model sources, and creates the template cache when
// caching is enabled. The planner is a pure function of the observation.
//
// Deliberate differences from the reference (catalogue §8): the concurrency cap is counted from the
// informer cache plus in-process reservations (no Lease, no List in the planner), and waiting templates
// are woken when a slot frees; the backoff expiry requeues the template. A failed Job is the reference's
// Spec error (JobBackoffLimitExceeded, PodFailed) only while the backoff runs; once it expires the discovery
// components report Progressing (RetryingDiscovery) so the plan can delete the failed Job (whose name the
// retry reuses) and create the next one. `Discovered` stays True after success (and DiscoveryJobReady and
// DiscoveryPodsReady stay True, as the reference's stale conditions do); node affinity lists device IDs sorted; the
// discovery Job has activeDeadlineSeconds so a stuck pod cannot hold a slot forever.
package servicetemplate

import (
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aimlite/aimlite/pkg/aim/discovery"
	"github.com/aimlite/aimlite/pkg/aim/gpu"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// Requeue delays.
const (
	CapRequeue    = 5 * time.Second        // at the discovery concurrency cap (reference value)
	OutputRequeue = 2 * time.Second        // Job complete, its log not readable yet
	expirySlack   = 100 * time.Millisecond // requeue just after the backoff expires
)

// ModelInfo is what a template needs of its (cluster) model.
type ModelInfo struct {
	Name, Namespace string
	UID             types.UID
	Spec            *aimv1.AIMModelSpec
	Status          *aimv1.AIMModelStatus
}

// Fetched is everything read for one reconcile.
type Fetched struct {
	Now           time.Time
	RuntimeConfig runtimeconfig.Result
	Model         statemachine.FetchResult[*ModelInfo]
	GPU           gpu.Resources
	GPUErr        error
	Job           *batchv1.Job
	JobErr        error
	Pods          []*corev1.Pod
	PodsErr       error
	Logs          string
	LogsErr       error
	Caches        []*aimv1.AIMTemplateCache
	CachesErr     error
	SlotGranted   bool
}

// Phase is where discovery stands.
type Phase int

// Discovery phases, decided by Compose.
const (
	PhaseInline         Phase = iota // spec.modelSources: no discovery
	PhaseDone                        // discovered earlier; result in status
	PhaseBlocked                     // model or GPU not available: nothing to do
	PhaseRunning                     // the Job runs
	PhaseAwaitingOutput              // the Job completed but its log is not readable (yet)
	PhaseSucceeded                   // the Job completed and its output parsed in this reconcile
	PhaseFailedWaiting               // the last attempt failed; backing off
	PhaseFailedRetry                 // the last attempt failed and the backoff expired: delete the Job
	PhaseWaiting                     // no Job; backing off
	PhaseCreate                      // no Job; create one (if a slot is granted)
)

// Template is the reconciled template as the shared logic sees it.
type Template struct {
	Name, Namespace string
	UID             types.UID
	Cluster         bool
	Spec            *aimv1.AIMServiceTemplateSpecCommon
	Caching         *aimv1.AIMTemplateCachingConfig
	Status          *aimv1.AIMServiceTemplateStatus
}

// Observation is the pure input of health, plan and decoration.
type Observation struct {
	Fetched
	Template    Template
	JobNS       string
	ModelOK     bool
	GPURequired bool
	GPUOK       bool // no GPU required, or the required GPU is available
	GPUCheck    gpu.Check
	Phase       Phase
	SpecHash    string
	Discovery   *aimv1.AIMDiscoveryState // the state after this reconcile
	Gate        discovery.Gate
	Result      *discovery.Result
	Failure     string // the failed attempt's reason (FailedWaiting/FailedRetry)
	OutputErr   string // why the output is not usable yet (AwaitingOutput)
}

func (t Template) requirement() gpu.Requirement {
	if t.Spec.Hardware == nil || t.Spec.Hardware.GPU == nil {
		return gpu.Requirement{}
	}
	g := t.Spec.Hardware.GPU
	return gpu.Requirement{Requests: g.Requests, Model: g.Model, MinVRAM: g.MinVRAM}
}

// specHash covers the discovery inputs; a change resets the backoff.
func specHash(t Template, m *ModelInfo) string {
	image, gm, gr := "", "", int32(0)
	if m != nil {
		image = m.Spec.Image
	}
	if t.Spec.Hardware != nil && t.Spec.Hardware.GPU != nil {
		gm, gr = t.Spec.Hardware.GPU.Model, t.Spec.Hardware.GPU.Requests
	}
	return discovery.SpecHash(t.Spec.ModelName, image, string(t.Spec.Metric), string(t.Spec.Precision), gm, gr, t.Spec.ProfileID)
}

// discovered reports a discovery result already recorded in status.
func discovered(st *aimv1.AIMServiceTemplateStatus) bool {
	for _, c := range st.Conditions {
		if c.Type == "Discovered" && c.Status == metav1.ConditionTrue && c.Reason == "DiscoveryComplete" {
			return st.Profile != nil || len(st.ModelSources) > 0
		}
	}
	return false
}

// Compose decides the discovery phase; it is pure (now comes from the fetch).
func Compose(t Template, jobNS string, f Fetched, backoff discovery.Backoff) Observation {
	o := Observation{Fetched: f, Template: t, JobNS: jobNS}
	req := t.requirement()
	o.GPURequired = req.Required()
	if o.GPURequired && f.GPUErr == nil {
		o.GPUCheck = gpu.Evaluate(req, f.GPU)
	}
	m := f.Model.Value
	o.ModelOK = f.Model.OK() && m != nil && m.Spec.Image != "" && modelUsable(m)
	o.SpecHash = specHash(t, m)
	o.Discovery = t.Status.Discovery.DeepCopy()
	o.GPUOK = !o.GPURequired || (f.GPUErr == nil && o.GPUCheck.Available)
	switch {
	case len(t.Spec.ModelSources) > 0:
		o.Phase = PhaseInline
		return o
	case discovered(t.Status):
		o.Phase = PhaseDone
		return o
	case !o.ModelOK || !o.GPUOK:
		o.Phase = PhaseBlocked
		return o
	}
	fin := discovery.Finished(f.Job)
	switch {
	case f.Job == nil:
		o.Gate = backoff.Check(o.Discovery, o.SpecHash, f.Now)
		o.Phase = PhaseCreate
		if !o.Gate.Allowed {
			o.Phase = PhaseWaiting
		}
	case fin == nil:
		o.Phase = PhaseRunning
	case fin.Type == batchv1.JobComplete:
		switch {
		case f.LogsErr != nil:
			o.Phase, o.OutputErr = PhaseAwaitingOutput, f.LogsErr.Error()
		case strings.TrimSpace(f.Logs) == "":
			o.Phase, o.OutputErr = PhaseAwaitingOutput, "discovery output is empty"
		default:
			res, err := discovery.Parse(f.Logs)
			if err == nil {
				o.Phase, o.Result = PhaseSucceeded, res
				return o
			}
			o.failed(fin, "failed to parse discovery output: "+err.Error(), backoff)
		}
	default:
		o.failed(fin, discovery.FailureReason(fin), backoff)
	}
	return o
}

// failed records a failed attempt once (keyed by the Job's terminal time) and decides whether to retry.
func (o *Observation) failed(fin *batchv1.JobCondition, reason string, backoff discovery.Backoff) {
	at := fin.LastTransitionTime.Time
	if at.IsZero() {
		at = o.Now
	}
	at = at.Truncate(time.Second)
	st := o.Discovery
	recorded := st != nil && st.SpecHash == o.SpecHash && st.LastAttemptTime != nil && !st.LastAttemptTime.Time.Before(at)
	if !recorded {
		o.Discovery = discovery.RecordFailure(st, o.SpecHash, reason, at)
	}
	o.Failure = reason
	o.Gate = backoff.Check(o.Discovery, o.SpecHash, o.Now)
	o.Phase = PhaseFailedRetry
	if !o.Gate.Allowed {
		o.Phase = PhaseFailedWaiting
	}
}

// NeedsSlot reports whether this reconcile would create a discovery Job if a slot were granted.
func (o Observation) NeedsSlot() bool { return o.Phase == PhaseCreate }

// modelUsable is the deadlock guard: a model that is Failed or Degraded only because of its templates'
// aggregate does not block its templates (which would never recover otherwise).
func modelUsable(m *ModelInfo) bool { return modelFailure(m) == "" }

// modelFailure returns the model's status when it fails for a reason other than its templates.
func modelFailure(m *ModelInfo) string {
	if m == nil || m.Status == nil {
		return ""
	}
	s := string(m.Status.Status)
	if s != "Failed" && s != "Degraded" {
		return ""
	}
	for _, c := range m.Status.Conditions {
		if c.Status != metav1.ConditionFalse || !strings.HasSuffix(c.Type, "Ready") {
			continue
		}
		switch c.Type {
		case "Ready", "ServiceTemplatesReady", "ClusterServiceTemplatesReady":
			continue
		}
		return s
	}
	return ""
}
