package servicetemplate

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func jobFailed(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// jobFailureReason maps the Job's Failed reason to the inspector's reasons (catalogue §2.4).
func jobFailureReason(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Type != batchv1.JobFailed || c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Reason {
		case batchv1.JobReasonBackoffLimitExceeded:
			return "JobBackoffLimitExceeded"
		case batchv1.JobReasonDeadlineExceeded:
			return "JobDeadlineExceeded"
		case "Evicted":
			return "JobEvicted"
		}
	}
	return "JobFailed"
}
