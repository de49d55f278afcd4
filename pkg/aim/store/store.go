// Package store reads typed objects out of any informer's indexer, so reconcilers depend on
// neither generated listers nor a particular informer factory (typed, dynamic or metadata).
package store

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// Store reads one kind. Objects are shared with the cache: never mutate them.
type Store[T any] interface {
	// Get returns the object or a NotFound API error. Use "" as namespace for cluster-scoped kinds.
	Get(namespace, name string) (T, error)
	// List returns the objects in namespace ("" = all namespaces) matching sel (nil = all).
	List(namespace string, sel labels.Selector) ([]T, error)
}

// FromIndexer adapts an informer indexer holding *T-like values of type T.
func FromIndexer[T any](idx cache.Indexer, gr schema.GroupResource) Store[T] {
	return indexerStore[T]{idx: idx, gr: gr}
}

type indexerStore[T any] struct {
	idx cache.Indexer
	gr  schema.GroupResource
}

func (s indexerStore[T]) Get(namespace, name string) (T, error) {
	var zero T
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	obj, ok, err := s.idx.GetByKey(key)
	if err != nil {
		return zero, err
	}
	if !ok {
		return zero, apierrors.NewNotFound(s.gr, name)
	}
	t, ok := obj.(T)
	if !ok {
		return zero, fmt.Errorf("store %s: unexpected %T", s.gr, obj)
	}
	return t, nil
}

func (s indexerStore[T]) List(namespace string, sel labels.Selector) ([]T, error) {
	if sel == nil {
		sel = labels.Everything()
	}
	var out []T
	var bad error
	add := func(obj any) {
		if t, ok := obj.(T); ok {
			out = append(out, t)
		} else if bad == nil {
			bad = fmt.Errorf("store %s: unexpected %T", s.gr, obj)
		}
	}
	var err error
	if namespace == "" {
		err = cache.ListAll(s.idx, sel, add)
	} else {
		err = cache.ListAllByNamespace(s.idx, namespace, sel, add)
	}
	if err != nil {
		return nil, err
	}
	return out, bad
}

// Namespaced is a Store bound to one namespace: a statemachine.Getter for Fetch.
type Namespaced[T any] struct {
	Store     Store[T]
	Namespace string
}

// Get reads name in the bound namespace.
func (n Namespaced[T]) Get(name string) (T, error) { return n.Store.Get(n.Namespace, name) }

// In binds s to namespace ns.
func In[T any](s Store[T], ns string) Namespaced[T] { return Namespaced[T]{Store: s, Namespace: ns} }
