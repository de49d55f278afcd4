package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AIMModelSpec is shared by AIMModel and AIMClusterModel.
// +kubebuilder:validation:XValidation:rule="!has(self.modelSources) || size(self.modelSources) == 0 || (has(self.custom) && has(self.custom.hardware)) || !has(self.customTemplates) || size(self.customTemplates) == 0 || self.customTemplates.all(t, has(t.hardware) || (has(self.custom) && has(self.custom.hardware)))",message="when using modelSources, hardware must be specified: set custom.hardware (inherited by all templates) or set hardware on each template individually"
type AIMModelSpec struct {
	// Image is the AIM container image that serves the model.
	// +kubebuilder:validation:MinLength=1
	Image string `json:"image"`

	// Discovery controls metadata extraction and automatic template creation.
	// +optional
	Discovery *AIMModelDiscoveryConfig `json:"discovery,omitempty"`

	// DefaultServiceTemplate is accepted for compatibility; it is not used.
	// +optional
	DefaultServiceTemplate string `json:"defaultServiceTemplate,omitempty"`

	// Custom holds defaults for custom (modelSources-based) models.
	// +optional
	Custom *AIMCustomModelSpec `json:"custom,omitempty"`

	// CustomTemplates are templates created for a custom model.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	CustomTemplates []AIMCustomTemplate `json:"customTemplates,omitempty"`

	// ModelSources makes this a custom model whose weights are downloaded.
	// +kubebuilder:validation:MaxItems=1
	// +optional
	ModelSources []AIMModelSource `json:"modelSources,omitempty"`

	// +optional
	RuntimeConfigName string `json:"runtimeConfigName,omitempty"`
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// ImageMetadata overrides the metadata read from the image (air-gapped clusters).
	// +optional
	ImageMetadata *ImageMetadata `json:"imageMetadata,omitempty"`
}

// AIMModelDiscoveryConfig controls what the model controller derives from the image.
type AIMModelDiscoveryConfig struct {
	// +kubebuilder:default=true
	// +optional
	ExtractMetadata *bool `json:"extractMetadata,omitempty"`
	// +kubebuilder:default=true
	// +optional
	CreateServiceTemplates *bool `json:"createServiceTemplates,omitempty"`
}

// AIMCustomModelSpec holds the defaults inherited by every custom template.
type AIMCustomModelSpec struct {
	// +optional
	Hardware *AIMHardwareRequirements `json:"hardware,omitempty"`
	// +kubebuilder:validation:Enum=optimized;preview;unoptimized
	// +optional
	Type AIMProfileType `json:"type,omitempty"`
}

// AIMCustomTemplate is one template of a custom model.
type AIMCustomTemplate struct {
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Name string `json:"name,omitempty"`
	// +kubebuilder:validation:Enum=optimized;preview;unoptimized
	// +kubebuilder:default=unoptimized
	// +optional
	Type AIMProfileType `json:"type,omitempty"`
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// +optional
	Hardware *AIMHardwareRequirements `json:"hardware,omitempty"`
	// +optional
	Profile *AIMCustomTemplateProfile `json:"profile,omitempty"`
}

// AIMCustomTemplateProfile is the metric/precision of a custom template.
type AIMCustomTemplateProfile struct {
	// +kubebuilder:validation:Enum=latency;throughput
	// +optional
	Metric AIMMetric `json:"metric,omitempty"`
	// +kubebuilder:validation:Enum=auto;fp4;fp8;fp16;fp32;bf16;int4;int8
	// +optional
	Precision AIMPrecision `json:"precision,omitempty"`
}

// ImageMetadata is what the model controller reads from an image's labels.
type ImageMetadata struct {
	// +optional
	Model *ModelMetadata `json:"model,omitempty"`
	// +optional
	OCI *OCIMetadata `json:"oci,omitempty"`
	// +optional
	OriginalLabels map[string]string `json:"originalLabels,omitempty"`
}

// ModelMetadata is the AIM-specific part of the image metadata.
type ModelMetadata struct {
	// +optional
	CanonicalName string `json:"canonicalName,omitempty"`
	// +optional
	DescriptionFull string `json:"descriptionFull,omitempty"`
	// +optional
	HFTokenRequired bool `json:"hfTokenRequired,omitempty"`
	// +optional
	RecommendedDeployments []RecommendedDeployment `json:"recommendedDeployments,omitempty"`
	// +optional
	ReleaseNotes string `json:"releaseNotes,omitempty"`
	// +optional
	Source string `json:"source,omitempty"`
	// +optional
	Tags []string `json:"tags,omitempty"`
	// +optional
	Title string `json:"title,omitempty"`
	// +optional
	Variants []string `json:"variants,omitempty"`
	// +optional
	Versions []string `json:"versions,omitempty"`
}

// RecommendedDeployment is one deployment the image recommends; each becomes a template.
type RecommendedDeployment struct {
	// +optional
	Description string `json:"description,omitempty"`
	// +optional
	GPUCount int32 `json:"gpuCount,omitempty"`
	// +optional
	GPUModel string `json:"gpuModel,omitempty"`
	// +optional
	Metric string `json:"metric,omitempty"`
	// +optional
	Precision string `json:"precision,omitempty"`
	// +optional
	ProfileID string `json:"profileId,omitempty"`
}

// OCIMetadata holds the standard org.opencontainers.image.* labels.
type OCIMetadata struct {
	// +optional
	Authors string `json:"authors,omitempty"`
	// +optional
	Created string `json:"created,omitempty"`
	// +optional
	Description string `json:"description,omitempty"`
	// +optional
	Documentation string `json:"documentation,omitempty"`
	// +optional
	Licenses string `json:"licenses,omitempty"`
	// +optional
	Revision string `json:"revision,omitempty"`
	// +optional
	Source string `json:"source,omitempty"`
	// +optional
	Title string `json:"title,omitempty"`
	// +optional
	Vendor string `json:"vendor,omitempty"`
	// +optional
	Version string `json:"version,omitempty"`
}

// AIMModelStatus is shared by AIMModel and AIMClusterModel.
type AIMModelStatus struct {
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
	// +kubebuilder:validation:Enum=Image;Custom
	// +optional
	SourceType AIMModelSourceType `json:"sourceType,omitempty"`
	// +optional
	ImageMetadata *ImageMetadata `json:"imageMetadata,omitempty"`
	// +optional
	ResolvedRuntimeConfig *AIMResolvedReference `json:"resolvedRuntimeConfig,omitempty"`
}

// AIMModel is a namespaced model: an AIM image plus how to discover its templates.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=aimmdl,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.status.sourceType`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.status.imageMetadata.model.canonicalName`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AIMModel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMModelSpec   `json:"spec,omitempty"`
	Status AIMModelStatus `json:"status,omitempty"`
}

// AIMModelList is a list of AIMModel.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMModelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMModel `json:"items"`
}

// AIMClusterModel is a cluster-scoped model, usable from every namespace.
//
// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=aimclmdl,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.status.sourceType`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.status.imageMetadata.model.canonicalName`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AIMClusterModel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMModelSpec   `json:"spec,omitempty"`
	Status AIMModelStatus `json:"status,omitempty"`
}

// AIMClusterModelList is a list of AIMClusterModel.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMClusterModelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMClusterModel `json:"items"`
}
