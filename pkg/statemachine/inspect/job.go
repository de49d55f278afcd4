package inspect

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Job reports a Job: Complete → Ready; Failed → an error by failure reason; otherwise Progressing. The
// first terminal condition in status order decides.
func Job(job *batchv1.Job) sm.ComponentHealth {
	if job == nil {
		return sm.ComponentHealth{Errors: []error{sm.NewMissingDownstreamDependencyError("JobNotFound", "Job not found", nil)}}
	}
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return sm.ComponentHealth{State: sm.StateReady, Reason: "Ready"}
		case batchv1.JobFailed:
			msg := c.Message
			if msg == "" {
				msg = "Job failed"
			}
			var err error
			switch c.Reason {
			case batchv1.JobReasonBackoffLimitExceeded:
				err = sm.NewInvalidSpecError("JobBackoffLimitExceeded", msg, nil)
			case batchv1.JobReasonDeadlineExceeded:
				err = sm.NewInvalidSpecError("JobDeadlineExceeded", msg, nil)
			case "Evicted":
				err = sm.NewInfrastructureError("JobEvicted", msg, nil)
			default:
				err = sm.NewInvalidSpecError("JobFailed", msg, nil)
			}
			return sm.ComponentHealth{Errors: []error{err}}
		}
	}
	return sm.ComponentHealth{State: sm.StateProgressing, Reason: "JobRunning", Message: "Job is in progress"}
}

// PVC reports a PersistentVolumeClaim: Bound → Ready, Lost → infrastructure error, otherwise pending.
func PVC(pvc *corev1.PersistentVolumeClaim) sm.ComponentHealth {
	if pvc == nil {
		return sm.ComponentHealth{Errors: []error{sm.NewMissingDownstreamDependencyError("PvcNotFound", "PVC not found", nil)}}
	}
	switch pvc.Status.Phase {
	case corev1.ClaimBound:
		return sm.ComponentHealth{State: sm.StateReady, Reason: "Ready"}
	case corev1.ClaimLost:
		return sm.ComponentHealth{Errors: []error{sm.NewInfrastructureError("PvcLost", "PVC lost its underlying volume", nil)}}
	}
	for _, c := range pvc.Status.Conditions {
		if c.Type == corev1.PersistentVolumeClaimResizing && c.Status == corev1.ConditionFalse && c.Reason == "ProvisioningFailed" {
			return sm.ComponentHealth{Errors: []error{sm.NewInfrastructureError("PvcProvisioningFailed", "PVC provisioning failed: "+c.Message, nil)}}
		}
	}
	return sm.ComponentHealth{State: sm.StateProgressing, Reason: "PvcPending", Message: "PVC is pending"}
}
