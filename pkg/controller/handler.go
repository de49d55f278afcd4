package controller

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// WatchOption narrows which events of a watched kind enqueue anything.
type WatchOption func(*handler)

// WithFilter keeps only events whose object satisfies keep. For updates the
// event passes if the old or the new object does (so leaving the filter counts).
func WithFilter(keep func(obj metav1.Object) bool) WatchOption {
	return func(h *handler) { h.filter = keep }
}

// WithUpdateFilter keeps only updates for which changed returns true (e.g. only
// when a label or the status phase changed). Adds and deletes always pass.
func WithUpdateFilter(changed func(oldObj, newObj metav1.Object) bool) WatchOption {
	return func(h *handler) { h.updateFilter = changed }
}

// WithBatchedStatusUpdates delays by d the keys of updates that did not change
// the object's generation (status-only churn, e.g. a child Job's counters), so a
// burst of them costs one reconcile instead of many (kube-controller-manager's
// Job controller batches the same way, with 1 s). Adds, deletes and spec
// changes still enqueue at once.
func WithBatchedStatusUpdates(d time.Duration) WatchOption {
	return func(h *handler) { h.batch = d }
}

// handler turns informer events into queue adds. It drops resync updates (same
// resourceVersion) and unwraps tombstones.
type handler struct {
	queue        workqueue.TypedDelayingInterface[Key]
	mapFn        MapFunc
	filter       func(metav1.Object) bool
	updateFilter func(oldObj, newObj metav1.Object) bool
	batch        time.Duration
}

var _ cache.ResourceEventHandler = (*handler)(nil)

func newHandler(q workqueue.TypedDelayingInterface[Key], mapFn MapFunc, opts []WatchOption) *handler {
	h := &handler{queue: q, mapFn: mapFn}
	for _, o := range opts {
		o(h)
	}
	return h
}

func (h *handler) OnAdd(obj any, _ bool) {
	if o := asObject(obj); o != nil && h.keep(o) {
		h.add(h.mapFn(o))
	}
}

func (h *handler) OnUpdate(oldObj, newObj any) {
	o, n := asObject(oldObj), asObject(newObj)
	if o == nil || n == nil {
		return
	}
	// A periodic resync re-delivers the cached object: nothing changed.
	if o.GetResourceVersion() == n.GetResourceVersion() {
		return
	}
	if !h.keep(o) && !h.keep(n) {
		return
	}
	if h.updateFilter != nil && !h.updateFilter(o, n) {
		return
	}
	// Map both versions: a changed owner or indexed field moves the object from
	// one primary to another, and both need to hear about it.
	keys := append(h.mapFn(n), h.mapFn(o)...)
	if h.batch > 0 && o.GetGeneration() == n.GetGeneration() {
		for _, k := range keys {
			h.queue.AddAfter(k, h.batch)
		}
		return
	}
	h.add(keys)
}

func (h *handler) OnDelete(obj any) {
	if o := asObject(obj); o != nil && h.keep(o) {
		h.add(h.mapFn(o))
	}
}

func (h *handler) keep(o metav1.Object) bool { return h.filter == nil || h.filter(o) }

func (h *handler) add(keys []Key) {
	for _, k := range keys {
		h.queue.Add(k)
	}
}

// asObject unwraps a DeletedFinalStateUnknown tombstone (delivered when a watch
// missed the delete) and returns the object's metadata, or nil.
func asObject(obj any) metav1.Object {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	o, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	return o
}
