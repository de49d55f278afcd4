package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultModelDownloadImage is the CRD default of spec.modelDownloadImage.
const DefaultModelDownloadImage = "ghcr.io/silogen/aim-artifact-downloader:0.2.0"

// AIMArtifactSpec is the desired state of an AIMArtifact.
type AIMArtifactSpec struct {
	// SourceURI is where the weights are downloaded from.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^(hf|s3)://[^ \t\r\n]+$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="sourceUri is immutable"
	SourceURI string `json:"sourceUri"`
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+/[a-zA-Z0-9._-]+$`
	// +optional
	ModelID string `json:"modelId,omitempty"`
	// +optional
	StorageClassName string `json:"storageClassName,omitempty"`
	// Size, when unset, is discovered by a check-size job.
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// +kubebuilder:default="ghcr.io/silogen/aim-artifact-downloader:0.2.0"
	// +optional
	ModelDownloadImage string `json:"modelDownloadImage,omitempty"`
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// +optional
	RuntimeConfigName string `json:"runtimeConfigName,omitempty"`
}

// AIMArtifactProgress is patched by the downloader pod.
type AIMArtifactProgress struct {
	// +optional
	TotalBytes int64 `json:"totalBytes,omitempty"`
	// +optional
	DownloadedBytes int64 `json:"downloadedBytes,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Percentage int32 `json:"percentage,omitempty"`
	// +optional
	DisplayPercentage string `json:"displayPercentage,omitempty"`
}

// AIMArtifactDownload is patched by the downloader pod.
type AIMArtifactDownload struct {
	// +optional
	Protocol string `json:"protocol,omitempty"`
	// +optional
	Attempt int32 `json:"attempt,omitempty"`
	// +optional
	TotalAttempts int32 `json:"totalAttempts,omitempty"`
	// +optional
	ProtocolSequence string `json:"protocolSequence,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// AIMArtifactStatus is the observed state of an AIMArtifact.
type AIMArtifactStatus struct {
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
	Progress *AIMArtifactProgress `json:"progress,omitempty"`
	// +optional
	Download *AIMArtifactDownload `json:"download,omitempty"`
	// +optional
	DisplaySize string `json:"displaySize,omitempty"`
	// +optional
	LastUsed *metav1.Time `json:"lastUsed,omitempty"`
	// +optional
	PersistentVolumeClaim string `json:"persistentVolumeClaim,omitempty"`
	// Mode is Dedicated when the artifact has an owner, else Shared.
	// +kubebuilder:validation:Enum=Dedicated;Shared
	// +optional
	Mode AIMCachingMode `json:"mode,omitempty"`
	// +optional
	DiscoveredSizeBytes int64 `json:"discoveredSizeBytes,omitempty"`
	// +optional
	AllocatedSize *resource.Quantity `json:"allocatedSize,omitempty"`
	// +optional
	HeadroomPercent *int32 `json:"headroomPercent,omitempty"`
}

// AIMArtifact downloads one model source onto a PVC.
//
// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=aimart,categories=aim;all
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.status.mode`
// +kubebuilder:printcolumn:name="Model Size",type=string,JSONPath=`.status.displaySize`
// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=`.status.progress.displayPercentage`
// +kubebuilder:printcolumn:name="Protocol",type=string,JSONPath=`.status.download.protocol`,priority=1
// +kubebuilder:printcolumn:name="Attempt",type=string,JSONPath=`.status.download.attempt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AIMArtifact struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AIMArtifactSpec   `json:"spec,omitempty"`
	Status AIMArtifactStatus `json:"status,omitempty"`
}

// AIMArtifactList is a list of AIMArtifact.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
type AIMArtifactList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIMArtifact `json:"items"`
}
