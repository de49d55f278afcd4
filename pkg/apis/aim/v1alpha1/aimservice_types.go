package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AIMServiceSpec is the desired state of an AIMService.
type AIMServiceSpec struct {
	// Model selects the model: exactly one of name, image or custom.
	Model AIMServiceModel `json:"model"`

	// Template pins a template instead of automatic selection.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="template selection is immutable after creation"
	// +optional
	Template *AIMServiceTemplateConfig `json:"template,omitempty"`

	// Caching selects a shared or dedicated model cache.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="caching mode is immutable after creation"
	// +optional
	Caching *AIMServiceCachingConfig `json:"caching,omitempty"`

	// CacheModel is deprecated and ignored.
	// +optional
	CacheModel *bool `json:"cacheModel,omitempty"`

	// +kubebuilder:default=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
	// +optional
	AutoScaling *AIMServiceAutoScaling `json:"autoScaling,omitempty"`

	// +optional
	RuntimeConfigName string `json:"runtimeConfigName,omitempty"`

	// Storage, routing and env override the runtime config for this service.
	AIMRuntimeConfigCommon `json:",inline"`

	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// Overrides derive a template with different profile parameters.
	// +optional
	Overrides *AIMServiceOverrides `json:"overrides,omitempty"`
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
}

// AIMServiceModel selects the model of a service.
// +kubebuilder:validation:XValidation:rule="(has(self.name) ? 1 : 0) + (has(self.image) ? 1 : 0) + (has(self.custom) ? 1 : 0) == 1",message="exactly one of name, image, or custom must be specified"
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="model selection is immutable after creation"
type AIMServiceModel struct {
	// Name of an AIMModel or AIMClusterModel.
	// +optional
	Name string `json:"name,omitempty"`
	// Image creates (or reuses) a model for this image.
	// +optional
	Image string `json:"image,omitempty"`
	// Custom creates a custom model from model sources.
	// +optional
	Custom *AIMServiceModelCustom `json:"custom,omitempty"`
}

// AIMServiceModelCustom describes a custom model inline.
// +kubebuilder:validation:XValidation:rule="size(self.modelSources) >= 1",message="at least one model source must be specified"
type AIMServiceModelCustom struct {
	BaseImage string `json:"baseImage"`
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1
	ModelSources []AIMModelSource        `json:"modelSources"`
	Hardware     AIMHardwareRequirements `json:"hardware"`
}

// AIMServiceTemplateConfig pins a template.
type AIMServiceTemplateConfig struct {
	// +optional
	Name string `json:"name,omitempty"`
	// AllowUnoptimized lets selection consider non-optimized templates.
	// +optional
	AllowUnoptimized bool `json:"allowUnoptimized,omitempty"`
}

// AIMServiceCachingConfig selects the cache mode; Always/Auto/Never are legacy spellings.
type AIMServiceCachingConfig struct {
	// +kubebuilder:validation:Enum=Dedicated;Shared;Auto;Always;Never
	// +kubebuilder:default=Shared
	// +optional
	Mode AIMCachingMode `json:"mode,omitempty"`
}

// AIMServiceOverrides derive a template with different parameters.
type AIMServiceOverrides struct {
	AIMRuntimeParameters `json:",inline"`
}

// AIMServiceAutoScaling configures KEDA autoscaling.
type AIMServiceAutoScaling struct {
	// +optional
	Metrics []AIMServiceMetricsSpec `json:"metrics,omitempty"`
}

// AIMServiceMetricsSpec is one autoscaling metric.
type AIMServiceMetricsSpec struct {
	// +kubebuilder:validation:Enum=PodMetric
	Type string `json:"type"`
	// +optional
	PodMetric *AIMServicePodMetricSource `json:"podmetric,omitempty"`
}

// AIMServicePodMetricSource is a per-pod metric and its target.
type AIMServicePodMetricSource struct {
	Metric AIMServicePodMetric    `json:"metric"`
	Target AIMServiceMetricTarget `json:"target"`
}

// AIMServicePodMetric identifies the metric to scale on.
type AIMServicePodMetric struct {
	// +kubebuilder:validation:Enum=opentelemetry
	// +kubebuilder:default=opentelemetry
	// +optional
	Backend string `json:"backend,omitempty"`
	// +optional
	ServerAddress string `json:"serverAddress,omitempty"`
	// +optional
	MetricNames []string `json:"metricNames,omitempty"`
	// +optional
	Query string `json:"query,omitempty"`
	// +optional
	OperationOverTime string `json:"operationOverTime,omitempty"`
}

// AIMServiceMetricTarget is the autoscaling target value.
type AIMServiceMetricTarget struct {
	// +kubebuilder:validation:Enum=Value;AverageValue;Utilization
	Type string `json:"type"`
	// +optional
	Value string `json:"value,omitempty"`
	// +optional
	AverageValue string `json:"averageValue,omitempty"`
	// +optional
	AverageUtilization *int32 `json:"averageUtilization,omitempty"`
}

// AIMServiceStatus is the observed state of an AIMService.
type AIMServiceStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +kubebuilder:validation:Enum=Pending;Starting;Running;Degraded;Failed
	// +kubebuilder:default=Pending
	// +optional
	Status AIMStatus `json:"status,omitempty"`
	// +optional
	ResolvedRuntimeConfig *AIMResolvedReference `json:"resolvedRuntimeConfig,omitempty"`
	// +optional
	ResolvedModel *AIMResolvedReference `json:"resolvedModel,omitempty"`
	// +optional
	ResolvedTemplate *AIMResolvedReference `json:"resolvedTemplate,omitempty"`
	// +optional
	Routing *AIMServiceRoutingStatus `json:"routing,omitempty"`
	// +optional
	Cache *AIMServiceCacheStatus `json:"cache,omitempty"`
	// +optional
	Runtime *AIMServiceRuntimeStatus `json:"runtime,omitempty"`
}

// AIMServiceRoutingStatus reports the route of a service.
type AIMServiceRoutingStatus struct {
	// +optional
	Path string `json:"path,omitempty"`
}

// AIMServiceCacheStatus reports the cache of a service.
type AIMServiceCacheStatus struct {
	// +optional
	TemplateCacheRef *AIMResolvedReference `json:"templateCacheRef,omitempty"`
	// +optional
	RetryAttempts int `json:"retryAttempts,omitempty"`
}

// AIMServiceRuntimeStatus reports replica counts.
type AIMServiceRuntimeStatus struct {
	// +optional
	CurrentReplicas int32 `json:"currentReplicas,omitempty"`
	// +optional
	DesiredReplicas int32 `json:"desiredReplicas,omitempty"`
	// +optional
	MinReplicas int32 `json:"minReplicas,omitempty"`
	// +optional
	MaxReplicas int32 `json:"maxReplicas,omitempty"`
	// Replicas is the display string, "<current>" or "<current>/<desired> (<min>-<max>)".
	// +optional
	Replicas string `json:"replicas,omitempty"`
}

// AIMService deploys a model as an inference endpoint.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=aimsvc,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.status.resolvedModel.name`
// +kubebuilder:printcolumn:name="Template",type=string,JSONPath=`.status.resolvedTemplate.name`
// +kubebuilder:printcolumn:name="Replicas",type=string,JSONPath=`.status.runtime.replicas`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AIMService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMServiceSpec   `json:"spec,omitempty"`
	Status AIMServiceStatus `json:"status,omitempty"`
}

// AIMServiceList is a list of AIMService.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMService `json:"items"`
}
