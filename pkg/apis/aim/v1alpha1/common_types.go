package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AIMMetric is the optimisation target of a serving profile.
// +kubebuilder:validation:Enum=latency;throughput
type AIMMetric string

// AIMPrecision is the numeric precision of a serving profile.
// +kubebuilder:validation:Enum=auto;fp4;fp8;fp16;fp32;bf16;int4;int8
type AIMPrecision string

// AIMProfileType says how well a profile has been tuned.
// +kubebuilder:validation:Enum=optimized;preview;unoptimized
type AIMProfileType string

// AIMResolutionScope says whether a resolved object is namespaced, cluster-scoped or a merge of both.
type AIMResolutionScope string

// AIMStatus is the value of status.status. Each kind restricts it with its own enum.
type AIMStatus string

// AIMCachingMode says whether a cache is shared between services or owned by one.
type AIMCachingMode string

// AIMModelSourceType says where a model's weights come from.
type AIMModelSourceType string

// AIMGpuRequirements describes the GPUs a workload needs.
// +kubebuilder:validation:XValidation:rule="!(has(self.model) && size(self.model) > 0 && has(self.minVram))",message="model and minVram are mutually exclusive; specify either a specific GPU model OR a minimum VRAM requirement, not both"
type AIMGpuRequirements struct {
	// Requests is the number of GPUs per replica.
	// +kubebuilder:validation:Minimum=0
	// +optional
	Requests int32 `json:"requests,omitempty"`

	// Model is the GPU model, e.g. MI300X.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Model string `json:"model,omitempty"`

	// MinVRAM is the minimum memory per GPU; exclusive with Model.
	// +optional
	MinVRAM *resource.Quantity `json:"minVram,omitempty"`

	// ResourceName is the extended resource that exposes the GPUs.
	// +kubebuilder:default="amd.com/gpu"
	// +optional
	ResourceName string `json:"resourceName,omitempty"`
}

// AIMCpuRequirements describes the CPU a GPU-less workload needs.
type AIMCpuRequirements struct {
	// Requests is the CPU request per replica.
	Requests resource.Quantity `json:"requests"`

	// Limits is the CPU limit per replica.
	// +optional
	Limits *resource.Quantity `json:"limits,omitempty"`
}

// AIMHardwareRequirements is the hardware a template or model needs.
// +kubebuilder:validation:XValidation:rule="has(self.gpu) || has(self.cpu)",message="at least one of gpu or cpu must be specified"
type AIMHardwareRequirements struct {
	// +optional
	GPU *AIMGpuRequirements `json:"gpu,omitempty"`
	// +optional
	CPU *AIMCpuRequirements `json:"cpu,omitempty"`
}

// AIMModelSource is one set of weights to download into a cache.
type AIMModelSource struct {
	// SourceURI is where the weights live (hf://org/model or s3://bucket/path).
	// +kubebuilder:validation:Pattern=`^(hf|s3)://[^ \t\r\n]+$`
	SourceURI string `json:"sourceUri"`

	// ModelID is the canonical <org>/<name> identifier.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+/[a-zA-Z0-9._-]+$`
	ModelID string `json:"modelId"`

	// Size is the expected size of the weights.
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`

	// Env is passed to the download job.
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// AIMRuntimeParameters are the profile-selecting parameters shared by templates and service overrides.
type AIMRuntimeParameters struct {
	// Metric is the optimisation target.
	// +kubebuilder:validation:Enum=latency;throughput
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="metric is immutable"
	// +optional
	Metric AIMMetric `json:"metric,omitempty"`

	// Precision is the numeric precision.
	// +kubebuilder:validation:Enum=auto;fp4;fp8;fp16;fp32;bf16;int4;int8
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="precision is immutable"
	// +optional
	Precision AIMPrecision `json:"precision,omitempty"`

	// Hardware is the GPU/CPU requirement.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="hardware is immutable"
	// +optional
	Hardware *AIMHardwareRequirements `json:"hardware,omitempty"`
}

// AIMResolvedReference points at an object the controller resolved.
type AIMResolvedReference struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +kubebuilder:validation:Enum=Namespace;Cluster;Merged;Unknown
	// +optional
	Scope AIMResolutionScope `json:"scope,omitempty"`
	// +optional
	Kind string `json:"kind,omitempty"`
	// +optional
	UID types.UID `json:"uid,omitempty"`
}

// AIMGatewayParentReference identifies the Gateway an HTTPRoute attaches to
// (the wire shape of Gateway API's ParentReference, without importing it).
type AIMGatewayParentReference struct {
	// +kubebuilder:default="gateway.networking.k8s.io"
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	Group *string `json:"group,omitempty"`

	// +kubebuilder:default="Gateway"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`
	// +optional
	Kind *string `json:"kind,omitempty"`

	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Namespace *string `json:"namespace,omitempty"`

	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	// +optional
	SectionName *string `json:"sectionName,omitempty"`

	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port *int32 `json:"port,omitempty"`
}

// AIMRoutingConfig configures the HTTPRoute in front of a service.
type AIMRoutingConfig struct {
	// Enabled turns routing on; nil inherits from the runtime config.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// +optional
	GatewayRef *AIMGatewayParentReference `json:"gatewayRef,omitempty"`
	// +optional
	PathTemplate string `json:"pathTemplate,omitempty"`
	// +optional
	// A duration such as 30s, 15m or 1h30m (Go syntax); the pattern keeps unparsable values out of the API.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	RequestTimeout *metav1.Duration `json:"requestTimeout,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AIMStorageConfig configures the PVCs of model caches.
type AIMStorageConfig struct {
	// +optional
	DefaultStorageClassName string `json:"defaultStorageClassName,omitempty"`
	// PVCHeadroomPercent is added to the model size when sizing a PVC.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +optional
	PVCHeadroomPercent *int32 `json:"pvcHeadroomPercent,omitempty"`
}

// AIMRuntimeConfigCommon is the part of a runtime config that a service may also set inline.
type AIMRuntimeConfigCommon struct {
	// +optional
	Storage *AIMStorageConfig `json:"storage,omitempty"`
	// +optional
	Routing *AIMRoutingConfig `json:"routing,omitempty"`
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// FreeformJSON holds any JSON value verbatim (the schema is x-kubernetes-preserve-unknown-fields).
// It avoids importing apiextensions-apiserver just for its JSON type.
type FreeformJSON struct {
	Raw []byte `json:"-"`
}

// MarshalJSON writes Raw as is, or null when empty.
func (j FreeformJSON) MarshalJSON() ([]byte, error) {
	if len(j.Raw) == 0 {
		return []byte("null"), nil
	}
	return j.Raw, nil
}

// UnmarshalJSON keeps a copy of the raw value; null becomes empty.
func (j *FreeformJSON) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		j.Raw = nil
		return nil
	}
	j.Raw = append(j.Raw[:0], data...)
	return nil
}

// OpenAPISchemaType tells openapi-gen the value has no fixed type.
func (FreeformJSON) OpenAPISchemaType() []string { return nil }

// OpenAPISchemaFormat tells openapi-gen the value has no format.
func (FreeformJSON) OpenAPISchemaFormat() string { return "" }
