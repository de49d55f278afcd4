package controller

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/controller/metrics"
)

// Options configure one controller.
type Options struct {
	// Name names the queue (workqueue metrics), the logs and the reconcile metrics.
	Name string
	// Reconcile is called for each key taken from the queue.
	Reconcile ReconcileFunc
	// Queue sets workers and retry limits; zero fields take DefaultQueueOptions' values.
	Queue QueueOptions
	// RateLimiter overrides the limiter built from Queue (tests use this).
	RateLimiter workqueue.TypedRateLimiter[Key]
	// Clock drives delayed re-adds and durations; nil means the real clock.
	Clock clock.WithTicker
	// Metrics receives one call per reconcile; nil means the Manager's observer
	// (Manager.SetReconcileObserver), else nothing.
	Metrics metrics.ReconcileObserver
	// ErrorCategory labels reconcile errors in metrics; nil means DefaultErrorCategory.
	ErrorCategory func(error) string
	// DrainTimeout bounds how long shutdown waits for in-flight reconciles before
	// cancelling their context. Zero means 30 s.
	DrainTimeout time.Duration
}

// MapFunc maps a watched object to the keys of the primaries to reconcile.
// obj is never a tombstone: deleted-final-state-unknown objects are unwrapped first.
type MapFunc func(obj metav1.Object) []Key

// Controller is a typed, named, rate-limited work queue fed by informer events
// and drained by N workers calling a ReconcileFunc.
type Controller struct {
	name         string
	reconcile    ReconcileFunc
	queue        workqueue.TypedRateLimitingInterface[Key]
	clock        clock.WithTicker
	workers      int
	metrics      metrics.ReconcileObserver
	ownMetrics   bool
	category     func(error) string
	drainTimeout time.Duration

	mu            sync.Mutex
	primary       cache.SharedIndexInformer
	primaryKind   schema.GroupKind
	clusterScoped bool
	synced        []cache.InformerSynced
	started       bool
}

// New creates a controller. Register its informers with For, Owns and Watches
// before the informers start, then add it to a Manager (or call Run).
func New(o Options) (*Controller, error) {
	if o.Name == "" || o.Reconcile == nil {
		return nil, errors.New("controller: Name and Reconcile are required")
	}
	o.Queue = o.Queue.withDefaults()
	if o.RateLimiter == nil {
		o.RateLimiter = o.Queue.NewRateLimiter()
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	explicitMetrics := o.Metrics != nil
	if o.Metrics == nil {
		o.Metrics = metrics.Noop{}
	}
	if o.ErrorCategory == nil {
		o.ErrorCategory = DefaultErrorCategory
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 30 * time.Second
	}
	return &Controller{
		name:         o.Name,
		reconcile:    o.Reconcile,
		queue:        NewQueue(o.Name, o.RateLimiter, o.Clock),
		clock:        o.Clock,
		workers:      o.Queue.Workers,
		metrics:      o.Metrics,
		ownMetrics:   explicitMetrics,
		category:     o.ErrorCategory,
		drainTimeout: o.DrainTimeout,
	}, nil
}

// Name returns the controller name.
func (c *Controller) Name() string { return c.name }

// Queue exposes the work queue (tests, and reconcilers that need AddAfter).
func (c *Controller) Queue() workqueue.TypedRateLimitingInterface[Key] { return c.queue }

// Enqueue adds key now.
func (c *Controller) Enqueue(key Key) { c.queue.Add(key) }

// EnqueueAfter adds key after d.
func (c *Controller) EnqueueAfter(key Key, d time.Duration) { c.queue.AddAfter(key, d) }

// EnqueueAll adds the key of every primary object in the cache. Used when
// something every primary may depend on appears (an optional kind).
func (c *Controller) EnqueueAll() {
	c.mu.Lock()
	inf := c.primary
	c.mu.Unlock()
	if inf == nil {
		return
	}
	for _, obj := range inf.GetStore().List() {
		if o, err := meta.Accessor(obj); err == nil {
			c.queue.Add(NewKey(o.GetNamespace(), o.GetName()))
		}
	}
}

// For registers the primary kind: every add, update (except resyncs) and delete
// enqueues the object's own key. gk is the primary's group and kind as they
// appear in the ownerReferences of the objects it owns. Call For once, first.
func (c *Controller) For(inf cache.SharedIndexInformer, gk schema.GroupKind, clusterScoped bool, opts ...WatchOption) error {
	c.mu.Lock()
	if c.primary != nil {
		c.mu.Unlock()
		return fmt.Errorf("controller %s: For called twice", c.name)
	}
	c.primary, c.primaryKind, c.clusterScoped = inf, gk, clusterScoped
	c.mu.Unlock()
	return c.watch(inf, func(o metav1.Object) []Key {
		return []Key{NewKey(o.GetNamespace(), o.GetName())}
	}, opts)
}

// Owns registers a kind whose objects carry a controller ownerReference to the
// primary kind: an event enqueues that owner, but only if an object with the
// same UID is in the primary cache (a reused name of a deleted owner is ignored).
func (c *Controller) Owns(inf cache.SharedIndexInformer, opts ...WatchOption) error {
	if err := c.requirePrimary(); err != nil {
		return err
	}
	return c.watch(inf, c.ownerKeys, opts)
}

// Watches registers a kind mapped to primaries by mapFn (typically MapByIndex).
func (c *Controller) Watches(inf cache.SharedIndexInformer, mapFn MapFunc, opts ...WatchOption) error {
	if mapFn == nil {
		return fmt.Errorf("controller %s: Watches needs a MapFunc", c.name)
	}
	return c.watch(inf, mapFn, opts)
}

// OwnsOptional is Owns for a kind that may not be installed. When the kind
// becomes available, its events start flowing and every primary is re-enqueued
// so reconcilers that reported "kind missing" run again.
func (c *Controller) OwnsOptional(k *OptionalKind, opts ...WatchOption) error {
	if err := c.requirePrimary(); err != nil {
		return err
	}
	return c.watchOptional(k, c.ownerKeys, opts)
}

// WatchesOptional is Watches for a kind that may not be installed.
func (c *Controller) WatchesOptional(k *OptionalKind, mapFn MapFunc, opts ...WatchOption) error {
	if mapFn == nil {
		return fmt.Errorf("controller %s: WatchesOptional needs a MapFunc", c.name)
	}
	return c.watchOptional(k, mapFn, opts)
}

func (c *Controller) requirePrimary() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.primary == nil {
		return fmt.Errorf("controller %s: call For before Owns", c.name)
	}
	return nil
}

func (c *Controller) watch(inf cache.SharedIndexInformer, mapFn MapFunc, opts []WatchOption) error {
	h := newHandler(c.queue, mapFn, opts)
	reg, err := inf.AddEventHandler(h)
	if err != nil {
		return fmt.Errorf("controller %s: %w", c.name, err)
	}
	c.mu.Lock()
	c.synced = append(c.synced, reg.HasSynced)
	c.mu.Unlock()
	return nil
}

func (c *Controller) watchOptional(k *OptionalKind, mapFn MapFunc, opts []WatchOption) error {
	h := newHandler(c.queue, mapFn, opts)
	k.addHandler(h, c.EnqueueAll)
	return nil
}

// ownerKeys resolves the controlling owner of o to a primary key, checking the
// owner's UID against the primary cache (kube-controller-manager's resolveControllerRef).
func (c *Controller) ownerKeys(o metav1.Object) []Key {
	ref := metav1.GetControllerOfNoCopy(o)
	if ref == nil || ref.Kind != c.primaryKind.Kind {
		return nil
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv.Group != c.primaryKind.Group {
		return nil
	}
	ns := o.GetNamespace()
	if c.clusterScoped {
		ns = ""
	}
	key := NewKey(ns, ref.Name)
	obj, exists, err := c.primary.GetIndexer().GetByKey(key.String())
	if err != nil || !exists {
		return nil
	}
	owner, err := meta.Accessor(obj)
	if err != nil || owner.GetUID() != ref.UID {
		return nil
	}
	return []Key{key}
}

// HasSynced reports whether every informer registered with For/Owns/Watches has
// delivered its initial list to this controller. Optional kinds are not included.
func (c *Controller) HasSynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

// Run waits for the caches, starts the workers and blocks until ctx is done.
// Shutdown then drains: reconciles already running finish (their context is only
// cancelled after DrainTimeout), queued keys are dropped, and Run returns once
// every worker has stopped. The informers must be started by the caller (Manager).
func (c *Controller) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return fmt.Errorf("controller %s: already started", c.name)
	}
	c.started = true
	synced := append([]cache.InformerSynced(nil), c.synced...)
	c.mu.Unlock()

	logger := klog.FromContext(ctx).WithValues("controller", c.name)
	// Reconciles keep running through shutdown; they are cancelled only if the
	// drain takes too long.
	rctx, cancelReconciles := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logger))
	defer cancelReconciles()

	if !cache.WaitForNamedCacheSync(c.name, ctx.Done(), synced...) {
		c.queue.ShutDown()
		return nil // stopped before the caches synced: a shutdown, not a failure
	}
	logger.Info("Starting workers", "count", c.workers)
	var wg sync.WaitGroup
	for range c.workers {
		wg.Go(func() { c.worker(ctx, rctx) })
	}
	<-ctx.Done()
	logger.Info("Shutting down, draining in-flight reconciles")
	drained := make(chan struct{})
	go func() { c.queue.ShutDownWithDrain(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(c.drainTimeout):
		logger.Info("Drain timed out; cancelling in-flight reconciles", "timeout", c.drainTimeout)
		cancelReconciles()
		<-drained
	}
	wg.Wait()
	logger.Info("Stopped")
	return nil
}

// worker processes keys until the queue shuts down. Once stop is done, keys
// still handed out by the draining queue are released without a reconcile.
func (c *Controller) worker(stop, rctx context.Context) {
	for {
		key, shutdown := c.queue.Get()
		if shutdown {
			return
		}
		if stop.Err() == nil {
			c.processKey(rctx, key)
		}
		c.queue.Done(key)
	}
}

// processKey runs one reconcile and applies the Result/error semantics.
func (c *Controller) processKey(ctx context.Context, key Key) {
	logger := klog.FromContext(ctx).WithValues("key", key.String())
	ctx = klog.NewContext(ctx, logger)
	start := c.clock.Now()
	res, err := c.safeReconcile(ctx, key)
	elapsed := c.clock.Since(start)

	var result string
	switch {
	case err != nil && IsTerminal(err):
		c.queue.Forget(key)
		result = metrics.ResultTerminal
		c.metrics.ObserveError(c.name, c.category(err))
		logger.Error(err, "Reconcile failed permanently; not retrying")
	case err != nil:
		c.queue.AddRateLimited(key)
		result = metrics.ResultError
		cat := c.category(err)
		c.metrics.ObserveError(c.name, cat)
		if !res.IsZero() {
			logger.Info("Warning: reconcile returned both a Result and an error; the Result is ignored", "result", res)
		}
		if cat == CategoryConflict {
			logger.V(2).Info("Conflict; retrying", "err", err.Error())
		} else {
			logger.Error(err, "Reconcile failed; retrying", "category", cat, "retries", c.queue.NumRequeues(key))
		}
	case res.RequeueAfter > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, res.RequeueAfter)
		result = metrics.ResultRequeueAfter
	case res.Requeue:
		c.queue.AddRateLimited(key)
		result = metrics.ResultRequeue
	default:
		c.queue.Forget(key)
		result = metrics.ResultSuccess
	}
	c.metrics.ObserveReconcile(c.name, result, elapsed)
	logger.V(4).Info("Reconciled", "result", result, "duration", elapsed)
}

// safeReconcile turns a panic into an error so one bad object cannot crash the
// process; it is retried with backoff like any error.
func (c *Controller) safeReconcile(ctx context.Context, key Key) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			klog.FromContext(ctx).Error(nil, "Reconcile panicked", "panic", r, "stack", string(debug.Stack()))
			res, err = Result{}, panicError{fmt.Errorf("panic: %v", r)}
		}
	}()
	return c.reconcile(ctx, key)
}

type panicError struct{ error }

func (p panicError) Unwrap() error    { return p.error }
func (p panicError) Category() string { return "panic" }
