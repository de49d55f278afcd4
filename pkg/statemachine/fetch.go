package statemachine

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
)

// FetchResult holds what a read returned. Fetch never fails: the error travels inside, and the health
// converters below turn it into a component.
type FetchResult[T any] struct {
	Value T
	Error error
}

// OK: no error. IsNotFound: the error is (or wraps) a NotFound. HasError: any error.
func (r FetchResult[T]) OK() bool         { return r.Error == nil }
func (r FetchResult[T]) IsNotFound() bool { return r.Error != nil && apierrors.IsNotFound(r.Error) }
func (r FetchResult[T]) HasError() bool   { return r.Error != nil }

// Getter is a lister (cache) read: generated namespace listers and cluster-scoped listers implement it.
type Getter[T any] interface {
	Get(name string) (T, error)
}

// Lister is a lister (cache) list.
type Lister[T any] interface {
	List(selector labels.Selector) ([]T, error)
}

// LiveGetter is a typed or dynamic client's Get (a live API read).
type LiveGetter[T any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
}

// LiveLister is a typed or dynamic client's List (a live API read).
type LiveLister[L any] interface {
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
}

func result[T any](v T, err error) FetchResult[T] {
	if err != nil {
		var zero T
		return FetchResult[T]{Value: zero, Error: err}
	}
	return FetchResult[T]{Value: v}
}

// Fetch reads one object from a lister. Cached objects are shared: do not mutate Value.
func Fetch[T any](g Getter[T], name string) FetchResult[T] { return result(g.Get(name)) }

// FetchList lists from a lister.
func FetchList[T any](l Lister[T], selector labels.Selector) FetchResult[[]T] {
	if selector == nil {
		selector = labels.Everything()
	}
	return result(l.List(selector))
}

// FetchLive reads one object through a client, e.g. clientset.CoreV1().Secrets(ns).
func FetchLive[T any](ctx context.Context, g LiveGetter[T], name string) FetchResult[T] {
	return result(g.Get(ctx, name, metav1.GetOptions{}))
}

// FetchListLive lists through a client.
func FetchListLive[L any](ctx context.Context, l LiveLister[L], opts metav1.ListOptions) FetchResult[L] {
	return result(l.List(ctx, opts))
}

// Inspector turns a fetched value into a component health; it must accept a nil/zero value.
type Inspector[T any] func(T) ComponentHealth

// ContextInspector is an inspector that reads more (logs, events), typically through a client it closes over.
type ContextInspector[T any] func(ctx context.Context, v T) ComponentHealth

func errorHealth(name string, err error, dep DependencyType) ComponentHealth {
	return ComponentHealth{Component: name, Errors: []error{err}, DependencyType: dep}
}

// ToComponentHealth: a fetch error becomes the component's error as is; otherwise the inspector decides.
func (r FetchResult[T]) ToComponentHealth(name string, inspect Inspector[T]) ComponentHealth {
	if r.Error != nil {
		return errorHealth(name, r.Error, DependencyUnspecified)
	}
	h := inspect(r.Value)
	h.Component = name
	return h
}

// ToComponentHealthWithContext is ToComponentHealth for inspectors that read more.
func (r FetchResult[T]) ToComponentHealthWithContext(ctx context.Context, name string, inspect ContextInspector[T]) ComponentHealth {
	if r.Error != nil {
		return errorHealth(name, r.Error, DependencyUnspecified)
	}
	h := inspect(ctx, r.Value)
	h.Component = name
	return h
}

// ToUpstreamComponentHealth is for objects the user referenced: NotFound becomes a MissingUpstreamDependency
// (ReferenceNotFound), which sets ConfigValid=False and blocks apply.
func (r FetchResult[T]) ToUpstreamComponentHealth(name string, inspect Inspector[T]) ComponentHealth {
	if r.IsNotFound() {
		return errorHealth(name, NewMissingUpstreamDependencyError("ReferenceNotFound", "Upstream dependency not found", r.Error), DependencyUpstream)
	}
	h := r.ToComponentHealth(name, inspect)
	h.DependencyType = DependencyUpstream
	return h
}

// ToDownstreamComponentHealth is for objects this controller creates: NotFound means "being created"
// (MissingDownstreamDependency, ResourceNotReady), which is Progressing and does not block apply.
func (r FetchResult[T]) ToDownstreamComponentHealth(name string, inspect Inspector[T]) ComponentHealth {
	if r.IsNotFound() {
		return errorHealth(name, NewMissingDownstreamDependencyError("ResourceNotReady", "Downstream resource not found or being created", r.Error), DependencyDownstream)
	}
	h := r.ToComponentHealth(name, inspect)
	h.DependencyType = DependencyDownstream
	return h
}

// FetchUnstructured reads one object through the dynamic client (foreign kinds without Go types).
func FetchUnstructured(ctx context.Context, r dynamic.ResourceInterface, name string) FetchResult[*unstructured.Unstructured] {
	return result(r.Get(ctx, name, metav1.GetOptions{}))
}
