package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AIMRuntimeConfigSpec is shared by AIMRuntimeConfig and AIMClusterRuntimeConfig.
type AIMRuntimeConfigSpec struct {
	AIMRuntimeConfigCommon `json:",inline"`

	// Model is accepted for compatibility; it is not read.
	// +optional
	Model *AIMModelConfig `json:"model,omitempty"`

	// LabelPropagation copies matching labels from parents to children.
	// +optional
	LabelPropagation *AIMLabelPropagationConfig `json:"labelPropagation,omitempty"`

	// DefaultStorageClassName is deprecated; use storage.defaultStorageClassName.
	// +optional
	DefaultStorageClassName string `json:"defaultStorageClassName,omitempty"`

	// PVCHeadroomPercent is deprecated; use storage.pvcHeadroomPercent.
	// +optional
	PVCHeadroomPercent *int32 `json:"pvcHeadroomPercent,omitempty"`
}

// AIMModelConfig holds model-level runtime settings.
type AIMModelConfig struct {
	// +optional
	AutoDiscovery *bool `json:"autoDiscovery,omitempty"`
}

// AIMLabelPropagationConfig says which labels flow to child objects.
type AIMLabelPropagationConfig struct {
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Match lists label keys or prefixes (ending in *) to propagate.
	// +optional
	Match []string `json:"match,omitempty"`
}

// AIMRuntimeConfigStatus is shared by both runtime config kinds.
type AIMRuntimeConfigStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AIMRuntimeConfig holds namespace-wide defaults for AIM workloads.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=aimrc,categories=aim;all
// +kubebuilder:subresource:status
type AIMRuntimeConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMRuntimeConfigSpec   `json:"spec,omitempty"`
	Status AIMRuntimeConfigStatus `json:"status,omitempty"`
}

// AIMRuntimeConfigList is a list of AIMRuntimeConfig.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMRuntimeConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMRuntimeConfig `json:"items"`
}

// AIMClusterRuntimeConfig holds cluster-wide defaults for AIM workloads.
//
// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=aimclrc,categories=aim;all
// +kubebuilder:subresource:status
type AIMClusterRuntimeConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMRuntimeConfigSpec   `json:"spec,omitempty"`
	Status AIMRuntimeConfigStatus `json:"status,omitempty"`
}

// AIMClusterRuntimeConfigList is a list of AIMClusterRuntimeConfig.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMClusterRuntimeConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMClusterRuntimeConfig `json:"items"`
}
