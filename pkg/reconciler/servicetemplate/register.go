package servicetemplate

import (
	"context"
	"flag"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/discovery"
	"github.com/aimlite/aimlite/pkg/aim/gpu"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/reconciler/model"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// LabelControllerUID is the label the Job controller puts on a Job's pods.
const LabelControllerUID = "batch.kubernetes.io/controller-uid"

// Deps are what Register needs. AIMInformers and KubeInformers (used for Nodes) are shared with the other
// controllers; discovery Jobs and their pods are watched through the template label.
type Deps struct {
	// ApplyHook, when set, counts this controller's apply outcomes (sent / skipped) for /metrics.
	ApplyHook    wiring.ApplyHook
	Manager      *controller.Manager
	AIMInformers *aimclient.InformerFactory
	// Nodes is a node informer holding *corev1.Node or *metav1.PartialObjectMetadata (labels are all GPU
	// detection needs). Nil: KubeInformers' typed node informer.
	Nodes         cache.SharedIndexInformer
	KubeInformers *controller.KubeInformers
	// DiscoveryInformers hands out the informers of discovery Jobs and their pods, selected by the
	// `aim.eai.amd.com/template` label. Nil: Register makes its own.
	DiscoveryInformers *controller.KubeInformers
	Client             aimclient.Interface
	Kube               kubeclient.Interface
	Dynamic            dynamic.Interface
	Resolver           statemachine.Resolver
	Recorder           wiring.RecorderFactory
	Queue              controller.QueueOptions
	// SystemNamespace runs the discovery Jobs of cluster templates.
	SystemNamespace string
	// DiscoveryCap is the maximum of running discovery Jobs (0: constants.DefaultDiscoveryCap).
	DiscoveryCap int
	// Backoff between failed discovery attempts (zero: 60 s doubling to 1 h).
	Backoff discovery.Backoff
	// Logs reads discovery output (nil: ClientsetLogs over Kube).
	Logs LogReader
	// PodAnnotations are added to discovery pods (tests script kwok with them).
	PodAnnotations func(namespace, template string, attempt int32) map[string]string
	Clock          clock.PassiveClock
}

// Registered exposes what tests inspect.
type Registered struct {
	Limiter *discovery.Limiter
	Jobs    cache.SharedIndexInformer
}

// Register wires the AIMServiceTemplate and AIMClusterServiceTemplate controllers onto the manager.
func Register(d Deps) (*Registered, error) {
	v1 := d.AIMInformers
	tpls, ctpls := v1.AIMServiceTemplates(), v1.AIMClusterServiceTemplates()
	models, cmodels := v1.AIMModels(), v1.AIMClusterModels()
	rcs, crcs := v1.AIMRuntimeConfigs(), v1.AIMClusterRuntimeConfigs()
	caches := v1.AIMTemplateCaches()
	for _, inf := range []cache.SharedIndexInformer{tpls.Informer(), ctpls.Informer()} {
		if err := wiring.EnsureIndexers(inf, runtimeconfig.Indexers()); err != nil {
			return nil, err
		}
		if err := wiring.EnsureIndexers(inf, model.TemplateIndexers()); err != nil {
			return nil, err
		}
	}
	nodeInf := d.Nodes
	if nodeInf == nil {
		nodeInf = d.KubeInformers.Nodes("")
	}

	// Discovery Jobs and their pods carry the template label; watch only those.
	sel, err := controller.LabelSelector(constants.LabelTemplate)
	if err != nil {
		return nil, err
	}
	discoInformers := d.DiscoveryInformers
	if discoInformers == nil {
		discoInformers = controller.NewKubeInformers(d.Manager, d.Kube, controller.CacheOptions{
			Transform: controller.StripTransform(constants.FieldManager(constants.ControllerServiceTemplate),
				constants.FieldManager(constants.ControllerClusterServiceTemplate))})
	}
	jobs := typedInformer[batchlisters.JobLister]{discoInformers.Jobs(sel), batchlisters.NewJobLister}
	pods := discoInformers.Pods(sel)
	byUID := cache.Indexers{"controller-uid": func(obj any) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Labels[LabelControllerUID] != "" {
			return []string{p.Labels[LabelControllerUID]}, nil
		}
		return nil, nil
	}}
	if err := wiring.EnsureIndexers(pods, byUID); err != nil {
		return nil, err
	}

	capN := d.DiscoveryCap
	if capN == 0 {
		capN = constants.DefaultDiscoveryCap
	}
	limiter := &discovery.Limiter{Cap: capN, Jobs: func() map[string]bool {
		out := map[string]bool{}
		for _, obj := range jobs.Informer().GetStore().List() {
			j, ok := obj.(*batchv1.Job)
			if !ok || j.Labels[constants.LabelK8sName] != constants.DiscoveryAppName {
				continue
			}
			ctl := constants.ControllerServiceTemplate
			if _, ok := j.Labels[constants.DomainLabelKey(constants.ControllerClusterServiceTemplate)]; ok {
				ctl = constants.ControllerClusterServiceTemplate
			}
			out[SlotKey(j.Namespace, ctl, j.Labels[constants.LabelTemplate])] = discovery.Finished(j) == nil
		}
		return out
	}}
	logs := d.Logs
	if logs == nil {
		logs = ClientsetLogs{Client: d.Kube}
	}
	resolver := d.Resolver
	if resolver == nil {
		resolver = wiring.Resolver(nil)
	}
	lookup := runtimeconfig.Lookup{Namespaced: rcs.Lister(), Cluster: crcs.Lister()}
	versions := wiring.CacheLookup(nil, map[schema.GroupVersionResource]cache.SharedIndexInformer{
		{Group: "batch", Version: "v1", Resource: "jobs"}:                 jobs.Informer(),
		wiring.GVR(aimv1.SchemeGroupVersion.WithKind("AIMTemplateCache")): caches.Informer(),
	})
	listNodes := func() ([]*corev1.Node, error) { return gpu.NodesOf(nodeInf.GetStore().List()), nil }
	jobsOf := func(ctl string) func(ns, tpl string) ([]*batchv1.Job, error) {
		return func(ns, tpl string) ([]*batchv1.Job, error) {
			all, err := jobs.Lister().Jobs(ns).List(labels.SelectorFromSet(labels.Set{constants.LabelTemplate: tpl}))
			if err != nil {
				return nil, err
			}
			var out []*batchv1.Job
			for _, j := range all {
				if j.Labels[constants.DomainLabelKey(ctl)] == tpl {
					out = append(out, j)
				}
			}
			return out, nil
		}
	}
	podsOf := func(ns string, uid types.UID) ([]*corev1.Pod, error) {
		items, err := pods.GetIndexer().ByIndex("controller-uid", string(uid))
		if err != nil {
			return nil, err
		}
		var out []*corev1.Pod
		for _, it := range items {
			if p, ok := it.(*corev1.Pod); ok && p.Namespace == ns {
				out = append(out, p)
			}
		}
		return out, nil
	}
	rec := d.Recorder.For
	modelInfoNS := func(ns, name string) (*ModelInfo, error) {
		m, err := models.Lister().AIMModels(ns).Get(name)
		if err != nil {
			return nil, err
		}
		return &ModelInfo{Name: m.Name, Namespace: m.Namespace, UID: m.UID, Spec: &m.Spec, Status: &m.Status}, nil
	}
	modelInfoCluster := func(_, name string) (*ModelInfo, error) {
		m, err := cmodels.Lister().Get(name)
		if err != nil {
			return nil, err
		}
		return &ModelInfo{Name: m.Name, UID: m.UID, Spec: &m.Spec, Status: &m.Status}, nil
	}

	// AIMServiceTemplate.
	nsName := constants.ControllerServiceTemplate
	nsApplier := d.ApplyHook.Attach(statemachine.NewApplier(d.Dynamic, resolver, constants.FieldManager(nsName)), nsName)
	nsApplier.Lookup = versions
	src := Sources{RuntimeConfigs: lookup, Nodes: listNodes, Pods: podsOf, Logs: logs, Limiter: limiter,
		Backoff: d.Backoff, SystemNamespace: d.SystemNamespace, Clock: d.Clock, PodAnnotations: d.PodAnnotations}
	nsRec := NewTemplateReconciler(src, modelInfoNS, jobsOf(nsName), func(ns string) ([]*aimv1.AIMTemplateCache, error) {
		return caches.Lister().AIMTemplateCaches(ns).List(labels.Everything())
	})
	nsPipe := &statemachine.Pipeline[*aimv1.AIMServiceTemplate, *aimv1.AIMServiceTemplateStatus, Fetched, Observation]{
		Name: nsName, Reconciler: nsRec,
		StatusOf: func(o *aimv1.AIMServiceTemplate) *aimv1.AIMServiceTemplateStatus { return &o.Status },
		Fields: func(o *aimv1.AIMServiceTemplate) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMServiceTemplate) error {
			_, err := d.Client.AimV1alpha1().AIMServiceTemplates(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(nsName)})
			return err
		},
		OwnerGVK: aimv1.SchemeGroupVersion.WithKind("AIMServiceTemplate"), Applier: nsApplier, Client: statemachine.WithClient[kubeclient.Interface](d.Kube),
		Recorder: rec(nsName), PauseAnnotation: constants.AnnotationReconciliationPaused, Clock: d.Clock,
	}
	nsCtl, err := controller.New(controller.Options{Name: nsName, Queue: d.Queue,
		Reconcile: wiring.ReconcileNamespaced(tpls.Lister().AIMServiceTemplates, nil, nsPipe.Run)})
	if err != nil {
		return nil, err
	}
	if err := register(nsCtl, tpls.Informer(), aimv1.Kind("AIMServiceTemplate"), false, jobs.Informer(), pods,
		nodeInf, models.Informer(), rcs.Informer(), crcs.Informer(), nsName); err != nil {
		return nil, err
	}
	if err := nsCtl.Owns(caches.Informer()); err != nil {
		return nil, err
	}

	// AIMClusterServiceTemplate.
	clName := constants.ControllerClusterServiceTemplate
	clApplier := d.ApplyHook.Attach(statemachine.NewApplier(d.Dynamic, resolver, constants.FieldManager(clName)), clName)
	clApplier.Lookup = versions
	clRec := NewClusterTemplateReconciler(src, modelInfoCluster, jobsOf(clName))
	clPipe := &statemachine.Pipeline[*aimv1.AIMClusterServiceTemplate, *aimv1.AIMServiceTemplateStatus, Fetched, Observation]{
		Name: clName, Reconciler: clRec,
		StatusOf: func(o *aimv1.AIMClusterServiceTemplate) *aimv1.AIMServiceTemplateStatus { return &o.Status },
		Fields: func(o *aimv1.AIMClusterServiceTemplate) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMClusterServiceTemplate) error {
			_, err := d.Client.AimV1alpha1().AIMClusterServiceTemplates().UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(clName)})
			return err
		},
		OwnerGVK: aimv1.SchemeGroupVersion.WithKind("AIMClusterServiceTemplate"), Applier: clApplier, Client: statemachine.WithClient[kubeclient.Interface](d.Kube),
		Recorder: rec(clName), PauseAnnotation: constants.AnnotationReconciliationPaused, Clock: d.Clock,
	}
	clCtl, err := controller.New(controller.Options{Name: clName, Queue: d.Queue,
		Reconcile: wiring.ReconcileCluster(ctpls.Lister().Get, nil, clPipe.Run)})
	if err != nil {
		return nil, err
	}
	if err := register(clCtl, ctpls.Informer(), aimv1.Kind("AIMClusterServiceTemplate"), true, jobs.Informer(), pods,
		nodeInf, cmodels.Informer(), nil, crcs.Informer(), clName); err != nil {
		return nil, err
	}
	nsRec.Wake, clRec.Wake = nsCtl.Enqueue, clCtl.Enqueue
	// A finished or deleted discovery Job frees a slot: wake the templates waiting for one (they also
	// poll every CapRequeue, in case a wake is lost).
	if _, err := jobs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj any) {
			o, _ := oldObj.(*batchv1.Job)
			n, _ := newObj.(*batchv1.Job)
			if o != nil && n != nil && discovery.Finished(o) == nil && discovery.Finished(n) != nil {
				limiter.Wake(1)
			}
		},
		DeleteFunc: func(any) { limiter.Wake(1) },
	}); err != nil {
		return nil, err
	}
	d.Manager.Add(nsCtl, clCtl)
	d.Manager.AddInformerFactory(d.AIMInformers)
	return &Registered{Limiter: limiter, Jobs: jobs.Informer()}, nil
}

// register adds the watches shared by both template controllers.
func register(c *controller.Controller, primary cache.SharedIndexInformer, gk schema.GroupKind, cluster bool,
	jobs, pods, nodes, models, rcs, crcs cache.SharedIndexInformer, ctl string) error {
	idx := primary.GetIndexer()
	podKey := controller.MapToKey(func(o metav1.Object) (string, string) {
		name := o.GetLabels()[constants.DomainLabelKey(ctl)]
		if cluster {
			return "", name
		}
		return o.GetNamespace(), name
	})
	// Nodes matter only to templates that need a GPU, and only when GPU labels or capacity change.
	gpuTemplates := func(metav1.Object) []controller.Key {
		var keys []controller.Key
		for _, obj := range idx.List() {
			var spec *aimv1.AIMServiceTemplateSpecCommon
			switch t := obj.(type) {
			case *aimv1.AIMServiceTemplate:
				spec = &t.Spec.AIMServiceTemplateSpecCommon
			case *aimv1.AIMClusterServiceTemplate:
				spec = &t.Spec.AIMServiceTemplateSpecCommon
			}
			if spec != nil && spec.Hardware != nil && spec.Hardware.GPU != nil {
				m := obj.(metav1.Object)
				keys = append(keys, controller.NewKey(m.GetNamespace(), m.GetName()))
			}
		}
		return keys
	}
	nodeChanged := controller.WithUpdateFilter(func(oldObj, newObj metav1.Object) bool {
		return gpu.LabelsRelevant(gpu.AsNode(oldObj), gpu.AsNode(newObj))
	})
	podChanged := controller.WithUpdateFilter(func(oldObj, newObj metav1.Object) bool {
		o, _ := oldObj.(*corev1.Pod)
		n, _ := newObj.(*corev1.Pod)
		return o == nil || n == nil || podSummary(o) != podSummary(n)
	})
	byModel := controller.MapByIndex(idx, model.IndexTemplatesByModel, func(o metav1.Object) []string {
		ns := o.GetNamespace()
		if cluster {
			ns = ""
		}
		return []string{controller.IndexValue(ns, o.GetName())}
	})
	errs := []error{
		c.For(primary, gk, cluster),
		c.Owns(jobs),
		c.Watches(pods, podKey, podChanged),
		c.Watches(nodes, gpuTemplates, nodeChanged),
		c.Watches(models, byModel),
		c.Watches(crcs, runtimeconfig.MapClusterConfig(idx)),
	}
	if rcs != nil {
		errs = append(errs, c.Watches(rcs, runtimeconfig.MapNamespaceConfig(idx)))
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// podSummary is what makes a discovery pod event worth a reconcile: phase, readiness, waiting reasons.
func podSummary(p *corev1.Pod) string {
	s := string(p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		s += "|" + cs.Name
		if cs.Ready {
			s += "+"
		}
		if cs.State.Waiting != nil {
			s += ":" + cs.State.Waiting.Reason
		}
		if cs.State.Terminated != nil {
			s += "!" + cs.State.Terminated.Reason
		}
	}
	return s
}

// Options are the command-line settings of the template controllers.
type Options struct {
	// DiscoveryCap is the maximum number of discovery Jobs running at once, cluster-wide.
	DiscoveryCap int
}

// DefaultOptions returns the reference's values.
func DefaultOptions() Options { return Options{DiscoveryCap: constants.DefaultDiscoveryCap} }

// BindFlags registers --max-concurrent-discovery-jobs.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.DiscoveryCap, "max-concurrent-discovery-jobs", o.DiscoveryCap,
		"Maximum number of template discovery Jobs running at once, cluster-wide (counted from the cache).")
}

// Sources are the reads and settings shared by both template reconcilers.
type Sources struct {
	RuntimeConfigs  runtimeconfig.Lookup
	Nodes           func() ([]*corev1.Node, error)
	Pods            func(namespace string, jobUID types.UID) ([]*corev1.Pod, error)
	Logs            LogReader
	Limiter         *discovery.Limiter
	Backoff         discovery.Backoff
	SystemNamespace string
	Clock           clock.PassiveClock
	PodAnnotations  func(namespace, template string, attempt int32) map[string]string
}

// NewTemplateReconciler builds the AIMServiceTemplate domain reconciler.
func NewTemplateReconciler(s Sources, model func(ns, name string) (*ModelInfo, error),
	jobs func(ns, tpl string) ([]*batchv1.Job, error), caches func(ns string) ([]*aimv1.AIMTemplateCache, error)) *Reconciler[*aimv1.AIMServiceTemplate] {
	return &Reconciler[*aimv1.AIMServiceTemplate]{ControllerName: constants.ControllerServiceTemplate,
		Access: Accessors[*aimv1.AIMServiceTemplate]{
			Spec: func(o *aimv1.AIMServiceTemplate) *aimv1.AIMServiceTemplateSpecCommon {
				return &o.Spec.AIMServiceTemplateSpecCommon
			},
			Caching: func(o *aimv1.AIMServiceTemplate) *aimv1.AIMTemplateCachingConfig { return o.Spec.Caching },
			Status:  func(o *aimv1.AIMServiceTemplate) *aimv1.AIMServiceTemplateStatus { return &o.Status }},
		RuntimeConfigs: s.RuntimeConfigs, Model: model, Nodes: s.Nodes, Jobs: jobs, Pods: s.Pods, Caches: caches,
		Logs: s.Logs, Limiter: s.Limiter, Backoff: s.Backoff, SystemNamespace: s.SystemNamespace, Clock: s.Clock,
		PodAnnotations: s.PodAnnotations}
}

// NewClusterTemplateReconciler builds the AIMClusterServiceTemplate domain reconciler (its discovery Jobs
// run in s.SystemNamespace).
func NewClusterTemplateReconciler(s Sources, model func(ns, name string) (*ModelInfo, error),
	jobs func(ns, tpl string) ([]*batchv1.Job, error)) *Reconciler[*aimv1.AIMClusterServiceTemplate] {
	return &Reconciler[*aimv1.AIMClusterServiceTemplate]{Cluster: true, ControllerName: constants.ControllerClusterServiceTemplate,
		Access: Accessors[*aimv1.AIMClusterServiceTemplate]{
			Spec: func(o *aimv1.AIMClusterServiceTemplate) *aimv1.AIMServiceTemplateSpecCommon {
				return &o.Spec.AIMServiceTemplateSpecCommon
			},
			Status: func(o *aimv1.AIMClusterServiceTemplate) *aimv1.AIMServiceTemplateStatus { return &o.Status }},
		RuntimeConfigs: s.RuntimeConfigs, Model: model, Nodes: s.Nodes, Jobs: jobs, Pods: s.Pods,
		Logs: s.Logs, Limiter: s.Limiter, Backoff: s.Backoff, SystemNamespace: s.SystemNamespace, Clock: s.Clock,
		PodAnnotations: s.PodAnnotations}
}

// typedInformer pairs an informer with its lister, as the informers factory's typed informers do.
type typedInformer[L any] struct {
	inf       cache.SharedIndexInformer
	newLister func(cache.Indexer) L
}

func (t typedInformer[L]) Informer() cache.SharedIndexInformer { return t.inf }
func (t typedInformer[L]) Lister() L                           { return t.newLister(t.inf.GetIndexer()) }
