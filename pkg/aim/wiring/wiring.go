// Package wiring holds the small pieces every AIM reconciler's Register needs: idempotent index
// registration on shared informers, a static GVK→resource resolver for the kinds AIM controllers apply
// (no discovery round trips), cache-backed version lookups for the applier, and result conversion.
package wiring

import (
	"context"
	"fmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// EnsureIndexers adds the indexers whose names the informer does not have yet, so several controllers
// sharing one informer can each ask for the same index.
func EnsureIndexers(inf cache.SharedIndexInformer, idx cache.Indexers) error {
	have := inf.GetIndexer().GetIndexers()
	missing := cache.Indexers{}
	for name, fn := range idx {
		if _, ok := have[name]; !ok {
			missing[name] = fn
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := inf.AddIndexers(missing); err != nil {
		return fmt.Errorf("add indexers: %w", err)
	}
	return nil
}

type resource struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

var static = map[schema.GroupVersionKind]resource{}

func add(gvk schema.GroupVersionKind, res string, namespaced bool) {
	static[gvk] = resource{gvk.GroupVersion().WithResource(res), namespaced}
}

func init() {
	gv := aimv1.SchemeGroupVersion
	add(gv.WithKind("AIMModel"), "aimmodels", true)
	add(gv.WithKind("AIMClusterModel"), "aimclustermodels", false)
	add(gv.WithKind("AIMServiceTemplate"), "aimservicetemplates", true)
	add(gv.WithKind("AIMClusterServiceTemplate"), "aimclusterservicetemplates", false)
	add(gv.WithKind("AIMTemplateCache"), "aimtemplatecaches", true)
	add(gv.WithKind("AIMArtifact"), "aimartifacts", true)
	add(gv.WithKind("AIMService"), "aimservices", true)
	add(gv.WithKind("AIMRuntimeConfig"), "aimruntimeconfigs", true)
	add(gv.WithKind("AIMClusterRuntimeConfig"), "aimclusterruntimeconfigs", false)
	add(gv.WithKind("AIMClusterModelSource"), "aimclustermodelsources", false)
	add(schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}, "jobs", true)
	add(schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", true)
	add(schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"}, "persistentvolumeclaims", true)
}

// Resolver resolves the kinds above statically and falls back to next (may be nil).
func Resolver(next statemachine.Resolver) statemachine.Resolver {
	return statemachine.ResolverFunc(func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
		if r, ok := static[gvk]; ok {
			return r.gvr, r.namespaced, nil
		}
		if next != nil {
			return next.ResourceFor(gvk)
		}
		return schema.GroupVersionResource{}, false, fmt.Errorf("no resource known for %s", gvk)
	})
}

// CacheLookup answers the applier's "current resourceVersion" question from informer caches, so a
// skipped no-op apply costs no request. GVRs without an informer fall back to next (nil: NotFound).
func CacheLookup(next statemachine.VersionLookup, informers map[schema.GroupVersionResource]cache.SharedIndexInformer) statemachine.VersionLookup {
	return func(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (string, error) {
		inf, ok := informers[gvr]
		if !ok {
			if next != nil {
				return next(ctx, gvr, ns, name)
			}
			return "", apierrors.NewNotFound(gvr.GroupResource(), name)
		}
		key := name
		if ns != "" {
			key = ns + "/" + name
		}
		obj, exists, err := inf.GetIndexer().GetByKey(key)
		if err != nil {
			return "", err
		}
		if !exists {
			return "", apierrors.NewNotFound(gvr.GroupResource(), name)
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return "", err
		}
		return m.GetResourceVersion(), nil
	}
}

// Result converts the engine's result to the controller's.
func Result(r statemachine.Result, err error) (controller.Result, error) {
	return controller.Result{Requeue: r.Requeue, RequeueAfter: r.RequeueAfter}, err
}

// GVR returns the static resource of a kind known to this package.
func GVR(gvk schema.GroupVersionKind) schema.GroupVersionResource { return static[gvk].gvr }

// ApplyHook reports every apply outcome of a controller ("sent", "skipped", ...), e.g. to
// Prometheus (pkg/controller/metrics.Prometheus.ApplyHook). A nil hook reports nothing.
type ApplyHook func(controller string) func(gvr schema.GroupVersionResource, outcome string)

// Attach makes a report its outcomes under the controller's name, and returns a.
func (h ApplyHook) Attach(a *statemachine.Applier, controller string) *statemachine.Applier {
	if h != nil && a != nil {
		a.OnApply = h(controller)
	}
	return a
}

// ReconcileNamespaced returns the reconcile function every AIM controller of a namespaced kind
// shares: read the object from the informer cache (gone: nothing to do), let before handle it
// first (a finalizer; done stops here; nil skips it), then run the engine's pipeline.
func ReconcileNamespaced[T metav1.Object, L interface{ Get(name string) (T, error) }](lister func(namespace string) L,
	before func(context.Context, metav1.Object) (bool, error), run func(context.Context, T) (statemachine.Result, error)) controller.ReconcileFunc {
	return reconcileCached(func(k controller.Key) (T, error) { return lister(k.Namespace).Get(k.Name) }, before, run)
}

// ReconcileCluster is ReconcileNamespaced for a cluster-scoped kind.
func ReconcileCluster[T metav1.Object](get func(name string) (T, error),
	before func(context.Context, metav1.Object) (bool, error), run func(context.Context, T) (statemachine.Result, error)) controller.ReconcileFunc {
	return reconcileCached(func(k controller.Key) (T, error) { return get(k.Name) }, before, run)
}

func reconcileCached[T metav1.Object](get func(controller.Key) (T, error),
	before func(context.Context, metav1.Object) (bool, error), run func(context.Context, T) (statemachine.Result, error)) controller.ReconcileFunc {
	return func(ctx context.Context, key controller.Key) (controller.Result, error) {
		obj, err := get(key)
		if apierrors.IsNotFound(err) {
			return controller.Result{}, nil
		} else if err != nil {
			return controller.Result{}, err
		}
		if before != nil {
			if done, err := before(ctx, obj); done {
				return controller.Result{}, err
			}
		}
		return Result(run(ctx, obj))
	}
}

// RecorderFactory returns the event recorder of a controller name. A nil factory means no events.
type RecorderFactory func(controllerName string) statemachine.Recorder

// For returns the recorder of controller, or nil (no events) when f is nil.
func (f RecorderFactory) For(controller string) statemachine.Recorder {
	if f == nil {
		return nil
	}
	return f(controller)
}
