package discovery

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	batchv1ac "k8s.io/client-go/applyconfigurations/batch/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// oldBuildJob is BuildJob as it was with client-go apply configurations, kept verbatim to prove that the
// unstructured BuildJob sends exactly the same field set (server-side apply owns every field sent).
func oldBuildJob(in JobInput) *batchv1ac.JobApplyConfiguration {
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
			ev.WithValueFrom(oldEnvSource(e.ValueFrom))
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

func oldEnvSource(s *corev1.EnvVarSource) *corev1ac.EnvVarSourceApplyConfiguration {
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

func TestBuildJobSameFieldsAsApplyConfiguration(t *testing.T) {
	minimal := JobInput{TemplateName: "t", Namespace: "ns", Template: &aimv1.AIMServiceTemplateSpecCommon{},
		ModelName: "m", Model: &aimv1.AIMModelSpec{Image: "img:1"}}
	full := JobInput{TemplateName: "tpl-long-name", Namespace: "aim-system",
		Template: &aimv1.AIMServiceTemplateSpecCommon{ProfileID: "p1", AIMRuntimeParameters: aimv1.AIMRuntimeParameters{
			Metric: "latency", Precision: "fp8",
			Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Model: "MI300X", Requests: 2}}}},
		TemplateEnv: []corev1.EnvVar{
			{Name: "PLAIN", Value: "v"},
			{Name: "EMPTY"}, // an empty value is still sent: value: ""
			{Name: "SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k", Optional: new(true)}}},
			{Name: "CM", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, Key: "k"}}},
			{Name: "FIELD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
			{Name: "UNSUPPORTED", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
		},
		ModelName: "model-x",
		Model: &aimv1.AIMModelSpec{Image: "ghcr.io/x/y:2", ServiceAccountName: "sa",
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "a"}, {Name: ""}}},
		// A caller label colliding with a fixed one loses to the fixed one.
		JobLabels:      map[string]string{"team": "x", constants.LabelK8sName: "mine"},
		PodLabels:      map[string]string{"pod": "y"},
		PodAnnotations: map[string]string{"kwok.x-k8s.io/script": "ok"},
	}
	gpuOnlyCount := minimal
	gpuOnlyCount.Template = &aimv1.AIMServiceTemplateSpecCommon{AIMRuntimeParameters: aimv1.AIMRuntimeParameters{
		Hardware: &aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1}}}}
	gpuOnlyCount.PodAnnotations = map[string]string{} // empty: not sent
	gpuOnlyCount.JobLabels = map[string]string{}
	noNamespace := minimal
	noNamespace.Namespace = ""

	for name, in := range map[string]JobInput{"minimal": minimal, "full": full, "gpu count only": gpuOnlyCount, "no namespace": noNamespace} {
		old, err := statemachine.ToUnstructured(oldBuildJob(in), nil)
		if err != nil {
			t.Fatalf("%s: old: %v", name, err)
		}
		got, err := statemachine.ToUnstructured(BuildJob(in), nil)
		if err != nil {
			t.Fatalf("%s: new: %v", name, err)
		}
		if !reflect.DeepEqual(got.Object, old.Object) {
			t.Errorf("%s: applied fields differ\nnew: %#v\nold: %#v", name, got.Object, old.Object)
		}
	}
}

// TestBuildJobShape pins a few contract fields directly, so the equivalence test is not the only guard.
func TestBuildJobShape(t *testing.T) {
	in := JobInput{TemplateName: "t", Namespace: "ns", ModelName: "m", Model: &aimv1.AIMModelSpec{Image: "img:1"},
		Template: &aimv1.AIMServiceTemplateSpecCommon{AIMRuntimeParameters: aimv1.AIMRuntimeParameters{Metric: "latency"}}}
	u := BuildJob(in)
	if u.GetKind() != "Job" || u.GetAPIVersion() != "batch/v1" || u.GetName() != JobName(in) || u.GetNamespace() != "ns" {
		t.Errorf("identity %v", u.Object)
	}
	spec := u.Object["spec"].(map[string]any)
	if spec["backoffLimit"] != int64(0) || spec["ttlSecondsAfterFinished"] != int64(60) || spec["activeDeadlineSeconds"] != int64(600) {
		t.Errorf("spec %v", spec)
	}
	tpl := spec["template"].(map[string]any)
	pod := tpl["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	if c["image"] != "img:1" || !reflect.DeepEqual(c["args"], []any{"dry-run", "--format=json"}) {
		t.Errorf("container %v", c)
	}
	if _, ok := c["resources"]; ok {
		t.Errorf("resources must not be sent: %v", c)
	}
	if _, ok := tpl["metadata"].(map[string]any)["creationTimestamp"]; ok {
		t.Errorf("template creationTimestamp must not be sent")
	}
	// Must survive a deep copy (the applier copies planned unstructured objects).
	_ = u.DeepCopy()
}
