package discovery

import (
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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

// BuildJob returns the discovery Job as unstructured, holding exactly the fields aimlite means to own.
// Why not a typed batchv1.Job: server-side apply claims every field sent, and a typed struct sends zero
// values (template creationTimestamp: null, resources: {}, ...). Why not client-go's apply configurations:
// they link k8s.io/client-go/kubernetes/scheme (every API group) into the binary.
func BuildJob(in JobInput) *unstructured.Unstructured {
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

	var env []any
	for _, e := range Env(in) {
		ev := map[string]any{"name": e.Name}
		if e.ValueFrom != nil {
			ev["valueFrom"] = envSource(e.ValueFrom)
		} else {
			ev["value"] = e.Value
		}
		env = append(env, ev)
	}
	container := map[string]any{
		"name":  constants.DiscoveryContainerName,
		"image": in.Model.Image,
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"runAsNonRoot":             true,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
		},
	}
	setList(container, "args", anyStrings(constants.DiscoveryArgs))
	setList(container, "env", env)
	pod := map[string]any{
		"restartPolicy": string(corev1.RestartPolicyNever),
		"containers":    []any{container},
		"securityContext": map[string]any{
			"runAsNonRoot":   true,
			"runAsUser":      constants.DiscoveryRunAsUser,
			"seccompProfile": map[string]any{"type": string(corev1.SeccompProfileTypeRuntimeDefault)},
		},
	}
	if in.Model.ServiceAccountName != "" {
		pod["serviceAccountName"] = in.Model.ServiceAccountName
	}
	var secrets []any
	for _, s := range in.Model.ImagePullSecrets {
		secrets = append(secrets, map[string]any{"name": s.Name})
	}
	setList(pod, "imagePullSecrets", secrets)
	tplMeta := map[string]any{}
	setStringMap(tplMeta, "labels", podLabels)
	setStringMap(tplMeta, "annotations", in.PodAnnotations)

	meta := map[string]any{"name": JobName(in), "namespace": in.Namespace}
	setStringMap(meta, "labels", jobLabels)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": batchv1.SchemeGroupVersion.String(),
		"kind":       "Job",
		"metadata":   meta,
		"spec": map[string]any{
			"backoffLimit":            int64(constants.DiscoveryBackoffLimit),
			"ttlSecondsAfterFinished": int64(constants.DiscoveryTTLSeconds),
			"activeDeadlineSeconds":   constants.DiscoveryActiveDeadline,
			"template":                map[string]any{"metadata": tplMeta, "spec": pod},
		},
	}}
}

// envSource copies the supported env sources; an unsupported one becomes an empty valueFrom (rejected by
// the API server rather than silently turned into a plain value).
func envSource(s *corev1.EnvVarSource) map[string]any {
	out := map[string]any{}
	switch {
	case s.SecretKeyRef != nil:
		out["secretKeyRef"] = map[string]any{"name": s.SecretKeyRef.Name, "key": s.SecretKeyRef.Key}
	case s.ConfigMapKeyRef != nil:
		out["configMapKeyRef"] = map[string]any{"name": s.ConfigMapKeyRef.Name, "key": s.ConfigMapKeyRef.Key}
	case s.FieldRef != nil:
		out["fieldRef"] = map[string]any{"fieldPath": s.FieldRef.FieldPath}
	}
	return out
}

// setStringMap sets m[key] to vals as an unstructured map; an empty map is omitted, not sent as {}.
func setStringMap(m map[string]any, key string, vals map[string]string) {
	if len(vals) == 0 {
		return
	}
	out := make(map[string]any, len(vals))
	for k, v := range vals {
		out[k] = v
	}
	m[key] = out
}

// setList sets m[key] unless the list is empty (an empty list would claim the field).
func setList(m map[string]any, key string, l []any) {
	if len(l) > 0 {
		m[key] = l
	}
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
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
