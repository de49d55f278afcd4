package kubeclient

import (
	"fmt"
	"net/http"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/gentype"
	"k8s.io/client-go/rest"
)

// Scheme knows the groups of Interface (and the meta/v1 options types).
var Scheme = runtime.NewScheme()

// AddToScheme registers the groups of Interface, e.g. into an event recorder's scheme.
var AddToScheme = schemeBuilder.AddToScheme

var schemeBuilder = runtime.SchemeBuilder{
	corev1.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme, autoscalingv2.AddToScheme,
	coordinationv1.AddToScheme, eventsv1.AddToScheme,
}

var (
	codecs         = serializer.NewCodecFactory(Scheme)
	parameterCodec = runtime.NewParameterCodec(Scheme)
)

func init() {
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	utilruntime.Must(AddToScheme(Scheme))
}

// Clientset implements Interface over one REST client per group version.
type Clientset struct {
	core, batch, rbac, autoscaling, coordination, events rest.Interface
}

var _ Interface = (*Clientset)(nil)

// NewForConfig builds a Clientset. The config's content type is kept, so a
// config from controller.Protobuf talks protobuf.
func NewForConfig(cfg *rest.Config) (*Clientset, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	var cs Clientset
	for _, g := range []struct {
		into *rest.Interface
		gv   schema.GroupVersion
	}{
		{&cs.core, corev1.SchemeGroupVersion},
		{&cs.batch, batchv1.SchemeGroupVersion},
		{&cs.rbac, rbacv1.SchemeGroupVersion},
		{&cs.autoscaling, autoscalingv2.SchemeGroupVersion},
		{&cs.coordination, coordinationv1.SchemeGroupVersion},
		{&cs.events, eventsv1.SchemeGroupVersion},
	} {
		c, err := restClientFor(cfg, httpClient, g.gv)
		if err != nil {
			return nil, fmt.Errorf("%s client: %w", g.gv, err)
		}
		*g.into = c
	}
	return &cs, nil
}

// restClientFor mirrors the defaults client-go's generated clients set.
func restClientFor(cfg *rest.Config, httpClient *http.Client, gv schema.GroupVersion) (*rest.RESTClient, error) {
	c := *cfg
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	if gv.Group == "" {
		c.APIPath = "/api"
	}
	c.NegotiatedSerializer = rest.CodecFactoryForGeneratedClient(Scheme, codecs).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.RESTClientForConfigAndClient(&c, httpClient)
}

func newClient[T interface {
	runtime.Object
	metav1.Object
}, L runtime.Object](rc rest.Interface, resource, namespace string, newT func() T, newL func() L) *gentype.ClientWithList[T, L] {
	return gentype.NewClientWithList(resource, rc, parameterCodec, namespace, newT, newL, gentype.PrefersProtobuf[T]())
}

// CoreV1 returns the core/v1 clients.
func (c *Clientset) CoreV1() CoreV1Interface { return coreV1{c.core} }

// BatchV1 returns the batch/v1 clients.
func (c *Clientset) BatchV1() BatchV1Interface { return batchV1{c.batch} }

// RbacV1 returns the rbac/v1 clients.
func (c *Clientset) RbacV1() RbacV1Interface { return rbacV1{c.rbac} }

// AutoscalingV2 returns the autoscaling/v2 clients.
func (c *Clientset) AutoscalingV2() AutoscalingV2Interface { return autoscalingV2{c.autoscaling} }

// CoordinationV1 returns the coordination/v1 clients.
func (c *Clientset) CoordinationV1() CoordinationV1Interface { return coordinationV1{c.coordination} }

// EventsV1 returns the events/v1 clients.
func (c *Clientset) EventsV1() EventsV1Interface { return eventsV1{c.events} }

type coreV1 struct{ rc rest.Interface }

type pods struct {
	*gentype.ClientWithList[*corev1.Pod, *corev1.PodList]
}

// GetLogs is client-go's: a request for the pods/log subresource.
func (p pods) GetLogs(name string, opts *corev1.PodLogOptions) *rest.Request {
	return p.GetClient().Get().Namespace(p.GetNamespace()).Name(name).Resource("pods").SubResource("log").VersionedParams(opts, parameterCodec)
}

func (c coreV1) Pods(ns string) PodInterface {
	return pods{newClient(c.rc, "pods", ns, func() *corev1.Pod { return &corev1.Pod{} }, func() *corev1.PodList { return &corev1.PodList{} })}
}

func (c coreV1) PersistentVolumeClaims(ns string) Client[*corev1.PersistentVolumeClaim, *corev1.PersistentVolumeClaimList] {
	return newClient(c.rc, "persistentvolumeclaims", ns,
		func() *corev1.PersistentVolumeClaim { return &corev1.PersistentVolumeClaim{} },
		func() *corev1.PersistentVolumeClaimList { return &corev1.PersistentVolumeClaimList{} })
}

func (c coreV1) Nodes() Client[*corev1.Node, *corev1.NodeList] {
	return newClient(c.rc, "nodes", "", func() *corev1.Node { return &corev1.Node{} }, func() *corev1.NodeList { return &corev1.NodeList{} })
}

func (c coreV1) Secrets(ns string) Client[*corev1.Secret, *corev1.SecretList] {
	return newClient(c.rc, "secrets", ns, func() *corev1.Secret { return &corev1.Secret{} }, func() *corev1.SecretList { return &corev1.SecretList{} })
}

func (c coreV1) Namespaces() Client[*corev1.Namespace, *corev1.NamespaceList] {
	return newClient(c.rc, "namespaces", "", func() *corev1.Namespace { return &corev1.Namespace{} }, func() *corev1.NamespaceList { return &corev1.NamespaceList{} })
}

func (c coreV1) Events(ns string) Client[*corev1.Event, *corev1.EventList] {
	return newClient(c.rc, "events", ns, func() *corev1.Event { return &corev1.Event{} }, func() *corev1.EventList { return &corev1.EventList{} })
}

type batchV1 struct{ rc rest.Interface }

func (c batchV1) Jobs(ns string) Client[*batchv1.Job, *batchv1.JobList] {
	return newClient(c.rc, "jobs", ns, func() *batchv1.Job { return &batchv1.Job{} }, func() *batchv1.JobList { return &batchv1.JobList{} })
}

type rbacV1 struct{ rc rest.Interface }

func (c rbacV1) RoleBindings(ns string) Client[*rbacv1.RoleBinding, *rbacv1.RoleBindingList] {
	return newClient(c.rc, "rolebindings", ns, func() *rbacv1.RoleBinding { return &rbacv1.RoleBinding{} }, func() *rbacv1.RoleBindingList { return &rbacv1.RoleBindingList{} })
}

type autoscalingV2 struct{ rc rest.Interface }

func (c autoscalingV2) HorizontalPodAutoscalers(ns string) Client[*autoscalingv2.HorizontalPodAutoscaler, *autoscalingv2.HorizontalPodAutoscalerList] {
	return newClient(c.rc, "horizontalpodautoscalers", ns,
		func() *autoscalingv2.HorizontalPodAutoscaler { return &autoscalingv2.HorizontalPodAutoscaler{} },
		func() *autoscalingv2.HorizontalPodAutoscalerList { return &autoscalingv2.HorizontalPodAutoscalerList{} })
}

type coordinationV1 struct{ rc rest.Interface }

func (c coordinationV1) Leases(ns string) Client[*coordinationv1.Lease, *coordinationv1.LeaseList] {
	return newClient(c.rc, "leases", ns, func() *coordinationv1.Lease { return &coordinationv1.Lease{} }, func() *coordinationv1.LeaseList { return &coordinationv1.LeaseList{} })
}

type eventsV1 struct{ rc rest.Interface }

func (c eventsV1) Events(ns string) Client[*eventsv1.Event, *eventsv1.EventList] {
	return newClient(c.rc, "events", ns, func() *eventsv1.Event { return &eventsv1.Event{} }, func() *eventsv1.EventList { return &eventsv1.EventList{} })
}
