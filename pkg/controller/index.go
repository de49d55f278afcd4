package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// IndexValue is the conventional value of a namespaced reference in an index:
// "namespace/name". Use an empty namespace for references to cluster-scoped
// objects (or for an index meant to be queried across namespaces).
func IndexValue(namespace, name string) string { return namespace + "/" + name }

// IndexBy adapts a function over object metadata (type-assert inside for typed
// fields) to a cache.IndexFunc. Empty strings are not indexed.
func IndexBy(values func(obj metav1.Object) []string) cache.IndexFunc {
	return func(obj any) ([]string, error) {
		o := asObject(obj)
		if o == nil {
			return nil, nil
		}
		out := values(o)
		n := 0
		for _, v := range out {
			if v != "" {
				out[n] = v
				n++
			}
		}
		return out[:n], nil
	}
}

// MapByIndex returns a MapFunc that enqueues every object of the target cache
// whose index named index holds one of the values computed from the watched
// object. Example: services indexed by IndexValue(ns, spec.templateName);
// a template event maps with values = {IndexValue(tmpl.Namespace, tmpl.Name)}.
func MapByIndex(target cache.Indexer, index string, values func(obj metav1.Object) []string) MapFunc {
	return func(obj metav1.Object) []Key {
		var keys []Key
		seen := map[Key]bool{}
		for _, v := range values(obj) {
			items, err := target.ByIndex(index, v)
			if err != nil {
				continue // unknown index: a programming error surfaced by tests
			}
			for _, it := range items {
				if o, err := meta.Accessor(it); err == nil {
					k := NewKey(o.GetNamespace(), o.GetName())
					if !seen[k] {
						seen[k] = true
						keys = append(keys, k)
					}
				}
			}
		}
		return keys
	}
}

// MapAll returns a MapFunc that enqueues every object in target, optionally only
// those in the watched object's namespace (sameNamespace). It is for rare,
// wide-impact events such as a cluster-wide default changing.
func MapAll(target cache.Indexer, sameNamespace bool) MapFunc {
	return func(obj metav1.Object) []Key {
		var items []any
		if sameNamespace {
			var err error
			if items, err = target.ByIndex(cache.NamespaceIndex, obj.GetNamespace()); err != nil {
				// No namespace index on this cache: filter by hand.
				for _, it := range target.List() {
					if o, err := meta.Accessor(it); err == nil && o.GetNamespace() == obj.GetNamespace() {
						items = append(items, it)
					}
				}
			}
		} else {
			items = target.List()
		}
		keys := make([]Key, 0, len(items))
		for _, it := range items {
			if o, err := meta.Accessor(it); err == nil {
				keys = append(keys, NewKey(o.GetNamespace(), o.GetName()))
			}
		}
		return keys
	}
}

// MapToKey returns a MapFunc that enqueues the single primary named by key(obj)
// (e.g. from a label); an empty name enqueues nothing.
func MapToKey(key func(obj metav1.Object) (namespace, name string)) MapFunc {
	return func(obj metav1.Object) []Key {
		ns, name := key(obj)
		if name == "" {
			return nil
		}
		return []Key{NewKey(ns, name)}
	}
}
