package main

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/controller/metrics"
	"github.com/aimlite/aimlite/pkg/kubeclient"
)

// Optional foreign kinds: the operator runs without their CRDs and starts
// watching them once they are installed.
var (
	inferenceServiceGVR = schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}
	httpRouteGVR        = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	crdGVR              = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// env is everything registerControllers may wire controllers onto. All
// informers in it are registered with Manager.
type env struct {
	Manager *controller.Manager
	Config  *rest.Config // JSON; QPS/Burst from flags

	Kube     kubeclient.Interface // protobuf, built-in kinds
	Client   aimclient.Interface  // AIM kinds
	Dynamic  dynamic.Interface
	Metadata metadata.Interface

	// AIMInformers caches the AIM kinds (watched namespace; managedFields of
	// other managers stripped).
	AIMInformers *aimclient.InformerFactory
	// KubeInformers hands out built-in-kind informers (one per kind and label
	// selector), scoped to the watched namespace and with Transform set,
	// registered with Manager. Every built-in kind must be watched through a
	// selector: Pods by our job/template labels, Jobs and PVCs by managed-by,
	// and so on. Never watch Events, Secrets or Leases: read Secrets with direct
	// GETs. Nodes: a GPU label selector (nodes without the label cannot host a
	// GPU template; a node that loses it leaves the selector and arrives as a
	// delete), or Metadata for labels only.
	KubeInformers *controller.KubeInformers

	// ISVCKind and RouteKind are the optional KServe InferenceService and
	// Gateway API HTTPRoute kinds (our objects only).
	ISVCKind, RouteKind *controller.OptionalKind

	Queue   controller.QueueOptions
	Metrics *metrics.Prometheus // also an ApplyCounter for the apply engine

	WatchNamespaces []string // nil = all
	SystemNamespace string
	// Transform is the cache transform used everywhere: keeps our field
	// managers' managedFields entries only, drops last-applied annotations.
	Transform cache.TransformFunc
	// ManagedBySelector selects every object the operator labels as managed.
	ManagedBySelector string

	// nodeInf is the metadata-only node informer the template and service controllers share (nodes()).
	nodeInf cache.SharedIndexInformer
}

// managedByValues are the app.kubernetes.io/managed-by values our objects carry
// (catalogue §3.2: one per controller, plus the values pre-set by builders).
func managedByValues() []string {
	vals := []string{constants.ManagedByDiscovery, constants.ManagedByEngine}
	for _, c := range []string{
		constants.ControllerModel, constants.ControllerClusterModel,
		constants.ControllerServiceTemplate, constants.ControllerClusterServiceTemplate,
		constants.ControllerTemplateCache, constants.ControllerArtifact,
		constants.ControllerService, constants.ControllerClusterModelSource,
	} {
		vals = append(vals, constants.FieldManager(c))
	}
	return vals
}

func newEnv(cfg *rest.Config, o options, prom *metrics.Prometheus) (*env, error) {
	kube, err := kubeclient.NewForConfig(controller.Protobuf(cfg))
	if err != nil {
		return nil, err
	}
	client, err := aimclient.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disco, err := controller.NewResourceDiscoverer(cfg)
	if err != nil {
		return nil, err
	}
	managers := managedByValues()
	sel, err := controller.LabelSelector(constants.LabelK8sManagedBy, managers...)
	if err != nil {
		return nil, err
	}
	transform := controller.StripTransform(managers...)

	e := &env{
		Manager:           controller.NewManager(),
		Config:            cfg,
		Kube:              kube,
		Client:            client,
		Dynamic:           dyn,
		Metadata:          meta,
		AIMInformers:      aimclient.NewInformerFactory(client, controller.CacheOptions{Namespaces: o.namespaces, Transform: transform}),
		Queue:             o.queue,
		Metrics:           prom,
		WatchNamespaces:   o.namespaces,
		SystemNamespace:   o.systemNamespace,
		Transform:         transform,
		ManagedBySelector: sel,
	}
	e.KubeInformers = controller.NewKubeInformers(e.Manager, kube, controller.CacheOptions{
		Namespaces: o.childNamespaces(), Transform: transform,
	})
	e.Manager.AddInformerFactory(e.AIMInformers)

	optional := func(gvr schema.GroupVersionResource) *controller.OptionalKind {
		return controller.NewOptionalKind(gvr, controller.OptionalKindOptions{
			NewInformer: controller.DynamicInformer(dyn, gvr,
				controller.CacheOptions{Namespaces: o.namespaces, LabelSelector: sel, Transform: transform}),
			Discovery:    disco,
			PollInterval: o.optionalPoll,
		})
	}
	e.ISVCKind, e.RouteKind = optional(inferenceServiceGVR), optional(httpRouteGVR)
	e.Manager.AddOptional(e.ISVCKind, e.RouteKind)
	// CRDs as metadata only (no schemas in memory): an installed CRD is noticed
	// at once instead of at the next poll.
	crdInf := controller.NewMetadataInformer(meta, crdGVR, controller.CacheOptions{})
	if err := controller.WatchCRDs(crdInf, e.ISVCKind, e.RouteKind); err != nil {
		return nil, fmt.Errorf("watching CRDs: %w", err)
	}
	e.Manager.AddInformer(crdInf)
	return e, nil
}
