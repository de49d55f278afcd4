package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AIMClusterModelSourceSpec says which registry images become AIMClusterModels.
type AIMClusterModelSourceSpec struct {
	// +kubebuilder:default="docker.io"
	// +optional
	Registry string `json:"registry,omitempty"`
	// ImagePullSecrets are read from the operator namespace.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	Filters []AIMModelSourceFilter `json:"filters"`
	// +kubebuilder:default="1h"
	// +optional
	// A duration such as 30s, 15m or 1h30m (Go syntax); the pattern keeps unparsable values out of the API.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	SyncInterval *metav1.Duration `json:"syncInterval,omitempty"`
	// Versions are semver constraints applied to every filter.
	// +optional
	Versions []string `json:"versions,omitempty"`
	// +kubebuilder:default=100
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +optional
	MaxModels *int `json:"maxModels,omitempty"`
}

// AIMModelSourceFilter selects images of a registry.
type AIMModelSourceFilter struct {
	// Image is a repository pattern (wildcards allowed), a full URI, or a tagged image.
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image"`
	// +optional
	Exclude []string `json:"exclude,omitempty"`
	// +optional
	Versions []string `json:"versions,omitempty"`
}

// AIMClusterModelSourceStatus is the observed state of an AIMClusterModelSource.
type AIMClusterModelSourceStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// +kubebuilder:validation:Enum=Pending;Starting;Progressing;Ready;Running;Degraded;NotAvailable;Failed
	// +optional
	Status AIMStatus `json:"status,omitempty"`
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`
	// +optional
	DiscoveredModels int `json:"discoveredModels,omitempty"`
	// +optional
	AvailableModels int `json:"availableModels,omitempty"`
	// +optional
	ModelsLimitReached bool `json:"modelsLimitReached,omitempty"`
}

// AIMClusterModelSource syncs AIMClusterModels from a container registry.
//
// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=aimclsrc,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Models",type=integer,JSONPath=`.status.discoveredModels`
// +kubebuilder:printcolumn:name="LastSync",type=date,JSONPath=`.status.lastSyncTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AIMClusterModelSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMClusterModelSourceSpec   `json:"spec,omitempty"`
	Status AIMClusterModelSourceStatus `json:"status,omitempty"`
}

// AIMClusterModelSourceList is a list of AIMClusterModelSource.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMClusterModelSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMClusterModelSource `json:"items"`
}
