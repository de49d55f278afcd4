package model

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/imagemeta"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// IndexTemplatesByModel indexes (cluster) service templates by "namespace/modelName" ("/modelName" for
// cluster templates), so a model finds the templates that name it and a model event reaches them.
const IndexTemplatesByModel = "aim.eai.amd.com/modelName"

// TemplateIndexers is the index shared by the model and template controllers.
func TemplateIndexers() cache.Indexers {
	return cache.Indexers{IndexTemplatesByModel: controller.IndexBy(func(o metav1.Object) []string {
		switch t := o.(type) {
		case *aimv1.AIMServiceTemplate:
			return []string{controller.IndexValue(t.Namespace, t.Spec.ModelName)}
		case *aimv1.AIMClusterServiceTemplate:
			return []string{controller.IndexValue("", t.Spec.ModelName)}
		}
		return nil
	})}
}

// Deps are what Register needs. Informers is shared with the other AIM controllers.
type Deps struct {
	// ApplyHook, when set, counts this controller's apply outcomes (sent / skipped) for /metrics.
	ApplyHook wiring.ApplyHook
	Manager   *controller.Manager
	Informers *aimclient.InformerFactory
	Client    aimclient.Interface
	Kube      kubeclient.Interface
	Dynamic   dynamic.Interface
	// Resolver maps GVKs to resources; nil uses wiring.Resolver(nil).
	Resolver statemachine.Resolver
	// Fetcher reads image metadata; nil uses imagemeta.RegistryFetcher{}.
	Fetcher imagemeta.Fetcher
	// Recorder returns the event recorder of a controller name (nil: no events).
	Recorder        wiring.RecorderFactory
	Queue           controller.QueueOptions
	SystemNamespace string
}

// Register wires the AIMModel and AIMClusterModel controllers onto the manager.
func Register(d Deps) error {
	v1 := d.Informers
	models, cmodels := v1.AIMModels(), v1.AIMClusterModels()
	tpls, ctpls := v1.AIMServiceTemplates(), v1.AIMClusterServiceTemplates()
	for _, inf := range []cache.SharedIndexInformer{models.Informer(), cmodels.Informer()} {
		if err := wiring.EnsureIndexers(inf, runtimeconfig.Indexers()); err != nil {
			return err
		}
	}
	for _, inf := range []cache.SharedIndexInformer{tpls.Informer(), ctpls.Informer()} {
		if err := wiring.EnsureIndexers(inf, TemplateIndexers()); err != nil {
			return err
		}
	}
	rcs, crcs := v1.AIMRuntimeConfigs(), v1.AIMClusterRuntimeConfigs()
	lookup := runtimeconfig.Lookup{Namespaced: rcs.Lister(), Cluster: crcs.Lister()}
	fetcher := d.Fetcher
	if fetcher == nil {
		fetcher = imagemeta.RegistryFetcher{}
	}
	resolver := d.Resolver
	if resolver == nil {
		resolver = wiring.Resolver(nil)
	}
	secrets := func(ctx context.Context, ns, name string) (*corev1.Secret, error) {
		return d.Kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	}
	listTemplates := func(inf cache.SharedIndexInformer) TemplateLister {
		return func(ns, model string) ([]TemplateInfo, error) {
			items, err := inf.GetIndexer().ByIndex(IndexTemplatesByModel, controller.IndexValue(ns, model))
			if err != nil {
				return nil, err
			}
			out := make([]TemplateInfo, 0, len(items))
			for _, it := range items {
				switch t := it.(type) {
				case *aimv1.AIMServiceTemplate:
					out = append(out, TemplateInfo{Name: t.Name, Status: string(t.Status.Status)})
				case *aimv1.AIMClusterServiceTemplate:
					out = append(out, TemplateInfo{Name: t.Name, Status: string(t.Status.Status)})
				}
			}
			SortTemplates(out)
			return out, nil
		}
	}
	rec := d.Recorder.For
	lookupVersions := wiring.CacheLookup(nil, map[schema.GroupVersionResource]cache.SharedIndexInformer{
		wiring.GVR(aimv1.SchemeGroupVersion.WithKind("AIMServiceTemplate")):        tpls.Informer(),
		wiring.GVR(aimv1.SchemeGroupVersion.WithKind("AIMClusterServiceTemplate")): ctpls.Informer(),
	})

	// AIMModel.
	nsApplier := d.ApplyHook.Attach(statemachine.NewApplier(d.Dynamic, resolver, constants.FieldManager(constants.ControllerModel)), constants.ControllerModel)
	nsApplier.Lookup = lookupVersions
	nsPipe := &statemachine.Pipeline[*aimv1.AIMModel, *aimv1.AIMModelStatus, Fetched, Observation]{
		Name:       constants.ControllerModel,
		Reconciler: NewModelReconciler(lookup, listTemplates(tpls.Informer()), secrets, fetcher),
		StatusOf:   func(o *aimv1.AIMModel) *aimv1.AIMModelStatus { return &o.Status },
		Fields: func(o *aimv1.AIMModel) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMModel) error {
			_, err := d.Client.AimV1alpha1().AIMModels(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(constants.ControllerModel)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMModel"),
		Applier:         nsApplier,
		Recorder:        rec(constants.ControllerModel),
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
	nsCtl, err := controller.New(controller.Options{Name: constants.ControllerModel, Queue: d.Queue,
		Reconcile: wiring.ReconcileNamespaced(models.Lister().AIMModels, nil, nsPipe.Run)})
	if err != nil {
		return err
	}
	toModel := controller.MapToKey(func(o metav1.Object) (string, string) {
		if t, ok := o.(*aimv1.AIMServiceTemplate); ok {
			return t.Namespace, t.Spec.ModelName
		}
		return "", ""
	})
	if err := firstErr(
		nsCtl.For(models.Informer(), aimv1.Kind("AIMModel"), false),
		nsCtl.Watches(tpls.Informer(), toModel),
		nsCtl.Watches(rcs.Informer(), runtimeconfig.MapNamespaceConfig(models.Informer().GetIndexer())),
		nsCtl.Watches(crcs.Informer(), runtimeconfig.MapClusterConfig(models.Informer().GetIndexer())),
	); err != nil {
		return err
	}

	// AIMClusterModel.
	clApplier := d.ApplyHook.Attach(statemachine.NewApplier(d.Dynamic, resolver, constants.FieldManager(constants.ControllerClusterModel)), constants.ControllerClusterModel)
	clApplier.Lookup = lookupVersions
	clPipe := &statemachine.Pipeline[*aimv1.AIMClusterModel, *aimv1.AIMModelStatus, Fetched, Observation]{
		Name:       constants.ControllerClusterModel,
		Reconciler: NewClusterModelReconciler(lookup, listTemplates(ctpls.Informer()), secrets, fetcher, d.SystemNamespace),
		StatusOf:   func(o *aimv1.AIMClusterModel) *aimv1.AIMModelStatus { return &o.Status },
		Fields: func(o *aimv1.AIMClusterModel) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMClusterModel) error {
			_, err := d.Client.AimV1alpha1().AIMClusterModels().UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(constants.ControllerClusterModel)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMClusterModel"),
		Applier:         clApplier,
		Recorder:        rec(constants.ControllerClusterModel),
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
	clCtl, err := controller.New(controller.Options{Name: constants.ControllerClusterModel, Queue: d.Queue,
		Reconcile: wiring.ReconcileCluster(cmodels.Lister().Get, nil, clPipe.Run)})
	if err != nil {
		return err
	}
	toClusterModel := controller.MapToKey(func(o metav1.Object) (string, string) {
		if t, ok := o.(*aimv1.AIMClusterServiceTemplate); ok {
			return "", t.Spec.ModelName
		}
		return "", ""
	})
	if err := firstErr(
		clCtl.For(cmodels.Informer(), aimv1.Kind("AIMClusterModel"), true),
		clCtl.Watches(ctpls.Informer(), toClusterModel),
		clCtl.Watches(crcs.Informer(), runtimeconfig.MapClusterConfig(cmodels.Informer().GetIndexer())),
	); err != nil {
		return err
	}
	d.Manager.Add(nsCtl, clCtl)
	d.Manager.AddInformerFactory(d.Informers)
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// NewModelReconciler builds the AIMModel domain reconciler.
func NewModelReconciler(rc runtimeconfig.Lookup, templates TemplateLister, secrets SecretGetter, fetcher imagemeta.Fetcher) *Reconciler[*aimv1.AIMModel] {
	return &Reconciler[*aimv1.AIMModel]{ControllerName: constants.ControllerModel,
		Access: Accessors[*aimv1.AIMModel]{
			Spec:   func(o *aimv1.AIMModel) *aimv1.AIMModelSpec { return &o.Spec },
			Status: func(o *aimv1.AIMModel) *aimv1.AIMModelStatus { return &o.Status }},
		RuntimeConfigs: rc, Templates: templates, Secrets: secrets, Fetcher: fetcher}
}

// NewClusterModelReconciler builds the AIMClusterModel domain reconciler; pull secrets are read from
// systemNamespace.
func NewClusterModelReconciler(rc runtimeconfig.Lookup, templates TemplateLister, secrets SecretGetter, fetcher imagemeta.Fetcher, systemNamespace string) *Reconciler[*aimv1.AIMClusterModel] {
	return &Reconciler[*aimv1.AIMClusterModel]{Cluster: true, ControllerName: constants.ControllerClusterModel,
		Access: Accessors[*aimv1.AIMClusterModel]{
			Spec:   func(o *aimv1.AIMClusterModel) *aimv1.AIMModelSpec { return &o.Spec },
			Status: func(o *aimv1.AIMClusterModel) *aimv1.AIMModelStatus { return &o.Status }},
		RuntimeConfigs: rc, Templates: templates, Secrets: secrets, Fetcher: fetcher, SystemNamespace: systemNamespace}
}
