// Package controller is the informer / work-queue plumbing of the operator:
// typed, named, rate-limited queues fed by informer events, N workers per
// controller, graceful draining, optional (maybe-not-installed) kinds, leader
// election, probes and metrics. It knows nothing about any particular API: any
// client-go operator can use it. It does not depend on controller-runtime.
//
// # Reconcile contract
//
//	type ReconcileFunc func(ctx context.Context, key Key) (Result, error)
//
// Key is cache.ObjectName (namespace/name; empty namespace for cluster-scoped
// kinds). After a reconcile the worker does exactly one of:
//
//	error wrapped by Terminal(err)  → Forget (no retry)               metrics result "terminal"
//	other error                     → AddRateLimited (Result ignored)  result "error"
//	Result{RequeueAfter: d}, nil    → Forget + AddAfter(d)             result "requeue_after"
//	Result{Requeue: true}, nil      → AddRateLimited                   result "requeue"
//	Result{}, nil                   → Forget                           result "success"
//
// Errors are also counted per category: Options.ErrorCategory (default
// DefaultErrorCategory: an error implementing Categorized names its category;
// API conflicts are "conflict" and logged quietly; anything else "transient").
// A panicking reconcile is recovered and retried like an error ("panic").
// The logger (klog.FromContext) carries "controller" and "key".
//
// # Wiring a controller
//
//	c, _ := controller.New(controller.Options{Name: "widget", Reconcile: r.Reconcile,
//		Queue: queueOpts, Metrics: promMetrics})
//	c.For(widgetInformer, schema.GroupKind{Group: "example.com", Kind: "Widget"}, false)
//	c.Owns(jobInformer)                              // enqueue the controlling owner (UID checked)
//	c.Watches(templateInformer, controller.MapByIndex( // enqueue widgets whose index matches
//		widgetInformer.GetIndexer(), "templateName",
//		func(o metav1.Object) []string { return []string{controller.IndexValue(o.GetNamespace(), o.GetName())} }))
//	c.OwnsOptional(servingKind)                      // a kind whose CRD may be missing
//	mgr.Add(c)
//
// Register indexes on the target informer before it starts:
// widgetInformer.AddIndexers(cache.Indexers{"templateName": controller.IndexBy(func(o metav1.Object) []string {...})}).
// Other map helpers: MapAll (every primary, optionally same namespace) and
// MapToKey (one primary named by a label or field). WithFilter and
// WithUpdateFilter are predicates on watched events; WithBatchedStatusUpdates(d)
// delays keys of updates that left the generation unchanged (status churn of
// children) so a burst costs one reconcile.
//
// Every handler drops updates whose resourceVersion did not change (resyncs)
// and unwraps cache.DeletedFinalStateUnknown tombstones; on update both the old
// and the new object are mapped, so an object that moved between primaries
// notifies both.
//
// # Queues
//
// Each controller has its own workqueue.TypedRateLimitingInterface[Key] named
// after it (workqueue_* metrics carry name=<controller>), with
// max(per-item exponential BaseDelay→MaxDelay, token bucket QPS/Burst) from
// QueueOptions (flags: --workers, --retry-base-delay, --retry-max-delay,
// --retry-qps, --retry-burst). Options.Clock injects a clock (fake in tests).
// Enqueue, EnqueueAfter, EnqueueAll and Queue give direct access.
//
// # Shutdown
//
// When the Run context ends the queue is shut down with drain: reconciles in
// flight finish with a still-valid context (cancelled only after DrainTimeout,
// default 30 s), keys still queued are dropped, then Run returns.
//
// # Small cache by design
//
// NewKubeInformers(mgr, client, CacheOptions{Namespace, Transform}) hands out
// typed informers per kind and label selector (Pods(sel), Jobs(sel), ...) that
// see only our children, registered with mgr: pass
// LabelSelector(managedByKey, ourValues...) (an "in" selector; no values means
// "exists"); unlike client-go's informers factory they do not link every API
// group's informers into the binary. StripTransform(ourFieldManagers...) drops other managers'
// managedFields entries and kubectl's last-applied annotation while keeping our
// own entries for Extract-based no-op detection. NewMetadataInformer gives a
// metadata-only informer. CacheOptions.FieldSelector narrows a watch on the
// server (e.g. only Warning Events about one kind). NewInformer[*FooList](typedClient.Foos(ns), &Foo{},
// opts) builds one selected, transformed informer without client-go's
// informers factory, which links every API group's informers and listers
// (about 1.3 MB of binary, measured); register it with Manager.AddInformer. The operator must never watch Events, Secrets or
// Leases cluster-wide (a field-selected subset is fine): read Secrets with
// direct GETs.
//
// # Optional kinds
//
// NewOptionalKind(gvr, OptionalKindOptions{NewInformer: DynamicInformer(...),
// Discovery: disco}) describes a CRD-backed kind that may be absent. The Manager
// runs its discovery loop (poll interval, plus an immediate check when
// WatchCRDs sees a CRD of that name appear). Available() tells reconcilers
// whether they can use it (report a condition otherwise); Informer() returns
// the running informer or nil. When it becomes available every controller that
// registered with OwnsOptional/WatchesOptional re-enqueues all its primaries.
//
// # Manager, leader election, probes, metrics
//
// Manager holds controllers, informer factories (AddInformerFactory),
// standalone informers, optional kinds and runnables; Run starts them all and
// blocks until ctx ends and every controller drained. HasSynced is the
// readiness signal. LeaderElector.Run(ctx, mgr.Run) runs the manager only while
// holding a Lease (ReleaseOnCancel; the lease is released after the drain) and
// returns ErrLeadershipLost if the lease is lost, upon which the process should
// exit. HealthHandler, MetricsHandler and Serve expose /healthz, /readyz and
// /metrics. RESTOptions (--kube-api-qps/--kube-api-burst, default 50/100) and
// Protobuf tune the REST clients.
//
// Package metrics holds the Prometheus side: ReconcileObserver (given to
// Options.Metrics), ApplyCounter (ApplySent/ApplySkipped, for the apply engine)
// and RegisterClientGo (workqueue, leader-election and REST-client metrics).
package controller
