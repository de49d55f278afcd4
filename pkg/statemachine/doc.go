// Package statemachine is a reconcile engine on plain client-go: a controller declares what to read, what
// the read means, and what should exist; the engine turns that into conditions, a status value, server-side
// applies, events, logs and a workqueue decision. It knows nothing about any particular API group.
//
// # Usage
//
// A controller implements three phases over its object T, a fetch result F and an observation Obs:
//
//	type fetched struct{ cm statemachine.FetchResult[*corev1.ConfigMap] }
//	type obs struct{ fetched }
//
//	func (o obs) GetComponentHealth() []statemachine.ComponentHealth { // automatic status mode
//		return []statemachine.ComponentHealth{o.cm.ToDownstreamComponentHealth("Data", inspectData)}
//	}
//
//	func (r *rec) FetchRemoteState(ctx context.Context, rc statemachine.ReconcileContext[*v1.Foo]) fetched {
//		return fetched{statemachine.Fetch(r.cmLister.ConfigMaps(rc.Object.Namespace), rc.Object.Name)}
//	}
//	func (r *rec) ComposeState(_ context.Context, _ statemachine.ReconcileContext[*v1.Foo], f fetched) obs { return obs{f} }
//	func (r *rec) PlanResources(_ context.Context, rc statemachine.ReconcileContext[*v1.Foo], o obs) statemachine.PlanResult {
//		var p statemachine.PlanResult
//		p.Apply(corev1ac.ConfigMap(rc.Object.Name, rc.Object.Namespace).WithData(map[string]string{"k": "v"}))
//		return p
//	}
//
// and wires a Pipeline once per controller:
//
//	p := &statemachine.Pipeline[*v1.Foo, *v1.FooStatus, fetched, obs]{
//		Name:       "foo",
//		Reconciler: &rec{...},
//		StatusOf:   func(o *v1.Foo) *v1.FooStatus { return &o.Status },
//		Fields: func(o *v1.Foo) statemachine.Status {
//			return statemachine.FieldsOf(&o.Status.Conditions, &o.Status.Status, &o.Status.ObservedGeneration)
//		},
//		UpdateStatus: func(ctx context.Context, o *v1.Foo) error {
//			_, err := client.FooV1().Foos(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{})
//			return err
//		},
//		OwnerGVK: v1.SchemeGroupVersion.WithKind("Foo"),
//		Applier:  statemachine.NewApplier(dynamicClient, statemachine.MapperResolver(mapper), "foo-controller"),
//		Recorder: recorder,
//	}
//	if err := p.Validate(); err != nil { ... }  // at registration: wiring mistakes fail fast
//	result, err := p.Run(ctx, foo)               // from the workqueue worker; foo may come from a lister
//
// Status modes: an observation implementing HealthProvider (GetComponentHealth()) or ClientHealthProvider
// (GetComponentHealth(ctx, C), e.g. C = kubernetes.Interface, which requires Pipeline.Client =
// WithClient[C](client)) gets fully automatic
// conditions; a reconciler that also implements StatusDecorator adds domain fields (and may add `*Ready`
// conditions, which are rolled up); a reconciler implementing ManualStatus sets everything itself.
// Domain inputs prepared before fetching (e.g. a merged configuration) go through Pipeline.Prepare and
// typed Input keys.
//
// # Run, in order
//
// Run receives the object (typically from a lister) and never modifies it; it does not GET it, handle
// deletion or manage finalizers: the controller does that before calling Run.
//
//  1. Paused objects (Pipeline.PauseAnnotation = "true") return immediately: no phase runs.
//  2. Prepare, FetchRemoteState, ComposeState, PlanResources (always all of them).
//  3. The state engine: DependenciesReachable=False on infrastructure errors, component conditions
//     `<Component>Ready` (with the grace period), AuthValid and ConfigValid (lazily created), DecorateStatus,
//     pruning of `*Ready` conditions of components no longer reported, then the Ready rollup and the root
//     status (worst of Failed < NotAvailable < Degraded < Pending < Starting < Progressing < Ready < Running,
//     infra errors turn a non-Ready worst into Degraded, auth/spec/missing-upstream force Failed; MapStatus
//     lets a kind say Starting/Running).
//  4. If allowed: deletes, then owned applies, then unowned applies (server-side apply, one field manager,
//     deterministic order, applies that would change nothing are not sent). A failure sets
//     DependenciesReachable=False "Failed to apply|delete resources: <err>"; a False DependenciesReachable
//     returns to True only once there are no infrastructure errors and the phase succeeded (or was not
//     needed), so a failing apply does not flap it. Parent conditions are created lazily and never removed.
//  5. status.conditions and status.observedGeneration.
//  6. UpdateStatus, only if the status changed semantically; then events and klog lines per condition
//     configuration (not after a failed write, so a retried reconcile does not report a transition twice).
//
// lastTransitionTime moves only when a condition's status changes; every condition the engine sets carries
// the object's generation. A transient (infrastructure) error keeps a component's previous condition status
// while DependenciesReachable has been False for less than the grace period (default 10 s).
//
// # Decisions
//
//	Situation                                         Apply  Result returned
//	------------------------------------------------  -----  ------------------------------------------------
//	Infrastructure or Unknown error in any component  no     error (*InfrastructureError): rate-limited retry
//	Delete/apply failed                               -      error (*InfrastructureError): rate-limited retry
//	Status write failed (not a conflict)              -      error: rate-limited retry
//	Status write conflict                             -      Result{Requeue: true}, nil: quiet requeue
//	Auth, InvalidSpec, MissingUpstream or             no     Result{RequeueAfter: min(plan, SlowRecheck)}, nil:
//	ResourceExhaustion error (user must act)                 slow periodic recheck; watched changes re-run it
//	MissingDownstream error or none                   yes    Result{RequeueAfter: plan.RequeueAfter}, nil
//	Programming error (see ErrProgramming)            no     error
//	Paused                                            no     Result{}, nil
//
// Errors take precedence over Requeue, which takes precedence over RequeueAfter: Run never returns an error
// together with a non-zero Result.
package statemachine
