package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AIMTemplateCacheSpec is the desired state of an AIMTemplateCache.
type AIMTemplateCacheSpec struct {
	// TemplateName names the (cluster) service template whose sources are cached.
	// +kubebuilder:validation:MinLength=1
	TemplateName string `json:"templateName"`
	// TemplateScope says where TemplateName is looked up.
	// +kubebuilder:validation:Enum=Namespace;Cluster;Unknown
	TemplateScope AIMResolutionScope `json:"templateScope"`
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// +optional
	StorageClassName string `json:"storageClassName,omitempty"`
	// +optional
	RuntimeConfigName string `json:"runtimeConfigName,omitempty"`
	// +kubebuilder:validation:Enum=Dedicated;Shared
	// +kubebuilder:default=Shared
	// +optional
	Mode AIMCachingMode `json:"mode,omitempty"`
	// ImagePullSecrets is accepted for compatibility; it is not used.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// DownloadImage is accepted for compatibility; it is not used.
	// +optional
	DownloadImage string `json:"downloadImage,omitempty"`
	// ModelSources is accepted for compatibility; sources come from the template status.
	// +optional
	ModelSources []AIMModelSource `json:"modelSources,omitempty"`
}

// AIMTemplateCacheArtifact reports one artifact of a cache.
type AIMTemplateCacheArtifact struct {
	UID    types.UID `json:"uid"`
	Name   string    `json:"name"`
	Model  string    `json:"model"`
	Status AIMStatus `json:"status"`
	// +optional
	PersistentVolumeClaim string `json:"persistentVolumeClaim,omitempty"`
	// +optional
	MountPoint string `json:"mountPoint,omitempty"`
}

// AIMTemplateCacheStatus is the observed state of an AIMTemplateCache.
type AIMTemplateCacheStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +kubebuilder:validation:Enum=Pending;Progressing;Ready;Failed;Degraded;NotAvailable
	// +kubebuilder:default=Pending
	// +optional
	Status AIMStatus `json:"status,omitempty"`
	// Artifacts is keyed by artifact name.
	// +optional
	Artifacts map[string]AIMTemplateCacheArtifact `json:"artifacts,omitempty"`
	// +optional
	ResolvedTemplateKind string `json:"resolvedTemplateKind,omitempty"`
	// +optional
	ResolvedRuntimeConfig *AIMResolvedReference `json:"resolvedRuntimeConfig,omitempty"`
}

// AIMTemplateCache caches the model sources of a template on PVCs.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=aimtc,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Template",type=string,JSONPath=`.spec.templateName`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.status.resolvedTemplateKind`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AIMTemplateCache struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMTemplateCacheSpec   `json:"spec,omitempty"`
	Status AIMTemplateCacheStatus `json:"status,omitempty"`
}

// AIMTemplateCacheList is a list of AIMTemplateCache.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMTemplateCacheList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMTemplateCache `json:"items"`
}
