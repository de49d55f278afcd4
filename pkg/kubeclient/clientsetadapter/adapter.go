// Package clientsetadapter lets a client-go kubernetes.Interface (a real
// clientset, or fake.NewClientset in unit tests) stand in for a
// kubeclient.Interface. It imports k8s.io/client-go/kubernetes, so binaries
// that care about their size must not import it.
package clientsetadapter

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes"
	autoscalingv2client "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	batchv1client "k8s.io/client-go/kubernetes/typed/batch/v1"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/util/watchlist"

	"github.com/aimlite/aimlite/pkg/kubeclient"
)

// New returns cs as a kubeclient.Interface.
func New(cs kubernetes.Interface) kubeclient.Interface { return adapter{cs} }

type adapter struct{ cs kubernetes.Interface }

// IsWatchListSemanticsUnSupported forwards the clientset's answer: fake
// clientsets cannot stream watch lists, and informers must know.
func (a adapter) IsWatchListSemanticsUnSupported() bool {
	return watchlist.DoesClientNotSupportWatchListSemantics(a.cs)
}

func (a adapter) CoreV1() kubeclient.CoreV1Interface     { return coreV1{a.cs.CoreV1()} }
func (a adapter) BatchV1() kubeclient.BatchV1Interface   { return batchV1{a.cs.BatchV1()} }
func (a adapter) RbacV1() kubeclient.RbacV1Interface     { return rbacV1{a.cs.RbacV1()} }
func (a adapter) EventsV1() kubeclient.EventsV1Interface { return eventsV1{a.cs.EventsV1()} }
func (a adapter) AutoscalingV2() kubeclient.AutoscalingV2Interface {
	return autoscalingV2{a.cs.AutoscalingV2()}
}
func (a adapter) CoordinationV1() kubeclient.CoordinationV1Interface {
	return coordinationV1{a.cs.CoordinationV1()}
}

type coreV1 struct{ c corev1client.CoreV1Interface }

func (c coreV1) Pods(ns string) kubeclient.PodInterface { return c.c.Pods(ns) }
func (c coreV1) PersistentVolumeClaims(ns string) kubeclient.Client[*corev1.PersistentVolumeClaim, *corev1.PersistentVolumeClaimList] {
	return c.c.PersistentVolumeClaims(ns)
}
func (c coreV1) Nodes() kubeclient.Client[*corev1.Node, *corev1.NodeList] { return c.c.Nodes() }
func (c coreV1) Secrets(ns string) kubeclient.Client[*corev1.Secret, *corev1.SecretList] {
	return c.c.Secrets(ns)
}
func (c coreV1) Namespaces() kubeclient.Client[*corev1.Namespace, *corev1.NamespaceList] {
	return c.c.Namespaces()
}
func (c coreV1) Events(ns string) kubeclient.Client[*corev1.Event, *corev1.EventList] {
	return c.c.Events(ns)
}

type batchV1 struct {
	c batchv1client.BatchV1Interface
}

func (c batchV1) Jobs(ns string) kubeclient.Client[*batchv1.Job, *batchv1.JobList] {
	return c.c.Jobs(ns)
}

type rbacV1 struct{ c rbacv1client.RbacV1Interface }

func (c rbacV1) RoleBindings(ns string) kubeclient.Client[*rbacv1.RoleBinding, *rbacv1.RoleBindingList] {
	return c.c.RoleBindings(ns)
}

type autoscalingV2 struct {
	c autoscalingv2client.AutoscalingV2Interface
}

func (c autoscalingV2) HorizontalPodAutoscalers(ns string) kubeclient.Client[*autoscalingv2.HorizontalPodAutoscaler, *autoscalingv2.HorizontalPodAutoscalerList] {
	return c.c.HorizontalPodAutoscalers(ns)
}

type coordinationV1 struct {
	c coordinationv1client.CoordinationV1Interface
}

func (c coordinationV1) Leases(ns string) kubeclient.Client[*coordinationv1.Lease, *coordinationv1.LeaseList] {
	return c.c.Leases(ns)
}

type eventsV1 struct {
	c eventsv1client.EventsV1Interface
}

func (c eventsV1) Events(ns string) kubeclient.Client[*eventsv1.Event, *eventsv1.EventList] {
	return c.c.Events(ns)
}
