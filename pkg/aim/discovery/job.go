package discovery

import (
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// JobInput is everything the discovery Job (catalogue C3) depends on.
type JobInput struct {
	TemplateName string
	Namespace    string // the template's, or the operator namespace for cluster templates
	Template     *aimv1.AIMServiceTemplateSpecCommon
	// TemplateEnv is the template env (namespaced templates only).
	TemplateEnv []corev1.EnvVar
	ModelName   string
	Model       *aimv1.AIMModelSpec
	// JobLabels and PodLabels are added to the fixed labels (propagated and controller labels).
	JobLabels, PodLabels map[string]string
	// PodAnnotations are added to the pod template (tests use them to script kwok).
	PodAnnotations map[string]string
}

func gpuOf(t *aimv1.AIMServiceTemplateSpecCommon) (model string, requests int32, set bool) {
	if t.Hardware != nil && t.Hardware.GPU != nil {
		return t.Hardware.GPU.Model, t.Hardware.GPU.Requests, true
	}
	return "", 0, false
}

// JobName is the deterministic discovery Job name.
func JobName(in JobInput) string {
	h := naming.DiscoveryJobHashInput{ModelName: in.ModelName, Image: in.Model.Image, ServiceAccount: in.Model.ServiceAccountName,
		Metric: string(in.Template.Metric), Precision: string(in.Template.Precision), ProfileID: in.Template.ProfileID}
	for _, e := range in.TemplateEnv {
		h.Env = append(h.Env, [2]string{e.Name, e.Value})
	}
	for _, s := range in.Model.ImagePullSecrets {
		h.PullSecrets = append(h.PullSecrets, s.Name)
	}
	h.GPUModel, h.GPURequests, h.HasGPU = gpuOf(in.Template)
	return naming.DiscoveryJobName(in.TemplateName, h.String())
}

// Env is the discovery container env (catalogue §6.2), in order.
func Env(in JobInput) []corev1.EnvVar {
	env := []corev1.EnvVar{{Name: constants.EnvLogLevelRoot, Value: constants.LogLevelCritical}, {Name: constants.EnvLogLevel, Value: constants.LogLevelCritical}}
	env = append(env, in.TemplateEnv...)
	t := in.Template
	if t.Metric != "" {
		env = append(env, corev1.EnvVar{Name: constants.EnvMetric, Value: string(t.Metric)})
	}
	if t.Precision != "" {
		env = append(env, corev1.EnvVar{Name: constants.EnvPrecision, Value: string(t.Precision)})
	}
	model, requests, _ := gpuOf(t)
	if model != "" {
		env = append(env, corev1.EnvVar{Name: constants.EnvGPUModel, Value: model})
	}
	if requests > 0 {
		env = append(env, corev1.EnvVar{Name: constants.EnvGPUCount, Value: strconv.Itoa(int(requests))})
	}
	if t.ProfileID != "" {
		env = append(env, corev1.EnvVar{Name: constants.EnvProfileID, Value: t.ProfileID})
	}
	return env
}

// BuildJob returns the discovery Job as an apply configuration.
func BuildJob(in JobInput) *batchv1ac.JobApplyConfiguration {
	jobLabels := map[string]string{}
	for k, v := range in.JobLabels {
		jobLabels[k] = v
	}
	for k, v := range map[string]string{
		constants.LabelK8sName: constants.DiscoveryAppName, constants.LabelK8sComponent: constants.ComponentDiscovery,
		constants.LabelK8sManagedBy: constants.ManagedByDiscovery, constants.LabelTemplate: in.TemplateName} {
		jobLabels[k] = v
	}
	podLabels := map[string]string{}
	for k, v := range in.PodLabels {
		podLabels[k] = v
	}
	podLabels[constants.LabelTemplate] = in.TemplateName

	container := corev1ac.Container().WithName(constants.DiscoveryContainerName).WithImage(in.Model.Image).
		WithArgs(constants.DiscoveryArgs...).
		WithSecurityContext(corev1ac.SecurityContext().WithAllowPrivilegeEscalation(false).WithRunAsNonRoot(true).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")))
	for _, e := range Env(in) {
		ev := corev1ac.EnvVar().WithName(e.Name)
		if e.ValueFrom != nil {
			ev.WithValueFrom(envSource(e.ValueFrom))
		} else {
			ev.WithValue(e.Value)
		}
		container.WithEnv(ev)
	}
	pod := corev1ac.PodSpec().WithRestartPolicy(corev1.RestartPolicyNever).WithContainers(container).
		WithSecurityContext(corev1ac.PodSecurityContext().WithRunAsNonRoot(true).WithRunAsUser(constants.DiscoveryRunAsUser).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault)))
	if in.Model.ServiceAccountName != "" {
		pod.WithServiceAccountName(in.Model.ServiceAccountName)
	}
	for _, s := range in.Model.ImagePullSecrets {
		pod.WithImagePullSecrets(corev1ac.LocalObjectReference().WithName(s.Name))
	}
	tpl := corev1ac.PodTemplateSpec().WithLabels(podLabels).WithSpec(pod)
	if len(in.PodAnnotations) > 0 {
		tpl.WithAnnotations(in.PodAnnotations)
	}
	return batchv1ac.Job(JobName(in), in.Namespace).WithLabels(jobLabels).
		WithSpec(batchv1ac.JobSpec().WithBackoffLimit(constants.DiscoveryBackoffLimit).
			WithTTLSecondsAfterFinished(constants.DiscoveryTTLSeconds).
			WithActiveDeadlineSeconds(constants.DiscoveryActiveDeadline).WithTemplate(tpl))
}

func envSource(s *corev1.EnvVarSource) *corev1ac.EnvVarSourceApplyConfiguration {
	out := corev1ac.EnvVarSource()
	switch {
	case s.SecretKeyRef != nil:
		out.WithSecretKeyRef(corev1ac.SecretKeySelector().WithName(s.SecretKeyRef.Name).WithKey(s.SecretKeyRef.Key))
	case s.ConfigMapKeyRef != nil:
		out.WithConfigMapKeyRef(corev1ac.ConfigMapKeySelector().WithName(s.ConfigMapKeyRef.Name).WithKey(s.ConfigMapKeyRef.Key))
	case s.FieldRef != nil:
		out.WithFieldRef(corev1ac.ObjectFieldSelector().WithFieldPath(s.FieldRef.FieldPath))
	}
	return out
}

// Finished returns the terminal condition of a Job (Complete or Failed), or nil while it runs.
func Finished(job *batchv1.Job) *batchv1.JobCondition {
	if job == nil {
		return nil
	}
	for i := range job.Status.Conditions {
		c := &job.Status.Conditions[i]
		if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
			return c
		}
	}
	return nil
}

// FailureReason is lastFailureReason: the Failed condition's message, else its reason, else "Unknown failure".
func FailureReason(c *batchv1.JobCondition) string {
	switch {
	case c == nil:
		return constants.MsgUnknownFailure
	case c.Message != "":
		return c.Message
	case c.Reason != "":
		return c.Reason
	}
	return constants.MsgUnknownFailure
}
