// Package kserve builds the KServe InferenceService (serving.kserve.io/v1beta1) an AIMService
// runs on, as unstructured content: KServe is optional at runtime, so aimlite never links its
// Go types. Everything here is pure; inputs are already resolved by the service reconciler.
package kserve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/envmerge"
	"github.com/aimlite/aimlite/pkg/aim/naming"
)

// GVK and GVR of the InferenceService.
var (
	GVK = schema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"}
	GVR = schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}
)

// Fixed names of the serving container (§3.3 C15, §7).
const (
	ContainerName  = "kserve-container"
	ShmVolume      = "dshm"
	ShmMountPath   = "/dev/shm"
	ShmSize        = "8Gi"
	PortName       = "http"
	AutoscalerKeda = "keda"
	AutoscalerNone = "none"
	// AnnotationSpecHash records the hash of what aimlite last applied, so an unchanged
	// desired object is not re-sent (no mutating request per idle reconcile).
	AnnotationSpecHash = "aim.eai.amd.com/applied-spec-hash"
)

// EnvInput holds the env layers of the serving container, lowest precedence first (§6.1).
type EnvInput struct {
	RuntimeConfig []corev1.EnvVar
	ProfileID     string
	Metric        string
	Precision     string
	Template      []corev1.EnvVar
	ModelID       string // custom models: the template's first inline source
	Service       []corev1.EnvVar
}

// Env merges the layers by name (AIM_ENGINE_ARGS deep-merged as JSON) and sorts by name.
// Unlike the reference, the single-value layers merge instead of appending, so a name never
// appears twice.
func Env(in EnvInput) []corev1.EnvVar {
	one := func(name, value string) []corev1.EnvVar {
		if value == "" {
			return nil
		}
		return []corev1.EnvVar{{Name: name, Value: value}}
	}
	out := envmerge.Layers(
		[]corev1.EnvVar{{Name: constants.EnvCachePath, Value: constants.DefaultCachePath}, {Name: constants.EnvEnableMetrics, Value: "true"}},
		in.RuntimeConfig,
		one(constants.EnvProfileID, in.ProfileID),
		one(constants.EnvMetric, in.Metric),
		one(constants.EnvPrecision, in.Precision),
		in.Template,
		one(constants.EnvModelID, in.ModelID),
		in.Service,
	)
	envmerge.SortByName(out)
	return out
}

// Resources computes the container resources: per GPU, 4 CPU and 32Gi memory requested, a
// 48Gi memory limit and the GPU resource as request and limit; then each override layer
// (template, then service) replaces values key by key.
func Resources(gpus int64, gpuResource string, overrides ...*corev1.ResourceRequirements) corev1.ResourceRequirements {
	out := corev1.ResourceRequirements{}
	if gpus > 0 {
		if gpuResource == "" {
			gpuResource = constants.DefaultGPUResourceName
		}
		gpu := *resource.NewQuantity(gpus, resource.DecimalSI)
		out.Requests = corev1.ResourceList{
			corev1.ResourceCPU:               *resource.NewQuantity(4*gpus, resource.DecimalSI),
			corev1.ResourceMemory:            resource.MustParse(strconv.FormatInt(32*gpus, 10) + "Gi"),
			corev1.ResourceName(gpuResource): gpu,
		}
		out.Limits = corev1.ResourceList{
			corev1.ResourceMemory:            resource.MustParse(strconv.FormatInt(48*gpus, 10) + "Gi"),
			corev1.ResourceName(gpuResource): gpu.DeepCopy(),
		}
	}
	for _, o := range overrides {
		if o == nil {
			continue
		}
		for k, v := range o.Requests {
			if out.Requests == nil {
				out.Requests = corev1.ResourceList{}
			}
			out.Requests[k] = v.DeepCopy()
		}
		for k, v := range o.Limits {
			if out.Limits == nil {
				out.Limits = corev1.ResourceList{}
			}
			out.Limits[k] = v.DeepCopy()
		}
	}
	return out
}

// CacheVolume is one PVC of a Ready artifact mounted into the serving container.
type CacheVolume struct {
	ArtifactName string
	ClaimName    string
	ModelID      string
}

// Scaling selects fixed replicas or KEDA autoscaling.
type Scaling struct {
	Replicas    *int32
	MinReplicas *int32
	MaxReplicas *int32
	// Metrics are the service's autoScaling.metrics in JSON form; non-nil enables KEDA.
	Metrics []any
	// Autoscaling is true when any of autoScaling, minReplicas or maxReplicas is set.
	Autoscaling bool
}

// Bounds returns the min and max replicas the InferenceService gets.
func (s Scaling) Bounds() (min, max int32) {
	if !s.Autoscaling {
		r := int32(1)
		if s.Replicas != nil {
			r = *s.Replicas
		}
		return r, r
	}
	min = 1
	if s.MinReplicas != nil {
		min = *s.MinReplicas
	}
	max = min
	if s.MaxReplicas != nil {
		max = *s.MaxReplicas
	}
	return min, max
}

// Params is everything the InferenceService is built from.
type Params struct {
	Name, Namespace    string
	ServiceName        string
	TemplateName       string
	ModelName          string // template.spec.modelName
	ProfileMetric      string // template.status.profile.metadata
	ProfilePrecision   string
	Image              string
	Env                []corev1.EnvVar
	Resources          corev1.ResourceRequirements
	ImagePullSecrets   []corev1.LocalObjectReference
	ServiceAccountName string
	NodeAffinity       *corev1.NodeAffinity
	Scaling            Scaling
	// CacheVolumes are mounted when the InferenceService is created.
	CacheVolumes []CacheVolume
	// Existing is the current InferenceService, if any: its extra volumes and mounts are
	// kept so that losing a cache does not disrupt serving, and no new cache volumes are added.
	Existing *unstructured.Unstructured
	// ExtraLabels (propagated from the service) are added where the builder set none.
	ExtraLabels map[string]string
}

// Build returns the desired InferenceService, with AnnotationSpecHash set over its content.
func Build(p Params) (*unstructured.Unstructured, error) {
	labels := map[string]string{
		constants.LabelK8sComponent: constants.ComponentInference,
		constants.LabelK8sManagedBy: constants.ManagedByEngine,
		constants.LabelTemplate:     naming.LabelValue(p.TemplateName),
		constants.LabelService:      naming.LabelValue(p.ServiceName),
	}
	if v := naming.LabelValue(p.ModelName); v != "" {
		labels[constants.LabelModel] = v
	}
	if v := naming.LabelValue(p.ProfileMetric); v != "" {
		labels[constants.LabelMetric] = v
	}
	if v := naming.LabelValue(p.ProfilePrecision); v != "" {
		labels[constants.LabelPrecision] = v
	}
	for k, v := range p.ExtraLabels {
		if _, has := labels[k]; !has {
			labels[k] = v
		}
	}
	annotations := map[string]string{}
	if p.Scaling.Autoscaling {
		annotations[constants.AnnotationAutoscalerClass] = AutoscalerKeda
		annotations[constants.AnnotationOtelInject] = p.Name + "-predictor"
		annotations[constants.AnnotationPrometheusPort] = strconv.Itoa(constants.ContainerPort)
	} else {
		annotations[constants.AnnotationAutoscalerClass] = AutoscalerNone
	}

	shm := resource.MustParse(ShmSize)
	volumes := []corev1.Volume{{Name: ShmVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &shm}}}}
	mounts := []corev1.VolumeMount{{Name: ShmVolume, MountPath: ShmMountPath}}
	if p.Existing != nil {
		ev, em, err := ExtraVolumes(p.Existing)
		if err != nil {
			return nil, err
		}
		volumes = append(volumes, ev...)
		mounts = append(mounts, em...)
	} else {
		cvs := append([]CacheVolume(nil), p.CacheVolumes...)
		sort.Slice(cvs, func(i, j int) bool { return cvs[i].ArtifactName < cvs[j].ArtifactName })
		for _, cv := range cvs {
			name := naming.MakeRFC1123Compliant(cv.ArtifactName)
			volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: cv.ClaimName}}})
			mounts = append(mounts, corev1.VolumeMount{Name: name,
				MountPath: constants.DefaultCachePath + "/" + strings.ReplaceAll(cv.ModelID, "..", "")})
		}
	}

	container := corev1.Container{
		Name:         ContainerName,
		Image:        p.Image,
		Env:          p.Env,
		Resources:    p.Resources,
		Ports:        []corev1.ContainerPort{{Name: PortName, ContainerPort: constants.ContainerPort, Protocol: corev1.ProtocolTCP}},
		VolumeMounts: mounts,
	}
	cmap, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&container)
	if err != nil {
		return nil, fmt.Errorf("convert container: %w", err)
	}
	pruneEmpty(cmap)
	predictor := map[string]any{"containers": []any{cmap}}
	vols := make([]any, 0, len(volumes))
	for i := range volumes {
		vm, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&volumes[i])
		if err != nil {
			return nil, fmt.Errorf("convert volume: %w", err)
		}
		pruneEmpty(vm)
		vols = append(vols, vm)
	}
	predictor["volumes"] = vols
	min, max := p.Scaling.Bounds()
	predictor["minReplicas"] = int64(min)
	predictor["maxReplicas"] = int64(max)
	if p.Scaling.Autoscaling && len(p.Scaling.Metrics) > 0 {
		predictor["autoScaling"] = map[string]any{"metrics": runtime.DeepCopyJSONValue(p.Scaling.Metrics)}
	}
	if len(p.ImagePullSecrets) > 0 {
		var ps []any
		for _, s := range p.ImagePullSecrets {
			ps = append(ps, map[string]any{"name": s.Name})
		}
		predictor["imagePullSecrets"] = ps
	}
	if p.ServiceAccountName != "" {
		predictor["serviceAccountName"] = p.ServiceAccountName
	}
	if p.NodeAffinity != nil {
		na, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.NodeAffinity.DeepCopy())
		if err != nil {
			return nil, fmt.Errorf("convert node affinity: %w", err)
		}
		predictor["affinity"] = map[string]any{"nodeAffinity": na}
	}

	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"predictor": predictor}}}
	u.SetGroupVersionKind(GVK)
	u.SetName(p.Name)
	u.SetNamespace(p.Namespace)
	u.SetLabels(labels)
	annotations[AnnotationSpecHash] = Hash(u.Object["spec"], labels, annotations)
	u.SetAnnotations(annotations)
	return u, nil
}

// Hash is a stable digest of JSON-encodable values (encoding/json sorts map keys).
func Hash(values ...any) string {
	b, _ := json.Marshal(values)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// NeedsApply reports whether desired differs from what was last applied to existing.
func NeedsApply(existing, desired *unstructured.Unstructured) bool {
	if existing == nil {
		return true
	}
	return existing.GetAnnotations()[AnnotationSpecHash] != desired.GetAnnotations()[AnnotationSpecHash]
}

// ExtraVolumes returns the existing InferenceService's volumes other than dshm, and the
// serving container's mounts of them.
func ExtraVolumes(isvc *unstructured.Unstructured) ([]corev1.Volume, []corev1.VolumeMount, error) {
	pred, _, _ := unstructured.NestedMap(isvc.Object, "spec", "predictor")
	var vols []corev1.Volume
	names := map[string]bool{}
	if raw, ok := pred["volumes"].([]any); ok {
		for _, r := range raw {
			m, ok := r.(map[string]any)
			if !ok {
				continue
			}
			var v corev1.Volume
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &v); err != nil {
				return nil, nil, fmt.Errorf("existing volume: %w", err)
			}
			if v.Name == ShmVolume {
				continue
			}
			names[v.Name] = true
			vols = append(vols, v)
		}
	}
	var mounts []corev1.VolumeMount
	if cs, ok := pred["containers"].([]any); ok {
		for _, c := range cs {
			cm, ok := c.(map[string]any)
			if !ok || cm["name"] != ContainerName {
				continue
			}
			raw, _ := cm["volumeMounts"].([]any)
			for _, r := range raw {
				m, ok := r.(map[string]any)
				if !ok {
					continue
				}
				var vm corev1.VolumeMount
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &vm); err != nil {
					return nil, nil, fmt.Errorf("existing mount: %w", err)
				}
				if names[vm.Name] {
					mounts = append(mounts, vm)
				}
			}
		}
	}
	return vols, mounts, nil
}

// HasPVCVolumes reports whether the InferenceService mounts any PVC (a cache) besides dshm.
func HasPVCVolumes(isvc *unstructured.Unstructured) bool {
	if isvc == nil {
		return false
	}
	vols, _, err := ExtraVolumes(isvc)
	if err != nil {
		return false
	}
	for _, v := range vols {
		if v.PersistentVolumeClaim != nil {
			return true
		}
	}
	return false
}

// ReadyCondition returns the status of the InferenceService's Ready condition ("" if absent).
func ReadyCondition(isvc *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(isvc.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Ready" {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// pruneEmpty drops nil values, empty lists and an empty "resources" object that the converter
// emits for zero fields, so the applied object claims only fields we set. Other empty objects
// stay: `emptyDir: {}` is meaningful.
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneEmpty(t)
			if len(t) == 0 && k == "resources" {
				delete(m, k)
			}
		case []any:
			if len(t) == 0 {
				delete(m, k)
			}
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					pruneEmpty(em)
				}
			}
		}
	}
}
