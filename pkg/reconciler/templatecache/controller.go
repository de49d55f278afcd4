package templatecache

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/childwiring"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Name is the controller name; the field manager is aim-template-cache-controller.
const Name = constants.ControllerTemplateCache

// Deps are what Register needs.
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
	// Resolver maps kinds to resources; nil resolves statically (childwiring).
	Resolver sm.Resolver
	Recorder wiring.RecorderFactory
	Queue    controller.QueueOptions
}

// NewPipeline builds the AIMTemplateCache pipeline.
func NewPipeline(r *Reconciler, client aimclient.Interface, applier *sm.Applier, rec sm.Recorder) *sm.Pipeline[*aimv1.AIMTemplateCache, *aimv1.AIMTemplateCacheStatus, *Fetched, Obs] {
	return &sm.Pipeline[*aimv1.AIMTemplateCache, *aimv1.AIMTemplateCacheStatus, *Fetched, Obs]{
		Name:       Name,
		Reconciler: r,
		StatusOf:   func(o *aimv1.AIMTemplateCache) *aimv1.AIMTemplateCacheStatus { return &o.Status },
		Fields: func(o *aimv1.AIMTemplateCache) sm.Status {
			return sm.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMTemplateCache) error {
			_, err := client.AimV1alpha1().AIMTemplateCaches(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(Name)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMTemplateCache"),
		Applier:         applier,
		DecorateChild:   decorateChild,
		Recorder:        rec,
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
}

func decorateChild(c *aimv1.AIMTemplateCache, child *unstructured.Unstructured) {
	childwiring.AddControllerLabels(child, Name, c.Name)
}

const indexTemplate = "aimlite.templatecache.template" // "<ns or ''>/<scope>/<template>"

// Register wires the AIMTemplateCache controller onto the manager.
func Register(d Deps) (*controller.Controller, error) {
	if d.Manager == nil || d.Informers == nil || d.Client == nil || d.Kube == nil || d.Dynamic == nil {
		return nil, errors.New("templatecache: Deps needs Manager, Informers, Client, Kube and Dynamic")
	}
	aim := d.Informers
	cacheInf := aim.AIMTemplateCaches().Informer()
	r := &Reconciler{Stores: Stores{
		Templates:        store.FromIndexer[*aimv1.AIMServiceTemplate](aim.AIMServiceTemplates().Informer().GetIndexer(), aimv1.Resource("aimservicetemplates")),
		ClusterTemplates: store.FromIndexer[*aimv1.AIMClusterServiceTemplate](aim.AIMClusterServiceTemplates().Informer().GetIndexer(), aimv1.Resource("aimclusterservicetemplates")),
		Artifacts:        store.FromIndexer[*aimv1.AIMArtifact](aim.AIMArtifacts().Informer().GetIndexer(), aimv1.Resource("aimartifacts")),
		RuntimeConfig:    runtimeconfig.Lookup{Namespaced: aim.AIMRuntimeConfigs().Lister(), Cluster: aim.AIMClusterRuntimeConfigs().Lister()},
	}}
	rec := d.Recorder.For(Name)
	applier := childwiring.Applier(d.Applier, d.Dynamic, d.Resolver, Name, d.ApplyHook)
	pipe := NewPipeline(r, d.Client, applier, rec)
	fin := newFinalizer(d, r.Stores.Artifacts)
	lister := aim.AIMTemplateCaches().Lister()
	ctl, err := controller.New(controller.Options{Name: Name, Queue: d.Queue,
		Reconcile: wiring.ReconcileNamespaced(lister.AIMTemplateCaches, fin.Handle, pipe.Run)})
	if err != nil {
		return nil, err
	}
	if err := wiring.EnsureIndexers(cacheInf, cache.Indexers{indexTemplate: controller.IndexBy(func(o metav1.Object) []string {
		c := o.(*aimv1.AIMTemplateCache)
		switch c.Spec.TemplateScope {
		case constants.ScopeCluster:
			return []string{"/Cluster/" + c.Spec.TemplateName}
		case constants.ScopeNamespace:
			return []string{c.Namespace + "/Namespace/" + c.Spec.TemplateName}
		}
		return []string{c.Namespace + "/Namespace/" + c.Spec.TemplateName, "/Cluster/" + c.Spec.TemplateName}
	})}); err != nil {
		return nil, err
	}
	if err := wiring.EnsureIndexers(cacheInf, runtimeconfig.Indexers()); err != nil {
		return nil, err
	}
	idx := cacheInf.GetIndexer()
	if err := ctl.For(cacheInf, aimv1.Kind("AIMTemplateCache"), false); err != nil {
		return nil, err
	}
	changed := controller.WithUpdateFilter(func(oldObj, newObj metav1.Object) bool {
		return statusKey(oldObj) != statusKey(newObj) || oldObj.GetDeletionTimestamp() != newObj.GetDeletionTimestamp()
	})
	// Artifacts are shared between caches of a namespace, so any artifact change re-checks them all.
	if err := ctl.Watches(aim.AIMArtifacts().Informer(), controller.MapAll(idx, true), changed); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMServiceTemplates().Informer(), controller.MapByIndex(idx, indexTemplate, func(o metav1.Object) []string {
		return []string{o.GetNamespace() + "/Namespace/" + o.GetName()}
	}), changed); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMClusterServiceTemplates().Informer(), controller.MapByIndex(idx, indexTemplate, func(o metav1.Object) []string {
		return []string{"/Cluster/" + o.GetName()}
	}), changed); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMRuntimeConfigs().Informer(), runtimeconfig.MapNamespaceConfig(idx)); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMClusterRuntimeConfigs().Informer(), runtimeconfig.MapClusterConfig(idx)); err != nil {
		return nil, err
	}
	d.Manager.Add(ctl)
	return ctl, nil
}

func statusKey(o metav1.Object) string {
	switch t := o.(type) {
	case *aimv1.AIMArtifact:
		var ready string
		for _, c := range t.Status.Conditions {
			if c.Type == constants.CondReady {
				ready = c.Reason + c.Message
			}
		}
		return string(t.Status.Status) + "|" + t.Status.PersistentVolumeClaim + "|" + ready
	case *aimv1.AIMServiceTemplate:
		return string(t.Status.Status) + fmt.Sprint(len(t.Status.ModelSources))
	case *aimv1.AIMClusterServiceTemplate:
		return string(t.Status.Status) + fmt.Sprint(len(t.Status.ModelSources))
	}
	return ""
}

// newFinalizer implements aim.eai.amd.com/artifactcleanup: on deletion it deletes the cache's
// artifacts that are not Ready, unless the namespace is going away.
func newFinalizer(d Deps, arts store.Store[*aimv1.AIMArtifact]) childwiring.CleanupFinalizer {
	return childwiring.CleanupFinalizer{
		Name: constants.FinalizerArtifactCleanup, GVR: aimv1.SchemeGroupVersion.WithResource("aimtemplatecaches"),
		Dynamic: d.Dynamic, Kube: d.Kube, FieldManager: constants.FieldManager(Name),
		Cleanup: func(ctx context.Context, obj metav1.Object) error {
			return childwiring.DeleteNotReadyLabelled(ctx, obj, constants.LabelTemplateCache, arts.List,
				func(a *aimv1.AIMArtifact) string { return string(a.Status.Status) },
				d.Client.AimV1alpha1().AIMArtifacts(obj.GetNamespace()).Delete)
		},
	}
}
