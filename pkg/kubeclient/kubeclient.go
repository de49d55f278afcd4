// Package kubeclient is a narrow clientset for the built-in kinds an operator
// typically touches (Pods, PVCs, Nodes, Secrets, Namespaces, Events, Jobs,
// RoleBindings, HPAs, Leases), built on client-go's generic typed client
// (k8s.io/client-go/gentype) over a scheme that registers only those groups.
//
// Why not kubernetes.Interface: k8s.io/client-go/kubernetes/scheme, which every
// client-go typed client, discovery, tools/events and tools/leaderelection
// import, registers every API group and so links all of k8s.io/api into the
// binary (about 9 MB of a 34 MB operator). The interfaces here are subsets of
// client-go's typed ones with identical method signatures, so code written
// against them reads the same, and a kubernetes.Interface can stand in for
// tests through package clientsetadapter.
package kubeclient

import (
	"context"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// Reader is the read side of a typed client for one resource.
type Reader[T, L runtime.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Client is a typed client for one resource without apply (apply goes through
// the dynamic client, so no apply configurations need to be linked).
type Client[T, L runtime.Object] interface {
	Reader[T, L]
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
}

// StatusClient is Client for a resource with a status subresource.
type StatusClient[T, L runtime.Object] interface {
	Client[T, L]
	UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// PodInterface adds the log subresource to the Pod client.
type PodInterface interface {
	Client[*corev1.Pod, *corev1.PodList]
	GetLogs(name string, opts *corev1.PodLogOptions) *rest.Request
}

// Interface is the narrow clientset.
type Interface interface {
	CoreV1() CoreV1Interface
	BatchV1() BatchV1Interface
	RbacV1() RbacV1Interface
	AutoscalingV2() AutoscalingV2Interface
	CoordinationV1() CoordinationV1Interface
	EventsV1() EventsV1Interface
}

// CoreV1Interface is the core/v1 part of Interface.
type CoreV1Interface interface {
	Pods(namespace string) PodInterface
	PersistentVolumeClaims(namespace string) Client[*corev1.PersistentVolumeClaim, *corev1.PersistentVolumeClaimList]
	Nodes() Client[*corev1.Node, *corev1.NodeList]
	Secrets(namespace string) Client[*corev1.Secret, *corev1.SecretList]
	Namespaces() Client[*corev1.Namespace, *corev1.NamespaceList]
	Events(namespace string) Client[*corev1.Event, *corev1.EventList]
}

// BatchV1Interface is the batch/v1 part of Interface.
type BatchV1Interface interface {
	Jobs(namespace string) Client[*batchv1.Job, *batchv1.JobList]
}

// RbacV1Interface is the rbac.authorization.k8s.io/v1 part of Interface.
type RbacV1Interface interface {
	RoleBindings(namespace string) Client[*rbacv1.RoleBinding, *rbacv1.RoleBindingList]
}

// AutoscalingV2Interface is the autoscaling/v2 part of Interface.
type AutoscalingV2Interface interface {
	HorizontalPodAutoscalers(namespace string) Client[*autoscalingv2.HorizontalPodAutoscaler, *autoscalingv2.HorizontalPodAutoscalerList]
}

// CoordinationV1Interface is the coordination.k8s.io/v1 part of Interface.
type CoordinationV1Interface interface {
	Leases(namespace string) Client[*coordinationv1.Lease, *coordinationv1.LeaseList]
}

// EventsV1Interface is the events.k8s.io/v1 part of Interface.
type EventsV1Interface interface {
	Events(namespace string) Client[*eventsv1.Event, *eventsv1.EventList]
}
