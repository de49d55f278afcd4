package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
)

// NewMultiNamespaceInformer returns one informer that watches exactly the
// given namespaces, built from one member informer per namespace
// (newInformer(ns), e.g. NewInformer over kube.CoreV1().Pods(ns)), and
// presented as a single cache.SharedIndexInformer: event handlers, listers over
// GetIndexer(), indexers (AddIndexers), HasSynced and Run work unchanged. Use it
// when the operator watches a list of namespaces (--namespace a,b) rather than
// one or all: the RBAC can then be namespaced Roles instead of a ClusterRole,
// and the cache holds only objects of those namespaces. Duplicate names are
// ignored; one namespace returns newInformer(ns) itself, and an empty list or
// one containing "" (all namespaces) returns newInformer("").
//
// Like controller-runtime's multi-namespace cache, reads are merged (List,
// ByIndex) or routed by the namespace part of the key (Get, GetByKey, and
// ByIndex/IndexKeys on cache.NamespaceIndex); objects of other namespaces are
// simply not found. Store writes are routed to the member owning the object's
// namespace, as they would be on a plain informer's store (tests seed caches
// that way), and fail for a namespace that is not watched.
func NewMultiNamespaceInformer(namespaces []string, newInformer func(namespace string) cache.SharedIndexInformer) cache.SharedIndexInformer {
	var nss []string
	for _, ns := range namespaces {
		if ns == "" {
			return newInformer("")
		}
		if !slices.Contains(nss, ns) {
			nss = append(nss, ns)
		}
	}
	switch len(nss) {
	case 0:
		return newInformer("")
	case 1:
		return newInformer(nss[0])
	}
	m := &multiNamespaceInformer{namespaces: nss, members: make(map[string]cache.SharedIndexInformer, len(nss))}
	for _, ns := range nss {
		inf := newInformer(ns)
		m.members[ns] = inf
		m.ordered = append(m.ordered, inf)
	}
	m.indexer = &multiNamespaceIndexer{m: m}
	return m
}

var (
	_ cache.SharedIndexInformer = (*multiNamespaceInformer)(nil)
	_ cache.Indexer             = (*multiNamespaceIndexer)(nil)
	_ cache.Controller          = (*multiNamespaceController)(nil)
)

// multiNamespaceInformer fans every call out to one informer per namespace.
// Its fields never change after construction, so it needs no lock.
type multiNamespaceInformer struct {
	namespaces []string
	members    map[string]cache.SharedIndexInformer
	ordered    []cache.SharedIndexInformer // members in namespaces order, for stable List output
	indexer    *multiNamespaceIndexer

	syncedOnce sync.Once
	synced     *allDone
}

// each calls f on every member and joins the errors.
func (m *multiNamespaceInformer) each(f func(cache.SharedIndexInformer) error) error {
	var errs []error
	for _, inf := range m.ordered {
		if err := f(inf); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m *multiNamespaceInformer) AddEventHandler(handler cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	return m.add(func(inf cache.SharedIndexInformer) (cache.ResourceEventHandlerRegistration, error) {
		return inf.AddEventHandler(handler)
	})
}

func (m *multiNamespaceInformer) AddEventHandlerWithResyncPeriod(handler cache.ResourceEventHandler, resyncPeriod time.Duration) (cache.ResourceEventHandlerRegistration, error) {
	return m.add(func(inf cache.SharedIndexInformer) (cache.ResourceEventHandlerRegistration, error) {
		return inf.AddEventHandlerWithResyncPeriod(handler, resyncPeriod)
	})
}

func (m *multiNamespaceInformer) AddEventHandlerWithOptions(handler cache.ResourceEventHandler, options cache.HandlerOptions) (cache.ResourceEventHandlerRegistration, error) {
	return m.add(func(inf cache.SharedIndexInformer) (cache.ResourceEventHandlerRegistration, error) {
		return inf.AddEventHandlerWithOptions(handler, options)
	})
}

// add registers a handler on every member; on failure it removes the
// registrations already made, so a handler is on all members or on none.
func (m *multiNamespaceInformer) add(register func(cache.SharedIndexInformer) (cache.ResourceEventHandlerRegistration, error)) (cache.ResourceEventHandlerRegistration, error) {
	reg := &multiNamespaceRegistration{owner: m}
	for _, inf := range m.ordered {
		r, err := register(inf)
		if err != nil {
			for i, done := range reg.regs {
				_ = m.ordered[i].RemoveEventHandler(done)
			}
			return nil, err
		}
		reg.regs = append(reg.regs, r)
	}
	return reg, nil
}

func (m *multiNamespaceInformer) RemoveEventHandler(handle cache.ResourceEventHandlerRegistration) error {
	reg, ok := handle.(*multiNamespaceRegistration)
	if !ok || reg.owner != m {
		return fmt.Errorf("multi-namespace informer: registration %T was not returned by this informer", handle)
	}
	var errs []error
	for i, r := range reg.regs {
		if err := m.ordered[i].RemoveEventHandler(r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m *multiNamespaceInformer) GetStore() cache.Store     { return m.indexer }
func (m *multiNamespaceInformer) GetIndexer() cache.Indexer { return m.indexer }

// GetController returns a controller that, like client-go's own (the method is
// deprecated), does nothing on Run and reports the informer's sync state.
func (m *multiNamespaceInformer) GetController() cache.Controller {
	return &multiNamespaceController{m: m}
}

func (m *multiNamespaceInformer) Run(stopCh <-chan struct{}) {
	m.RunWithContext(wait.ContextForChannel(stopCh))
}

// RunWithContext runs every member and returns once all have stopped.
func (m *multiNamespaceInformer) RunWithContext(ctx context.Context) {
	var wg sync.WaitGroup
	for _, inf := range m.ordered {
		wg.Go(func() { inf.RunWithContext(ctx) })
	}
	wg.Wait()
}

func (m *multiNamespaceInformer) HasSynced() bool {
	for _, inf := range m.ordered {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

func (m *multiNamespaceInformer) HasSyncedChecker() cache.DoneChecker {
	m.syncedOnce.Do(func() {
		checkers := make([]cache.DoneChecker, len(m.ordered))
		for i, inf := range m.ordered {
			checkers[i] = inf.HasSyncedChecker()
		}
		m.synced = newAllDone(m.name(checkers[0]), checkers)
	})
	return m.synced
}

func (m *multiNamespaceInformer) name(c cache.DoneChecker) string {
	return fmt.Sprintf("%s in namespaces %s", c.Name(), strings.Join(m.namespaces, ","))
}

// LastSyncResourceVersion is empty: resource versions are opaque, so no single
// one stands for several lists.
func (m *multiNamespaceInformer) LastSyncResourceVersion() string { return "" }

func (m *multiNamespaceInformer) SetWatchErrorHandler(handler cache.WatchErrorHandler) error {
	return m.each(func(inf cache.SharedIndexInformer) error { return inf.SetWatchErrorHandler(handler) })
}

func (m *multiNamespaceInformer) SetWatchErrorHandlerWithContext(handler cache.WatchErrorHandlerWithContext) error {
	return m.each(func(inf cache.SharedIndexInformer) error { return inf.SetWatchErrorHandlerWithContext(handler) })
}

func (m *multiNamespaceInformer) SetTransform(handler cache.TransformFunc) error {
	return m.each(func(inf cache.SharedIndexInformer) error { return inf.SetTransform(handler) })
}

// IsStopped is true as soon as any member stopped: from then on handlers can
// no longer be added to all members.
func (m *multiNamespaceInformer) IsStopped() bool {
	return slices.ContainsFunc(m.ordered, cache.SharedIndexInformer.IsStopped)
}

func (m *multiNamespaceInformer) AddIndexers(indexers cache.Indexers) error {
	return m.each(func(inf cache.SharedIndexInformer) error { return inf.AddIndexers(indexers) })
}

// multiNamespaceRegistration holds one member registration per namespace, in
// the owner's member order.
type multiNamespaceRegistration struct {
	owner *multiNamespaceInformer
	regs  []cache.ResourceEventHandlerRegistration

	syncedOnce, shutdownOnce sync.Once
	synced, shutdown         *allDone
}

// HasSynced is true once the handler has seen the initial list of every namespace.
func (r *multiNamespaceRegistration) HasSynced() bool {
	for _, reg := range r.regs {
		if !reg.HasSynced() {
			return false
		}
	}
	return true
}

func (r *multiNamespaceRegistration) HasSyncedChecker() cache.DoneChecker {
	r.syncedOnce.Do(func() {
		checkers := make([]cache.DoneChecker, len(r.regs))
		for i, reg := range r.regs {
			checkers[i] = reg.HasSyncedChecker()
		}
		r.synced = newAllDone(r.owner.name(checkers[0]), checkers)
	})
	return r.synced
}

// ShutdownChan lets cache.ShutDownEventHandler wait for the handler to stop in
// every member; members whose registration cannot report it are not waited for.
func (r *multiNamespaceRegistration) ShutdownChan() <-chan struct{} {
	r.shutdownOnce.Do(func() {
		var checkers []cache.DoneChecker
		for _, reg := range r.regs {
			if s, ok := reg.(interface{ ShutdownChan() <-chan struct{} }); ok {
				checkers = append(checkers, chanChecker(s.ShutdownChan()))
			}
		}
		r.shutdown = newAllDone("event handler shutdown", checkers)
	})
	return r.shutdown.Done()
}

// allDone is a DoneChecker done when all of its parts are. Done closes the
// channel at once if the parts are done already (so IsDone agrees with
// HasSynced), else one goroutine per allDone waits for them.
type allDone struct {
	name                 string
	parts                []cache.DoneChecker
	done                 chan struct{}
	startOnce, closeOnce sync.Once
}

func newAllDone(name string, parts []cache.DoneChecker) *allDone {
	return &allDone{name: name, parts: parts, done: make(chan struct{})}
}

func (a *allDone) Name() string { return a.name }

func (a *allDone) Done() <-chan struct{} {
	if !slices.ContainsFunc(a.parts, func(p cache.DoneChecker) bool { return !cache.IsDone(p) }) {
		a.closeOnce.Do(func() { close(a.done) })
		return a.done
	}
	a.startOnce.Do(func() {
		go func() {
			for _, p := range a.parts {
				<-p.Done()
			}
			a.closeOnce.Do(func() { close(a.done) })
		}()
	})
	return a.done
}

// chanChecker adapts a bare channel to a DoneChecker.
type chanChecker <-chan struct{}

func (c chanChecker) Name() string          { return "" }
func (c chanChecker) Done() <-chan struct{} { return c }

// multiNamespaceController is what GetController returns.
type multiNamespaceController struct{ m *multiNamespaceInformer }

func (c *multiNamespaceController) RunWithContext(context.Context) {}
func (c *multiNamespaceController) Run(<-chan struct{})            {}
func (c *multiNamespaceController) HasSynced() bool                { return c.m.HasSynced() }
func (c *multiNamespaceController) HasSyncedChecker() cache.DoneChecker {
	return c.m.HasSyncedChecker()
}
func (c *multiNamespaceController) LastSyncResourceVersion() string {
	return c.m.LastSyncResourceVersion()
}

// multiNamespaceIndexer is the composite cache.Indexer over the members'
// indexers.
type multiNamespaceIndexer struct{ m *multiNamespaceInformer }

// member returns the indexer of namespace ns, or nil if ns is not watched.
func (x *multiNamespaceIndexer) member(ns string) cache.Indexer {
	if inf, ok := x.m.members[ns]; ok {
		return inf.GetIndexer()
	}
	return nil
}

// memberOf returns the indexer owning obj (an object or a
// cache.DeletedFinalStateUnknown) and obj's namespace.
func (x *multiNamespaceIndexer) memberOf(obj any) (cache.Indexer, string, error) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return nil, "", err
	}
	ns, _, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil, "", err
	}
	return x.member(ns), ns, nil
}

// write routes a store write to the member owning obj's namespace.
func (x *multiNamespaceIndexer) write(obj any, f func(cache.Indexer) error) error {
	idx, ns, err := x.memberOf(obj)
	if err != nil {
		return err
	}
	if idx == nil {
		return fmt.Errorf("multi-namespace informer: namespace %q is not watched", ns)
	}
	return f(idx)
}

func (x *multiNamespaceIndexer) Add(obj any) error {
	return x.write(obj, func(idx cache.Indexer) error { return idx.Add(obj) })
}

func (x *multiNamespaceIndexer) Update(obj any) error {
	return x.write(obj, func(idx cache.Indexer) error { return idx.Update(obj) })
}

func (x *multiNamespaceIndexer) Delete(obj any) error {
	return x.write(obj, func(idx cache.Indexer) error { return idx.Delete(obj) })
}

// Replace splits items by namespace and replaces every member's content; it
// changes nothing if an item belongs to a namespace that is not watched.
func (x *multiNamespaceIndexer) Replace(items []any, resourceVersion string) error {
	byNS := make(map[string][]any, len(x.m.namespaces))
	for _, it := range items {
		idx, ns, err := x.memberOf(it)
		if err != nil {
			return err
		}
		if idx == nil {
			return fmt.Errorf("multi-namespace informer: namespace %q is not watched", ns)
		}
		byNS[ns] = append(byNS[ns], it)
	}
	var errs []error
	for _, ns := range x.m.namespaces {
		if err := x.member(ns).Replace(byNS[ns], resourceVersion); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (x *multiNamespaceIndexer) Resync() error {
	return x.m.each(func(inf cache.SharedIndexInformer) error { return inf.GetIndexer().Resync() })
}

// Bookmark is a no-op: a resource version belongs to one member's watch.
func (x *multiNamespaceIndexer) Bookmark(string) {}

// LastStoreSyncResourceVersion is empty for the reason given on
// LastSyncResourceVersion.
func (x *multiNamespaceIndexer) LastStoreSyncResourceVersion() string { return "" }

func (x *multiNamespaceIndexer) List() []any {
	var out []any
	for _, inf := range x.m.ordered {
		out = append(out, inf.GetIndexer().List()...)
	}
	return out
}

func (x *multiNamespaceIndexer) ListKeys() []string {
	var out []string
	for _, inf := range x.m.ordered {
		out = append(out, inf.GetIndexer().ListKeys()...)
	}
	return out
}

func (x *multiNamespaceIndexer) Get(obj any) (any, bool, error) {
	idx, _, err := x.memberOf(obj)
	if err != nil || idx == nil {
		return nil, false, err
	}
	return idx.Get(obj)
}

func (x *multiNamespaceIndexer) GetByKey(key string) (any, bool, error) {
	ns, _, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil, false, err
	}
	idx := x.member(ns)
	if idx == nil {
		return nil, false, nil
	}
	return idx.GetByKey(key)
}

// checkIndex reports the error a member gives for an unknown index, so that a
// routed query for an unwatched namespace still fails on a misspelt index.
func (x *multiNamespaceIndexer) checkIndex(indexName string) error {
	if _, ok := x.GetIndexers()[indexName]; !ok {
		return fmt.Errorf("index with name %s does not exist", indexName)
	}
	return nil
}

func (x *multiNamespaceIndexer) Index(indexName string, obj any) ([]any, error) {
	var out []any
	for _, inf := range x.m.ordered {
		items, err := inf.GetIndexer().Index(indexName, obj)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// IndexKeys merges the members' keys; on cache.NamespaceIndex, whose values
// are namespaces, it asks only the member of that namespace.
func (x *multiNamespaceIndexer) IndexKeys(indexName, indexedValue string) ([]string, error) {
	if indexName == cache.NamespaceIndex {
		if err := x.checkIndex(indexName); err != nil {
			return nil, err
		}
		if idx := x.member(indexedValue); idx != nil {
			return idx.IndexKeys(indexName, indexedValue)
		}
		return nil, nil
	}
	var out []string
	for _, inf := range x.m.ordered {
		keys, err := inf.GetIndexer().IndexKeys(indexName, indexedValue)
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
	}
	return out, nil
}

// ByIndex merges the members' objects; on cache.NamespaceIndex it asks only
// the member of that namespace.
func (x *multiNamespaceIndexer) ByIndex(indexName, indexedValue string) ([]any, error) {
	if indexName == cache.NamespaceIndex {
		if err := x.checkIndex(indexName); err != nil {
			return nil, err
		}
		if idx := x.member(indexedValue); idx != nil {
			return idx.ByIndex(indexName, indexedValue)
		}
		return nil, nil
	}
	var out []any
	for _, inf := range x.m.ordered {
		items, err := inf.GetIndexer().ByIndex(indexName, indexedValue)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// ListIndexFuncValues is the union of the members' values, without duplicates.
func (x *multiNamespaceIndexer) ListIndexFuncValues(indexName string) []string {
	seen := map[string]bool{}
	var out []string
	for _, inf := range x.m.ordered {
		for _, v := range inf.GetIndexer().ListIndexFuncValues(indexName) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// GetIndexers returns the first member's indexers; AddIndexers keeps all
// members' indexers identical.
func (x *multiNamespaceIndexer) GetIndexers() cache.Indexers {
	return x.m.ordered[0].GetIndexer().GetIndexers()
}

func (x *multiNamespaceIndexer) AddIndexers(indexers cache.Indexers) error {
	return x.m.each(func(inf cache.SharedIndexInformer) error { return inf.GetIndexer().AddIndexers(indexers) })
}
