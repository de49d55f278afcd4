package inspect

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Deployment reports a Deployment (the reference had no such inspector). A stalled rollout or a replica
// failure is Degraded without a categorized error: the cause lives in the pods, and the controller's own
// apply must not be blocked by it.
func Deployment(d *appsv1.Deployment) sm.ComponentHealth {
	if d == nil {
		return sm.ComponentHealth{Errors: []error{sm.NewMissingDownstreamDependencyError("DeploymentNotFound", "Deployment not found", nil)}}
	}
	for _, c := range d.Status.Conditions {
		switch {
		case c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded":
			return sm.ComponentHealth{State: sm.StateDegraded, Reason: "DeploymentProgressDeadlineExceeded", Message: c.Message}
		case c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
			return sm.ComponentHealth{State: sm.StateDegraded, Reason: "DeploymentReplicaFailure", Message: c.Message}
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.ObservedGeneration < d.Generation:
		return sm.ComponentHealth{State: sm.StateProgressing, Reason: "DeploymentProgressing", Message: "Waiting for the deployment controller to observe the new spec"}
	case st.UpdatedReplicas < want:
		return sm.ComponentHealth{State: sm.StateProgressing, Reason: "DeploymentRollingOut", Message: fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want)}
	case st.AvailableReplicas < want || st.Replicas > st.UpdatedReplicas:
		return sm.ComponentHealth{State: sm.StateStarting, Reason: "DeploymentNotAvailable", Message: fmt.Sprintf("%d of %d replicas available", st.AvailableReplicas, want)}
	}
	return sm.ComponentHealth{State: sm.StateReady, Reason: "DeploymentAvailable", Message: "Deployment is available"}
}
