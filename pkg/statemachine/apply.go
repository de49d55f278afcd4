package statemachine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/client-go/dynamic"
)

// Resolver maps a kind to its resource and says whether it is namespaced.
type Resolver interface {
	ResourceFor(gvk schema.GroupVersionKind) (gvr schema.GroupVersionResource, namespaced bool, err error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error)

func (f ResolverFunc) ResourceFor(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
	return f(gvk)
}

// MapperResolver resolves through a RESTMapper (e.g. restmapper.NewDeferredDiscoveryRESTMapper).
func MapperResolver(m meta.RESTMapper) Resolver {
	return ResolverFunc(func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
		mapping, err := m.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return schema.GroupVersionResource{}, false, err
		}
		return mapping.Resource, mapping.Scope.Name() == meta.RESTScopeNameNamespace, nil
	})
}

// VersionLookup returns an object's current resourceVersion, from an informer cache or a live read; it
// returns a NotFound error for an absent object.
type VersionLookup func(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (string, error)

// ApplyStats counts what the applier did; Skipped are applies (and deletes) that would have changed nothing.
type ApplyStats struct {
	Sent, Skipped, Deleted, DeleteSkipped int64
}

// Applier sends planned objects with server-side apply through the dynamic client.
//
// No-op detection uses an intent-hash cache rather than comparing against managedFields: after each apply
// it remembers (resourceVersion returned, hash of the applied intent) per object, and skips the next apply
// while both the intent hash and the live resourceVersion are unchanged. Why: it needs no managedFields (the
// informer cache may strip them to save memory), no per-kind schema to extract owned fields, and no
// normalisation of server defaults ("1000m" vs "1"); any change by anyone to the object bumps its
// resourceVersion and triggers one (server-side no-op) re-apply that heals drift. The cost is one small map
// entry per owned object; a process restart re-applies everything once.
type Applier struct {
	client       dynamic.Interface
	resolver     Resolver
	fieldManager string
	// Lookup reads the live resourceVersion; nil means a live GET through the dynamic client. Pass an
	// informer-backed lookup (e.g. a metadata informer) to make unchanged reconciles free of API calls.
	Lookup VersionLookup
	// Scheme resolves the kind of typed objects that carry no TypeMeta (optional).
	Scheme *runtime.Scheme
	// OnApply, when set, is told about every apply outcome ("sent", "skipped", "deleted", "delete-skipped"),
	// e.g. to feed a Prometheus counter.
	OnApply func(gvr schema.GroupVersionResource, outcome string)

	mu    sync.Mutex
	cache map[string]applied
	stats struct{ sent, skipped, deleted, deleteSkipped atomic.Int64 }
}

type applied struct {
	rv   string
	hash [32]byte
}

// maxCache bounds the intent cache; objects garbage-collected with their owner are never looked up again,
// so the map is simply reset when it outgrows this (costing one re-apply per object).
const maxCache = 50000

// NewApplier builds an applier with one stable field manager for the controller.
func NewApplier(client dynamic.Interface, resolver Resolver, fieldManager string) *Applier {
	return &Applier{client: client, resolver: resolver, fieldManager: fieldManager, cache: map[string]applied{}}
}

// FieldManager returns the SSA field manager.
func (a *Applier) FieldManager() string { return a.fieldManager }

// Stats returns the counters.
func (a *Applier) Stats() ApplyStats {
	return ApplyStats{Sent: a.stats.sent.Load(), Skipped: a.stats.skipped.Load(), Deleted: a.stats.deleted.Load(), DeleteSkipped: a.stats.deleteSkipped.Load()}
}

func (a *Applier) note(gvr schema.GroupVersionResource, outcome string, c *atomic.Int64) {
	c.Add(1)
	if a.OnApply != nil {
		a.OnApply(gvr, outcome)
	}
}

// ToUnstructured converts a planned object (apply configuration, unstructured or typed object) to
// unstructured, dropping the fields a controller must never apply (status, creationTimestamp: null).
func ToUnstructured(obj any, scheme *runtime.Scheme) (*unstructured.Unstructured, error) {
	var u *unstructured.Unstructured
	switch o := obj.(type) {
	case nil:
		return nil, errors.New("nil object in plan")
	case *unstructured.Unstructured:
		u = o.DeepCopy()
	default:
		data, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("marshal %T: %w", obj, err)
		}
		u = &unstructured.Unstructured{}
		// utiljson keeps integers as int64 (encoding/json would make them float64 and lose precision).
		if err := utiljson.Unmarshal(data, &u.Object); err != nil {
			return nil, fmt.Errorf("%T is not a JSON object: %w", obj, err)
		}
		if u.Object == nil {
			return nil, fmt.Errorf("%T marshals to null", obj)
		}
	}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		ro, ok := obj.(runtime.Object)
		if !ok || scheme == nil {
			return nil, fmt.Errorf("%T has no apiVersion/kind", obj)
		}
		gvks, _, err := scheme.ObjectKinds(ro)
		if err != nil || len(gvks) == 0 {
			return nil, fmt.Errorf("%T has no apiVersion/kind and is not in the scheme: %v", obj, err)
		}
		u.SetGroupVersionKind(gvks[0])
	}
	if u.GetName() == "" {
		return nil, fmt.Errorf("%s without metadata.name", u.GetKind())
	}
	delete(u.Object, "status")
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		if ts, ok := md["creationTimestamp"]; ok && ts == nil {
			delete(md, "creationTimestamp")
		}
	}
	return u, nil
}

// SetControllerRef makes owner the controller of obj with blockOwnerDeletion, replacing any reference to the
// same UID. A namespaced owner can only own objects in its own namespace.
func SetControllerRef(obj *unstructured.Unstructured, owner metav1.Object, ownerGVK schema.GroupVersionKind, childNamespaced bool) error {
	if ownerGVK.Kind == "" {
		return errors.New("owner kind unknown: set Pipeline.OwnerGVK")
	}
	if owner.GetNamespace() != "" && (!childNamespaced || obj.GetNamespace() != owner.GetNamespace()) {
		return NewInvalidSpecError("CrossNamespaceOwner",
			fmt.Sprintf("%s %s/%s cannot be owned by %s %s/%s", obj.GetKind(), obj.GetNamespace(), obj.GetName(), ownerGVK.Kind, owner.GetNamespace(), owner.GetName()), nil)
	}
	yes := true
	ref := metav1.OwnerReference{APIVersion: ownerGVK.GroupVersion().String(), Kind: ownerGVK.Kind, Name: owner.GetName(),
		UID: owner.GetUID(), Controller: &yes, BlockOwnerDeletion: &yes}
	refs := obj.GetOwnerReferences()
	for i := range refs {
		if refs[i].UID == ref.UID {
			refs[i] = ref
			obj.SetOwnerReferences(refs)
			return nil
		}
	}
	obj.SetOwnerReferences(append(refs, ref))
	return nil
}

// item is a planned object ready to send.
type item struct {
	u          *unstructured.Unstructured
	gvr        schema.GroupVersionResource
	namespaced bool
}

func (a *Applier) prepare(objs []any) ([]item, error) {
	items := make([]item, 0, len(objs))
	for _, o := range objs {
		u, err := ToUnstructured(o, a.Scheme)
		if err != nil {
			return nil, NewInvalidSpecError("InvalidPlan", err.Error(), err)
		}
		gvr, namespaced, err := a.resolver.ResourceFor(u.GroupVersionKind())
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", u.GroupVersionKind(), err)
		}
		if !namespaced {
			u.SetNamespace("")
		} else if u.GetNamespace() == "" {
			return nil, NewInvalidSpecError("InvalidPlan", fmt.Sprintf("%s %s needs a namespace", u.GetKind(), u.GetName()), nil)
		}
		items = append(items, item{u: u, gvr: gvr, namespaced: namespaced})
	}
	// Deterministic order: kind, then namespace, then name.
	sort.SliceStable(items, func(i, j int) bool {
		ki, kj := items[i].u.GroupVersionKind().String(), items[j].u.GroupVersionKind().String()
		if ki != kj {
			return ki < kj
		}
		if items[i].u.GetNamespace() != items[j].u.GetNamespace() {
			return items[i].u.GetNamespace() < items[j].u.GetNamespace()
		}
		return items[i].u.GetName() < items[j].u.GetName()
	})
	return items, nil
}

func key(gvr schema.GroupVersionResource, ns, name string) string {
	return gvr.String() + "|" + ns + "|" + name
}

func (a *Applier) liveVersion(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (string, error) {
	if a.Lookup != nil {
		return a.Lookup(ctx, gvr, ns, name)
	}
	live, err := a.client.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return live.GetResourceVersion(), nil
}

func (a *Applier) apply(ctx context.Context, it item, force bool) error {
	data, err := json.Marshal(it.u.Object) // map keys are sorted: a stable hash
	if err != nil {
		return err
	}
	h := sha256.Sum256(data)
	k := key(it.gvr, it.u.GetNamespace(), it.u.GetName())
	a.mu.Lock()
	prev, seen := a.cache[k]
	a.mu.Unlock()
	if seen && prev.hash == h {
		if rv, err := a.liveVersion(ctx, it.gvr, it.u.GetNamespace(), it.u.GetName()); err == nil && rv == prev.rv {
			a.note(it.gvr, "skipped", &a.stats.skipped)
			return nil
		}
	}
	out, err := a.client.Resource(it.gvr).Namespace(it.u.GetNamespace()).Apply(ctx, it.u.GetName(), it.u,
		metav1.ApplyOptions{FieldManager: a.fieldManager, Force: force})
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		delete(a.cache, k)
		return fmt.Errorf("apply %s %s/%s: %w", it.u.GetKind(), it.u.GetNamespace(), it.u.GetName(), err)
	}
	if len(a.cache) >= maxCache {
		a.cache = map[string]applied{}
	}
	a.cache[k] = applied{rv: out.GetResourceVersion(), hash: h}
	a.note(it.gvr, "sent", &a.stats.sent)
	return nil
}

// absent reports whether the object is known not to exist. A NotFound from a custom Lookup (a cache that
// may lag, or may not watch this kind at all) is confirmed with a live GET before a delete is skipped.
func (a *Applier) absent(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) bool {
	if _, err := a.liveVersion(ctx, gvr, ns, name); !apierrors.IsNotFound(err) {
		return false
	}
	if a.Lookup == nil {
		return true
	}
	_, err := a.client.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}

// ApplyAll applies objs in a deterministic order, stopping at the first error. With an owner, each object
// gets a controller reference and conflicts are forced; decorate (optional) runs on each object first.
func (a *Applier) ApplyAll(ctx context.Context, objs []any, owner metav1.Object, ownerGVK schema.GroupVersionKind, decorate func(*unstructured.Unstructured)) error {
	items, err := a.prepare(objs)
	if err != nil {
		return err
	}
	for _, it := range items {
		if decorate != nil {
			decorate(it.u)
		}
		if owner != nil {
			if err := SetControllerRef(it.u, owner, ownerGVK, it.namespaced); err != nil {
				return err
			}
		}
		if err := a.apply(ctx, it, owner != nil); err != nil {
			return err
		}
	}
	return nil
}

// DeleteAll deletes objs (background propagation). Objects already absent are skipped without a request;
// errors are joined.
func (a *Applier) DeleteAll(ctx context.Context, objs []any) error {
	items, err := a.prepare(objs)
	if err != nil {
		return err
	}
	var errs []error
	for _, it := range items {
		ns, name := it.u.GetNamespace(), it.u.GetName()
		a.mu.Lock()
		delete(a.cache, key(it.gvr, ns, name))
		a.mu.Unlock()
		if a.absent(ctx, it.gvr, ns, name) {
			a.note(it.gvr, "delete-skipped", &a.stats.deleteSkipped)
			continue
		}
		bg := metav1.DeletePropagationBackground
		err := a.client.Resource(it.gvr).Namespace(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
		switch {
		case err == nil:
			a.note(it.gvr, "deleted", &a.stats.deleted)
		case apierrors.IsNotFound(err):
			a.note(it.gvr, "delete-skipped", &a.stats.deleteSkipped)
		default:
			errs = append(errs, fmt.Errorf("delete %s %s/%s: %w", it.u.GetKind(), ns, name, err))
		}
	}
	return errors.Join(errs...)
}
