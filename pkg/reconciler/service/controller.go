package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/childwiring"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/gpu"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Name is the controller name; the field manager is aim-service-controller.
const Name = constants.ControllerService

// Deps are what Register needs. ISVCKind and RouteKind are the optional KServe and Gateway
// API kinds (shared with other controllers; nil means "never available").
type Deps struct {
	// ApplyHook, when set, counts this controller's apply outcomes (sent / skipped) for /metrics.
	ApplyHook wiring.ApplyHook
	Manager   *controller.Manager
	Informers *aimclient.InformerFactory
	Client    aimclient.Interface
	Kube      kubeclient.Interface
	Dynamic   dynamic.Interface
	// Applier sends the plan; nil builds one from Dynamic and Resolver.
	Applier *sm.Applier
	// Resolver maps kinds to resources; nil uses the static wiring resolver.
	Resolver sm.Resolver
	// KubeInformers hands out label-selected built-in-kind informers registered with Manager
	// (cmd/aimlite's env.KubeInformers); nil makes private ones.
	KubeInformers *controller.KubeInformers
	// Recorder returns the event recorder of a controller name (nil: no events).
	Recorder  wiring.RecorderFactory
	Queue     controller.QueueOptions
	ISVCKind  *controller.OptionalKind
	RouteKind *controller.OptionalKind
	// Namespaces limits the Event watch to the watched namespaces (nil = all).
	Namespaces []string
	// Nodes is a node informer holding *corev1.Node or *metav1.PartialObjectMetadata (labels are all
	// GPU detection reads), shared with the template controllers; nil makes a full node informer.
	Nodes cache.SharedIndexInformer
}

func gr(resource string) schema.GroupResource { return aimv1.Resource(resource) }

func optionalStore(k *controller.OptionalKind) func() store.Store[*unstructured.Unstructured] {
	return func() store.Store[*unstructured.Unstructured] {
		if k == nil {
			return nil
		}
		inf := k.Informer()
		if inf == nil {
			return nil
		}
		return store.FromIndexer[*unstructured.Unstructured](inf.GetIndexer(), k.GVR().GroupResource())
	}
}

// NewPipeline builds the AIMService pipeline over r.
func NewPipeline(r *Reconciler, client aimclient.Interface, kube kubeclient.Interface, applier *sm.Applier, rec sm.Recorder) *sm.Pipeline[*aimv1.AIMService, *aimv1.AIMServiceStatus, *fetched, obs] {
	return &sm.Pipeline[*aimv1.AIMService, *aimv1.AIMServiceStatus, *fetched, obs]{
		Name:       Name,
		Reconciler: r,
		StatusOf:   func(o *aimv1.AIMService) *aimv1.AIMServiceStatus { return &o.Status },
		Fields: func(o *aimv1.AIMService) sm.Status {
			return sm.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMService) error {
			_, err := client.AimV1alpha1().AIMServices(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(Name)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMService"),
		Applier:         applier,
		DecorateChild:   DecorateChild,
		Client:          sm.WithClient[kubeclient.Interface](kube),
		Recorder:        rec,
		PauseAnnotation: constants.AnnotationReconciliationPaused,
		MapStatus:       MapStatus,
	}
}

// DecorateChild adds the controller labels (§3.2 step 2); propagation of the service's labels
// happens in PlanResources, which knows the runtime config.
func DecorateChild(svc *aimv1.AIMService, child *unstructured.Unstructured) {
	childwiring.AddControllerLabels(child, Name, svc.Name)
}

// Register wires the AIMService controller onto the manager.
func Register(d Deps) (*controller.Controller, error) {
	if d.Manager == nil || d.Informers == nil || d.Client == nil || d.Kube == nil || d.Dynamic == nil {
		return nil, errors.New("service: Deps needs Manager, Informers, Client, Kube and Dynamic")
	}
	aim := d.Informers
	svcInf := aim.AIMServices().Informer()
	kubeInformers := d.KubeInformers
	if kubeInformers == nil {
		kubeInformers = controller.NewKubeInformers(d.Manager, d.Kube, controller.CacheOptions{})
	}
	podInf := kubeInformers.Pods(constants.LabelISVC)
	// KEDA's HPAs inherit the InferenceService's labels (as the reference relies on); they are
	// matched to a service by name, keda-hpa-<isvc>-predictor.
	hpaInf := kubeInformers.HorizontalPodAutoscalers(constants.LabelService)
	// KServe reports rejections (ServerlessModeRejected, InternalError) only as Warning events on
	// the InferenceService: watch exactly those.
	evInf := controller.NewNamespacedInformer(func(ns string) controller.ListWatcher[*corev1.EventList] { return d.Kube.CoreV1().Events(ns) },
		&corev1.Event{}, controller.CacheOptions{Clientset: d.Kube, Namespaces: d.Namespaces,
			FieldSelector: "type=" + corev1.EventTypeWarning + ",involvedObject.kind=" + kserve.GVK.Kind})
	d.Manager.AddInformer(evInf)
	nodeInf := d.Nodes
	if nodeInf == nil {
		nodeInf = kubeInformers.Nodes("")
	}
	applier := childwiring.Applier(d.Applier, d.Dynamic, d.Resolver, Name, d.ApplyHook)

	r := &Reconciler{Stores: Stores{
		Events:           store.FromIndexer[*corev1.Event](evInf.GetIndexer(), corev1.Resource("events")),
		Models:           store.FromIndexer[*aimv1.AIMModel](aim.AIMModels().Informer().GetIndexer(), gr("aimmodels")),
		ClusterModels:    store.FromIndexer[*aimv1.AIMClusterModel](aim.AIMClusterModels().Informer().GetIndexer(), gr("aimclustermodels")),
		Templates:        store.FromIndexer[*aimv1.AIMServiceTemplate](aim.AIMServiceTemplates().Informer().GetIndexer(), gr("aimservicetemplates")),
		ClusterTemplates: store.FromIndexer[*aimv1.AIMClusterServiceTemplate](aim.AIMClusterServiceTemplates().Informer().GetIndexer(), gr("aimclusterservicetemplates")),
		Caches:           store.FromIndexer[*aimv1.AIMTemplateCache](aim.AIMTemplateCaches().Informer().GetIndexer(), gr("aimtemplatecaches")),
		RuntimeConfig:    runtimeconfig.Lookup{Namespaced: aim.AIMRuntimeConfigs().Lister(), Cluster: aim.AIMClusterRuntimeConfigs().Lister()},
		Pods:             store.FromIndexer[*corev1.Pod](podInf.GetIndexer(), corev1.Resource("pods")),
		HPAs:             store.FromIndexer[*autoscalingv2.HorizontalPodAutoscaler](hpaInf.GetIndexer(), schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"}),
		ISVCs:            optionalStore(d.ISVCKind),
		Routes:           optionalStore(d.RouteKind),
		Nodes:            func() ([]*corev1.Node, error) { return gpu.NodesOf(nodeInf.GetStore().List()), nil },
	}}
	rec := d.Recorder.For(Name)
	pipe := NewPipeline(r, d.Client, d.Kube, applier, rec)
	fin := newFinalizer(d, r.Stores.Caches)
	lister := aim.AIMServices().Lister()
	ctl, err := controller.New(controller.Options{Name: Name, Queue: d.Queue,
		Reconcile: wiring.ReconcileNamespaced(lister.AIMServices, fin.Handle, pipe.Run)})
	if err != nil {
		return nil, err
	}
	if err := wiring.EnsureIndexers(svcInf, runtimeconfig.Indexers()); err != nil {
		return nil, err
	}
	idx := svcInf.GetIndexer()
	if err := ctl.For(svcInf, aimv1.Kind("AIMService"), false); err != nil {
		return nil, err
	}
	// Models: by name or image in the namespace; models a service created carry no owner, so
	// any model event in the namespace re-checks the services that might use it. Templates
	// change rarely, so a template event re-runs the namespace's services (auto-selection
	// may pick it), cluster ones all services.
	mapNS := controller.MapAll(idx, true)
	mapAll := controller.MapAll(idx, false)
	statusChanged := controller.WithUpdateFilter(func(oldObj, newObj metav1.Object) bool {
		return statusOf(oldObj) != statusOf(newObj) || oldObj.GetGeneration() != newObj.GetGeneration() ||
			oldObj.GetDeletionTimestamp() != newObj.GetDeletionTimestamp()
	})
	watches := []struct {
		inf cache.SharedIndexInformer
		fn  controller.MapFunc
	}{
		{aim.AIMModels().Informer(), mapNS},
		{aim.AIMClusterModels().Informer(), mapAll},
		{aim.AIMServiceTemplates().Informer(), mapNS},
		{aim.AIMClusterServiceTemplates().Informer(), mapAll},
		{aim.AIMTemplateCaches().Informer(), mapNS},
	}
	for _, w := range watches {
		if err := ctl.Watches(w.inf, w.fn, statusChanged); err != nil {
			return nil, err
		}
	}
	if err := ctl.Watches(aim.AIMRuntimeConfigs().Informer(), runtimeconfig.MapNamespaceConfig(idx)); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMClusterRuntimeConfigs().Informer(), runtimeconfig.MapClusterConfig(idx)); err != nil {
		return nil, err
	}
	// A GPU node appearing, leaving or relabelled can change auto-selection's outcome: re-run the
	// services still without a resolved template (a resolved one is kept while it stays Ready).
	unresolved := func(metav1.Object) []controller.Key {
		var keys []controller.Key
		for _, obj := range idx.List() {
			if s, ok := obj.(*aimv1.AIMService); ok && s.Status.ResolvedTemplate == nil && s.DeletionTimestamp == nil {
				keys = append(keys, controller.NewKey(s.Namespace, s.Name))
			}
		}
		return keys
	}
	if err := ctl.Watches(nodeInf, unresolved, controller.WithUpdateFilter(func(oldObj, newObj metav1.Object) bool {
		return gpu.LabelsRelevant(gpu.AsNode(oldObj), gpu.AsNode(newObj))
	})); err != nil {
		return nil, err
	}
	// Pods and HPAs map to their service through the InferenceService's owner / name.
	podMap := func(o metav1.Object) []controller.Key {
		return servicesForISVC(d.ISVCKind, o.GetNamespace(), o.GetLabels()[constants.LabelISVC])
	}
	if err := ctl.Watches(evInf, func(o metav1.Object) []controller.Key {
		e, ok := o.(*corev1.Event)
		if !ok {
			return nil
		}
		return servicesForISVC(d.ISVCKind, e.InvolvedObject.Namespace, e.InvolvedObject.Name)
	}); err != nil {
		return nil, err
	}
	if err := ctl.Watches(podInf, podMap); err != nil {
		return nil, err
	}
	if err := ctl.Watches(hpaInf, func(o metav1.Object) []controller.Key {
		n := o.GetName()
		const pre, suf = "keda-hpa-", "-predictor"
		if len(n) <= len(pre)+len(suf) || n[:len(pre)] != pre || n[len(n)-len(suf):] != suf {
			return nil
		}
		return servicesForISVC(d.ISVCKind, o.GetNamespace(), n[len(pre):len(n)-len(suf)])
	}); err != nil {
		return nil, err
	}
	if d.ISVCKind != nil {
		if err := ctl.OwnsOptional(d.ISVCKind); err != nil {
			return nil, err
		}
	}
	if d.RouteKind != nil {
		if err := ctl.OwnsOptional(d.RouteKind); err != nil {
			return nil, err
		}
	}
	d.Manager.Add(ctl)
	return ctl, nil
}

// servicesForISVC follows an InferenceService's controller reference to its AIMService.
func servicesForISVC(k *controller.OptionalKind, ns, isvc string) []controller.Key {
	if k == nil || isvc == "" {
		return nil
	}
	inf := k.Informer()
	if inf == nil {
		return nil
	}
	obj, ok, err := inf.GetIndexer().GetByKey(ns + "/" + isvc)
	if err != nil || !ok {
		return nil
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil
	}
	if ref := metav1.GetControllerOf(u); ref != nil && ref.Kind == "AIMService" {
		return []controller.Key{controller.NewKey(ns, ref.Name)}
	}
	return nil
}

// statusOf reads status.status of any AIM object (typed) for update filters.
func statusOf(o metav1.Object) string {
	switch t := o.(type) {
	case *aimv1.AIMModel:
		return string(t.Status.Status)
	case *aimv1.AIMClusterModel:
		return string(t.Status.Status)
	case *aimv1.AIMServiceTemplate:
		return string(t.Status.Status) + fmt.Sprint(len(t.Status.ModelSources))
	case *aimv1.AIMClusterServiceTemplate:
		return string(t.Status.Status) + fmt.Sprint(len(t.Status.ModelSources))
	case *aimv1.AIMTemplateCache:
		b, _ := json.Marshal(t.Status.Artifacts)
		return string(t.Status.Status) + string(b)
	}
	return ""
}

// newFinalizer implements aim.eai.amd.com/template-cache-cleanup: on deletion, delete the
// service's caches that are not Ready (Ready ones are kept for reuse).
func newFinalizer(d Deps, caches store.Store[*aimv1.AIMTemplateCache]) childwiring.CleanupFinalizer {
	return childwiring.CleanupFinalizer{
		Name: constants.FinalizerServiceCacheCleanup, GVR: aimv1.SchemeGroupVersion.WithResource("aimservices"),
		Dynamic: d.Dynamic, Kube: d.Kube, FieldManager: constants.FieldManager(Name),
		Cleanup: func(ctx context.Context, obj metav1.Object) error {
			return childwiring.DeleteNotReadyLabelled(ctx, obj, constants.LabelService, caches.List,
				func(c *aimv1.AIMTemplateCache) string { return string(c.Status.Status) },
				d.Client.AimV1alpha1().AIMTemplateCaches(obj.GetNamespace()).Delete)
		},
	}
}
