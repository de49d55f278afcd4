package clustermodelsource

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/registry"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// Deps are what Register needs. Informers is shared with the other AIM controllers; the caller registers
// it with the Manager (Register does not).
type Deps struct {
	// ApplyHook, when set, counts this controller's apply outcomes (sent / skipped) for /metrics.
	ApplyHook wiring.ApplyHook
	Manager   *controller.Manager
	Informers *aimclient.InformerFactory
	Client    aimclient.Interface
	// Kube reads pull secrets in SystemNamespace (GET only, never cached).
	Kube    kubeclient.Interface
	Dynamic dynamic.Interface
	// Resolver maps GVKs to resources; nil uses wiring.Resolver(nil).
	Resolver statemachine.Resolver
	// Registry lists images; nil uses registry.Remote{}.
	Registry registry.Client
	// Recorder returns the event recorder of a controller name (nil: no events).
	Recorder wiring.RecorderFactory
	Queue    controller.QueueOptions
	// SystemNamespace holds the pull secrets (AIM_SYSTEM_NAMESPACE).
	SystemNamespace string
}

// Pipeline is the engine type of this controller.
type Pipeline = statemachine.Pipeline[*aimv1.AIMClusterModelSource, *aimv1.AIMClusterModelSourceStatus, *Fetched, Observation]

// NewPipeline builds the AIMClusterModelSource pipeline.
func NewPipeline(r *Reconciler, client aimclient.Interface, applier *statemachine.Applier, rec statemachine.Recorder) *Pipeline {
	return &Pipeline{
		Name:       Name,
		Reconciler: r,
		StatusOf:   func(o *aimv1.AIMClusterModelSource) *aimv1.AIMClusterModelSourceStatus { return &o.Status },
		Fields: func(o *aimv1.AIMClusterModelSource) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMClusterModelSource) error {
			_, err := client.AimV1alpha1().AIMClusterModelSources().UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(Name)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMClusterModelSource"),
		Applier:         applier,
		Recorder:        rec,
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
}

// Register wires the AIMClusterModelSource controller onto the manager. It watches the sources, and the
// AIMClusterModels labelled `aim.eai.amd.com/model-source` (added, deleted, or relabelled; model status
// changes are ignored): a deleted generated model re-enqueues its source, which re-applies it at once.
func Register(d Deps) (*controller.Controller, error) {
	v1 := d.Informers
	sources, models, crcs := v1.AIMClusterModelSources(), v1.AIMClusterModels(), v1.AIMClusterRuntimeConfigs()
	reg := d.Registry
	if reg == nil {
		reg = registry.Remote{}
	}
	resolver := d.Resolver
	if resolver == nil {
		resolver = wiring.Resolver(nil)
	}
	rec := d.Recorder.For(Name)
	lookup := runtimeconfig.Lookup{Cluster: crcs.Lister()}
	r := &Reconciler{
		Registry: reg,
		Models:   models.Lister(),
		Secrets: func(ctx context.Context, ns, name string) (*corev1.Secret, error) {
			return d.Kube.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		},
		RuntimeConfig: func() *aimv1.AIMRuntimeConfigSpec {
			res, err := lookup.Resolve("", "")
			if err != nil {
				return nil
			}
			return res.Spec
		},
		SystemNamespace: d.SystemNamespace,
	}
	applier := d.ApplyHook.Attach(statemachine.NewApplier(d.Dynamic, resolver, constants.FieldManager(Name)), Name)
	applier.Lookup = wiring.CacheLookup(nil, map[schema.GroupVersionResource]cache.SharedIndexInformer{
		wiring.GVR(aimv1.SchemeGroupVersion.WithKind("AIMClusterModel")): models.Informer(),
	})
	pipe := NewPipeline(r, d.Client, applier, rec)
	guard := &staleGuard{written: map[types.UID]string{}}
	write := pipe.UpdateStatus
	pipe.UpdateStatus = func(ctx context.Context, o *aimv1.AIMClusterModelSource) error {
		err := write(ctx, o)
		if err == nil {
			guard.wrote(o)
		}
		return err
	}
	lister := sources.Lister()
	ctl, err := controller.New(controller.Options{Name: Name, Queue: d.Queue,
		Reconcile: func(ctx context.Context, key controller.Key) (controller.Result, error) {
			src, err := lister.Get(key.Name)
			if apierrors.IsNotFound(err) {
				guard.forget(key.Name)
				r.Forget(key.Name)
				return controller.Result{}, nil
			} else if err != nil {
				return controller.Result{}, err
			}
			if guard.stale(src) {
				// Our own status write is not in the cache yet; its watch event re-queues the source.
				return controller.Result{}, nil
			}
			return wiring.Result(pipe.Run(ctx, src))
		}})
	if err != nil {
		return nil, err
	}
	if err := ctl.For(sources.Informer(), aimv1.Kind("AIMClusterModelSource"), true); err != nil {
		return nil, err
	}
	toSource := controller.MapToKey(func(o metav1.Object) (string, string) {
		return "", o.GetLabels()[constants.LabelModelSource]
	})
	sourceLabelChanged := controller.WithUpdateFilter(func(oldObj, newObj metav1.Object) bool {
		return oldObj.GetLabels()[constants.LabelModelSource] != newObj.GetLabels()[constants.LabelModelSource]
	})
	if err := ctl.Watches(models.Informer(), toSource, sourceLabelChanged); err != nil {
		return nil, err
	}
	// The cluster runtime config only feeds label propagation of models created later: wait for its cache,
	// enqueue nothing.
	if err := ctl.Watches(crcs.Informer(), func(metav1.Object) []controller.Key { return nil }); err != nil {
		return nil, err
	}
	d.Manager.Add(ctl)
	return ctl, nil
}

// staleGuard skips reconciles of a source whose cached copy predates our last status write. Why: a model
// event right after a sync would otherwise see the old lastSyncTime and read the registry a second time
// (its status write then conflicts). It keeps, per source, the resourceVersion the last successful write
// was based on; the cache holding exactly that version means it has not seen the write yet.
type staleGuard struct {
	mu      sync.Mutex
	written map[types.UID]string
	names   map[string]types.UID
}

func (g *staleGuard) wrote(o *aimv1.AIMClusterModelSource) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.names == nil {
		g.names = map[string]types.UID{}
	}
	g.written[o.UID] = o.ResourceVersion // the version read, not the one the write produced
	g.names[o.Name] = o.UID
}

func (g *staleGuard) stale(o *aimv1.AIMClusterModelSource) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	rv, ok := g.written[o.UID]
	return ok && rv == o.ResourceVersion
}

func (g *staleGuard) forget(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if uid, ok := g.names[name]; ok {
		delete(g.written, uid)
		delete(g.names, name)
	}
}
