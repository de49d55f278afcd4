package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AIMServiceTemplateSpecCommon is shared by AIMServiceTemplate and AIMClusterServiceTemplate.
type AIMServiceTemplateSpecCommon struct {
	// ModelName names the AIMModel (or AIMClusterModel) this template serves.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="model name is immutable"
	ModelName string `json:"modelName"`

	AIMRuntimeParameters `json:",inline"`

	// +optional
	RuntimeConfigName string `json:"runtimeConfigName,omitempty"`
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// ModelSources, when set, skips discovery.
	// +optional
	ModelSources []AIMModelSource `json:"modelSources,omitempty"`
	// +optional
	ProfileID string `json:"profileId,omitempty"`
	// +kubebuilder:validation:Enum=optimized;preview;unoptimized
	// +optional
	Type AIMProfileType `json:"type,omitempty"`
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// AIMServiceTemplateSpec is the spec of the namespaced AIMServiceTemplate.
type AIMServiceTemplateSpec struct {
	AIMServiceTemplateSpecCommon `json:",inline"`

	// Caching asks for a template cache to be created with the template.
	// +optional
	Caching *AIMTemplateCachingConfig `json:"caching,omitempty"`
}

// AIMClusterServiceTemplateSpec is the spec of AIMClusterServiceTemplate.
type AIMClusterServiceTemplateSpec struct {
	AIMServiceTemplateSpecCommon `json:",inline"`
}

// AIMTemplateCachingConfig configures the cache of a namespaced template.
type AIMTemplateCachingConfig struct {
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// AIMServiceTemplateStatus is shared by both template kinds.
type AIMServiceTemplateStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +kubebuilder:validation:Enum=Pending;Progressing;Ready;Degraded;Failed;NotAvailable
	// +kubebuilder:default=Pending
	// +optional
	Status AIMStatus `json:"status,omitempty"`
	// +optional
	ResolvedRuntimeConfig *AIMResolvedReference `json:"resolvedRuntimeConfig,omitempty"`
	// +optional
	ResolvedModel *AIMResolvedReference `json:"resolvedModel,omitempty"`
	// +optional
	ResolvedCache *AIMResolvedReference `json:"resolvedCache,omitempty"`
	// +optional
	DiscoveryJob *AIMResolvedReference `json:"discoveryJob,omitempty"`
	// +optional
	ResolvedHardware *AIMHardwareRequirements `json:"resolvedHardware,omitempty"`
	// +optional
	ResolvedNodeAffinity *corev1.NodeAffinity `json:"resolvedNodeAffinity,omitempty"`
	// HardwareSummary is e.g. "2 x MI300X" or "CPU".
	// +optional
	HardwareSummary string `json:"hardwareSummary,omitempty"`
	// +optional
	ModelSources []AIMModelSource `json:"modelSources,omitempty"`
	// +optional
	Profile *AIMProfile `json:"profile,omitempty"`
	// +optional
	Discovery *AIMDiscoveryState `json:"discovery,omitempty"`
}

// AIMProfile is the serving profile found by discovery.
type AIMProfile struct {
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	EngineArgs *FreeformJSON `json:"engine_args,omitempty"`
	// +optional
	EnvVars map[string]string `json:"env_vars,omitempty"`
	// +optional
	Metadata *AIMProfileMetadata `json:"metadata,omitempty"`
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	OriginalDiscoveryOutput *FreeformJSON `json:"originalDiscoveryOutput,omitempty"`
}

// AIMProfileMetadata describes a profile.
type AIMProfileMetadata struct {
	// +optional
	Engine string `json:"engine,omitempty"`
	// +optional
	GPU string `json:"gpu,omitempty"`
	// +optional
	GPUCount int32 `json:"gpuCount,omitempty"`
	// +optional
	Metric AIMMetric `json:"metric,omitempty"`
	// +optional
	Precision AIMPrecision `json:"precision,omitempty"`
	// +optional
	Type AIMProfileType `json:"type,omitempty"`
}

// AIMDiscoveryState tracks discovery attempts for backoff.
type AIMDiscoveryState struct {
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// +optional
	LastAttemptTime *metav1.Time `json:"lastAttemptTime,omitempty"`
	// +optional
	LastFailureReason string `json:"lastFailureReason,omitempty"`
	// SpecHash resets the backoff when the discovery inputs change.
	// +optional
	SpecHash string `json:"specHash,omitempty"`
}

// AIMServiceTemplate is a namespaced serving profile of a model.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=aimtpl,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.modelName`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Hardware",type=string,JSONPath=`.status.hardwareSummary`
// +kubebuilder:printcolumn:name="Metric",type=string,JSONPath=`.status.profile.metadata.metric`
// +kubebuilder:printcolumn:name="Precision",type=string,JSONPath=`.status.profile.metadata.precision`
type AIMServiceTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMServiceTemplateSpec   `json:"spec,omitempty"`
	Status AIMServiceTemplateStatus `json:"status,omitempty"`
}

// AIMServiceTemplateList is a list of AIMServiceTemplate.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMServiceTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMServiceTemplate `json:"items"`
}

// AIMClusterServiceTemplate is a cluster-scoped serving profile of a cluster model.
//
// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=aimcltpl,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.modelName`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Hardware",type=string,JSONPath=`.status.hardwareSummary`
// +kubebuilder:printcolumn:name="Metric",type=string,JSONPath=`.status.profile.metadata.metric`
// +kubebuilder:printcolumn:name="Precision",type=string,JSONPath=`.status.profile.metadata.precision`
type AIMClusterServiceTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMClusterServiceTemplateSpec `json:"spec,omitempty"`
	Status AIMServiceTemplateStatus      `json:"status,omitempty"`
}

// AIMClusterServiceTemplateList is a list of AIMClusterServiceTemplate.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMClusterServiceTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMClusterServiceTemplate `json:"items"`
}
