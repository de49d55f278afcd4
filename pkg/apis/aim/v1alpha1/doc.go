// Package v1alpha1 contains the API types of the aim.eai.amd.com/v1alpha1 group.
// They are wire-compatible with the reference AIM Engine operator's CRDs.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +groupName=aim.eai.amd.com
// +kubebuilder:object:generate=false
package v1alpha1
