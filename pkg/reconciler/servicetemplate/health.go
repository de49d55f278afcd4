package servicetemplate

import (
	"context"
	"fmt"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/gpu"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/statemachine"
	"github.com/aimlite/aimlite/pkg/statemachine/inspect"
)

// Reasons aimlite adds for states the reference could not express.
const (
	ReasonAwaitingDiscoveryOutput = "AwaitingDiscoveryOutput"
	ReasonInvalidDiscoveryOutput  = "InvalidDiscoveryOutput"
	ReasonRetryingDiscovery       = "RetryingDiscovery"
)

const retryMessage = "Backoff expired; replacing the failed discovery Job"

// GetComponentHealth reports RuntimeConfig, (Cluster)Model, GPU (when required), and DiscoveryJob and
// DiscoveryPods while discovery is pending.
func (o Observation) GetComponentHealth(ctx context.Context, cs kubeclient.Interface) []statemachine.ComponentHealth {
	hs := []statemachine.ComponentHealth{o.RuntimeConfig.Health(false), o.modelHealth()}
	if o.GPURequired {
		hs = append(hs, o.gpuHealth())
	}
	switch o.Phase {
	case PhaseInline:
		return hs
	case PhaseDone, PhaseSucceeded:
		// Discovery finished: the reference keeps these conditions (stale, True) after success, and users
		// wait on them, so they stay reported as Ready rather than disappearing.
		return append(hs,
			statemachine.ComponentHealth{Component: constants.ComponentDiscoveryJob, State: statemachine.StateReady,
				Reason: constants.ReasonReadyComponent, DependencyType: statemachine.DependencyDownstream},
			statemachine.ComponentHealth{Component: constants.ComponentDiscoveryPods, State: statemachine.StateReady,
				Reason: constants.ReasonPodsReady, Message: "Pods are ready"})
	}
	hs = append(hs, o.jobHealth())
	if len(o.Pods) == 0 {
		return hs // DiscoveryPods is reported only when there is a pod (catalogue §2.9)
	}
	switch o.Phase {
	case PhaseRunning, PhaseFailedWaiting:
		// During the backoff a failed pod is a Spec error (PodFailed, exit code and log excerpt; §2.3 row 5e).
		h := inspect.ForClient(cs).Health(ctx, o.Pods)
		h.Component = constants.ComponentDiscoveryPods
		hs = append(hs, h)
	case PhaseFailedRetry:
		hs = append(hs, statemachine.ComponentHealth{Component: constants.ComponentDiscoveryPods,
			State: statemachine.StateProgressing, Reason: ReasonRetryingDiscovery, Message: retryMessage})
	}
	return hs
}

func (o Observation) modelHealth() statemachine.ComponentHealth {
	name, found, foundMsg, failed, kind := constants.ComponentModel, constants.ReasonModelFound, constants.MsgModelFound, constants.ReasonModelFailed, "AIMModel"
	noImage := constants.MsgImageNotSpecified
	if o.Template.Cluster {
		name, found, foundMsg, failed, kind = constants.ComponentClusterModel, constants.ReasonClusterModelFound, constants.MsgClusterModelFound, constants.ReasonClusterModelFailed, "AIMClusterModel"
		noImage = constants.MsgClusterImageNotSpec
	}
	return o.Model.ToUpstreamComponentHealth(name, func(m *ModelInfo) statemachine.ComponentHealth {
		switch {
		case m == nil:
			return statemachine.ComponentHealth{State: statemachine.StatePending, Reason: constants.ReasonModelNotFound, Message: "Model not found"}
		case m.Spec.Image == "":
			return statemachine.ComponentHealth{State: statemachine.StateFailed, Reason: constants.ReasonImageNotSpecified, Message: noImage}
		}
		if s := modelFailure(m); s != "" {
			return statemachine.ComponentHealth{State: statemachine.State(s), Reason: failed, Message: fmt.Sprintf("%s is in %s state", kind, s)}
		}
		return statemachine.ComponentHealth{State: statemachine.StateReady, Reason: found, Message: foundMsg}
	})
}

func (o Observation) gpuHealth() statemachine.ComponentHealth {
	h := statemachine.ComponentHealth{Component: constants.ComponentGPU}
	if o.GPUErr != nil {
		msg := "Failed to check GPU availability: " + o.GPUErr.Error()
		h.State, h.Reason, h.Message = statemachine.StateDegraded, constants.ReasonGPUCheckFailed, msg
		h.Errors = []error{statemachine.NewInfrastructureError(constants.ReasonGPUCheckFailed, "Failed to check GPU availability", o.GPUErr)}
		return h
	}
	h.Reason, h.Message = o.GPUCheck.Reason, o.GPUCheck.Message
	h.State = statemachine.StateNotAvailable
	if o.GPUCheck.Available {
		h.State = statemachine.StateReady
	}
	return h
}

func (o Observation) jobHealth() statemachine.ComponentHealth {
	h := statemachine.ComponentHealth{Component: constants.ComponentDiscoveryJob, DependencyType: statemachine.DependencyDownstream}
	switch o.Phase {
	case PhaseBlocked, PhaseCreate, PhaseWaiting:
		h.State, h.Reason, h.Message = statemachine.StatePending, constants.ReasonJobNotCreated, constants.MsgJobNotCreated
	case PhaseRunning, PhaseSucceeded:
		ih := inspect.Job(o.Job)
		ih.Component, ih.DependencyType = h.Component, h.DependencyType
		return ih
	case PhaseAwaitingOutput:
		h.State, h.Reason, h.Message = statemachine.StateProgressing, ReasonAwaitingDiscoveryOutput, "Discovery job completed; waiting for its output: "+o.OutputErr
	case PhaseFailedWaiting:
		// A failed Job is a Spec error while the backoff runs (catalogue §2.4, §8): ConfigValid=False and
		// Ready=InvalidSpec. It blocks apply, which is harmless here: the plan only requeues at the expiry.
		if o.Job != nil && jobFailed(o.Job) {
			ih := inspect.Job(o.Job)
			ih.Component, ih.DependencyType = h.Component, h.DependencyType
			return ih
		}
		// Unparsable output of a completed Job: explicit state, the reference has no row for it.
		h.State, h.Reason, h.Message = statemachine.StateFailed, ReasonInvalidDiscoveryOutput, o.Failure
	case PhaseFailedRetry:
		// The backoff expired: no error, so the plan may delete the failed Job (whose name the retry reuses).
		h.State, h.Reason, h.Message = statemachine.StateProgressing, ReasonRetryingDiscovery, retryMessage
	}
	return h
}

// resolvedRequirement is the hardware the template runs on: discovery values win over the spec's.
func (o Observation) resolvedRequirement() gpu.Requirement {
	req := o.Template.requirement()
	if o.Result != nil && (o.Result.GPUModel != "" || o.Result.GPUCount > 0) {
		if o.Result.GPUModel != "" {
			req.Model = o.Result.GPUModel
			req.MinVRAM = nil
		}
		if o.Result.GPUCount > 0 {
			req.Requests = o.Result.GPUCount
		}
	}
	return req
}
