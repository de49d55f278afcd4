package statemachine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// DefaultSlowRecheck is the periodic recheck of an object stuck on a user-fixable error (auth, invalid spec,
// missing reference, resource exhaustion). Watched changes re-run it sooner.
const DefaultSlowRecheck = 5 * time.Minute

// ReconcileContext is what the phases see: the object (a private copy; mutate only its status through the
// status hooks) and the inputs the domain prepared.
type ReconcileContext[T any] struct {
	Object T
	Inputs Inputs
}

// Inputs carries values a domain layer prepares before FetchRemoteState (Pipeline.Prepare), read through
// typed keys made by NewInput.
type Inputs struct{ m map[any]any }

// Input is a typed key into Inputs.
type Input[V any] struct{ name string }

// NewInput makes a key; keys compare by identity, so declare each once as a package variable.
func NewInput[V any](name string) *Input[V] { return &Input[V]{name: name} }

// Set stores v.
func (k *Input[V]) Set(in *Inputs, v V) {
	if in.m == nil {
		in.m = map[any]any{}
	}
	in.m[k] = v
}

// Get returns the stored value and whether there was one.
func (k *Input[V]) Get(in Inputs) (V, bool) {
	v, ok := in.m[k].(V)
	return v, ok
}

// DomainReconciler is what a controller implements. FetchRemoteState does all reads and returns no error
// (errors travel inside FetchResults); ComposeState and PlanResources are pure.
//
// The observation (Obs) selects the status mode: it implements HealthProvider or ClientHealthProvider
// (automatic mode), and the reconciler may also implement StatusDecorator (automatic + decorator) or, instead,
// ManualStatus (manual mode).
type DomainReconciler[T, F, Obs any] interface {
	FetchRemoteState(ctx context.Context, rc ReconcileContext[T]) F
	ComposeState(ctx context.Context, rc ReconcileContext[T], fetched F) Obs
	PlanResources(ctx context.Context, rc ReconcileContext[T], obs Obs) PlanResult
}

// StatusDecorator runs after the component and parent conditions are set and before the Ready rollup, so
// `*Ready` conditions it sets are rolled up. It may set domain status fields on status; conditions go
// through cm only (the engine writes status.conditions from cm afterwards). A `*Ready` condition that is not
// set again in a later reconcile is removed, like a component that is no longer reported.
type StatusDecorator[S, Obs any] interface {
	DecorateStatus(status S, cm *ConditionManager, obs Obs)
}

// ManualStatus replaces the engine's conditions and status value: SetStatus sets them all (conditions only
// through cm). The engine still categorizes errors of a HealthProvider observation for its decision, and
// still sets observedGeneration.
type ManualStatus[S, Obs any] interface {
	SetStatus(status S, cm *ConditionManager, obs Obs)
}

// Pipeline runs one reconcile of one object. Build one per controller; Run is safe for concurrent use on
// different objects.
type Pipeline[T Object, S any, F any, Obs any] struct {
	// Name identifies the controller in logs.
	Name       string
	Reconciler DomainReconciler[T, F, Obs]

	// StatusOf returns the object's status as the domain sees it (usually &obj.Status); it is handed to
	// decorators and compared before and after to decide whether to write.
	StatusOf func(T) S
	// Fields returns the engine-owned status fields (see FieldsOf). Optional when S implements Status.
	Fields func(T) Status
	// UpdateStatus writes the status subresource, e.g. a typed client's UpdateStatus.
	//
	// Why Update rather than ApplyStatus: the engine computes the whole condition list (including removals
	// and lastTransitionTime), which a PUT expresses exactly and an apply would not (SSA cannot remove
	// conditions it does not own, and needs an Extract per kind to compare). The PUT carries the
	// resourceVersion we read, so a concurrent writer makes it fail with Conflict instead of being
	// overwritten; Run then asks for a quiet requeue. It is only sent when the status changed semantically.
	UpdateStatus func(ctx context.Context, obj T) error

	// OwnerGVK is the reconciled kind, for owner references (typed objects often lack TypeMeta).
	OwnerGVK schema.GroupVersionKind
	// Applier sends the plan; required when plans are not empty.
	Applier *Applier
	// DecorateChild (optional) edits every planned object before apply, e.g. to add labels.
	DecorateChild func(owner T, child *unstructured.Unstructured)
	// Prepare (optional) fills domain inputs before FetchRemoteState.
	Prepare func(ctx context.Context, obj T, in *Inputs)

	// Client is passed to ClientHealthProvider observations, e.g. WithClient[kubernetes.Interface](cs).
	Client HealthClient
	// Recorder receives condition events (nil: no events).
	Recorder Recorder
	// Clock is injectable for tests (k8s.io/utils/clock/testing).
	Clock clock.PassiveClock
	// GracePeriod for transient errors; zero means DefaultGracePeriod.
	GracePeriod time.Duration
	// SlowRecheck for user-fixable errors; zero means DefaultSlowRecheck.
	SlowRecheck time.Duration
	// PauseAnnotation: an object whose annotation with this key is "true" is skipped entirely.
	PauseAnnotation string
	// MapStatus maps the root state to the kind's status value (e.g. Progressing→Starting, Ready→Running).
	MapStatus func(State) string
}

// ErrProgramming marks misconfigured pipelines and observations; Run returns it wrapped.
var ErrProgramming = errors.New("statemachine: programming error")

func (p *Pipeline[T, S, F, Obs]) status(obj T) (Status, error) {
	if p.Fields != nil {
		return p.Fields(obj), nil
	}
	if s, ok := any(p.StatusOf(obj)).(Status); ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w: %T does not implement Status and Pipeline.Fields is nil", ErrProgramming, p.StatusOf(obj))
}

func (p *Pipeline[T, S, F, Obs]) validate() error {
	switch {
	case p.Reconciler == nil:
		return fmt.Errorf("%w: Pipeline.Reconciler is nil", ErrProgramming)
	case p.StatusOf == nil:
		return fmt.Errorf("%w: Pipeline.StatusOf is nil", ErrProgramming)
	case p.UpdateStatus == nil:
		return fmt.Errorf("%w: Pipeline.UpdateStatus is nil", ErrProgramming)
	}
	return nil
}

// Validate reports wiring mistakes that Run would otherwise only hit on its first reconcile: missing
// required fields, a status type without Status and no Fields, an observation type that reports no health
// while the reconciler has no SetStatus, and a ClientHealthProvider without a matching Client. Call it when
// registering the controller.
func (p *Pipeline[T, S, F, Obs]) Validate() error {
	if err := p.validate(); err != nil {
		return err
	}
	var zeroS S
	if _, ok := any(zeroS).(Status); !ok && p.Fields == nil {
		return fmt.Errorf("%w: %T does not implement Status and Pipeline.Fields is nil", ErrProgramming, zeroS)
	}
	var zeroObs Obs
	_, manual := any(p.Reconciler).(ManualStatus[S, Obs])
	if p.takesClient(zeroObs) {
		return nil
	}
	if _, ok := any(zeroObs).(HealthProvider); !ok && !manual {
		return noHealth(zeroObs)
	}
	return nil
}

func (p *Pipeline[T, S, F, Obs]) clock() clock.PassiveClock {
	if p.Clock == nil {
		return clock.RealClock{}
	}
	return p.Clock
}

// takesClient reports whether obs gets its health through Client.
func (p *Pipeline[T, S, F, Obs]) takesClient(obs Obs) bool {
	return p.Client != nil && p.Client.accepts(obs)
}

func noHealth(obs any) error {
	return fmt.Errorf("%w: %T implements neither GetComponentHealth() nor GetComponentHealth(ctx, C) for the "+
		"Pipeline.Client given, and the reconciler no SetStatus", ErrProgramming, obs)
}

// health collects component health; it fails on observations that cannot report it.
func (p *Pipeline[T, S, F, Obs]) health(ctx context.Context, obs Obs, manual bool) ([]ComponentHealth, error) {
	var hs []ComponentHealth
	if p.takesClient(obs) {
		hs = p.Client.health(ctx, obs)
	} else if o, isProvider := any(obs).(HealthProvider); isProvider {
		hs = o.GetComponentHealth()
	} else if !manual {
		return nil, noHealth(obs)
	}
	out := hs[:0:0]
	for _, h := range hs {
		if h.Component != "" { // an unnamed component is "nothing to report"
			out = append(out, h)
		}
	}
	return out, nil
}

// Run reconciles obj, which it does not modify (it works on a deep copy). See the package doc for the
// order of phases and the decision table.
func (p *Pipeline[T, S, F, Obs]) Run(ctx context.Context, in T) (Result, error) {
	if err := p.validate(); err != nil {
		return Result{}, err
	}
	logger := klog.FromContext(ctx).WithValues("controller", p.Name, "object", klog.KObj(in))
	if p.PauseAnnotation != "" && in.GetAnnotations()[p.PauseAnnotation] == "true" {
		logger.V(1).Info("Reconciliation paused", "annotation", p.PauseAnnotation)
		return Result{}, nil
	}
	obj, ok := in.DeepCopyObject().(T)
	if !ok {
		return Result{}, fmt.Errorf("%w: DeepCopyObject of %T returned another type", ErrProgramming, in)
	}
	st, err := p.status(obj)
	if err != nil {
		return Result{}, err
	}

	rc := ReconcileContext[T]{Object: obj}
	if p.Prepare != nil {
		p.Prepare(ctx, obj, &rc.Inputs)
	}
	fetched := p.Reconciler.FetchRemoteState(ctx, rc)
	obs := p.Reconciler.ComposeState(ctx, rc, fetched)
	plan := p.Reconciler.PlanResources(ctx, rc, obs)

	manual, isManual := any(p.Reconciler).(ManualStatus[S, Obs])
	health, err := p.health(ctx, obs, isManual)
	if err != nil {
		return Result{}, err
	}
	now := p.clock().Now()
	cm := NewConditionManager(st.GetConditions(), obj.GetGeneration(), p.clock())
	f := categorize(health)
	d := decide(f)
	if isManual {
		manual.SetStatus(p.StatusOf(obj), cm, obs)
	} else {
		grace := p.GracePeriod
		if grace == 0 {
			grace = DefaultGracePeriod
		}
		setParentsAndComponents(cm, health, f, now, grace)
		if dec, ok := any(p.Reconciler).(StatusDecorator[S, Obs]); ok {
			dec.DecorateStatus(p.StatusOf(obj), cm, obs)
		}
		cm.prune()
		root := rollup(cm, health, f)
		value := string(root)
		if p.MapStatus != nil {
			value = p.MapStatus(root)
		}
		st.SetStatus(value)
	}

	phaseErr := p.applyPlan(ctx, obj, plan, d)
	if !isManual {
		reachableAfterApply(cm, f, phaseErr)
	} else if phaseErr != nil {
		cm.MarkFalse(ConditionDependenciesReachable, ReasonInfrastructureError, phaseErr.Error(), AsError())
	}
	st.SetConditions(cm.Conditions())
	st.SetObservedGeneration(obj.GetGeneration())

	conflict := false
	if p.statusChanged(in, obj) {
		if err := p.UpdateStatus(ctx, obj); apierrors.IsConflict(err) {
			logger.V(1).Info("Status update conflict, requeueing")
			conflict = true
		} else if err != nil {
			return Result{}, fmt.Errorf("status update failed: %w", err)
		}
	}
	// Report only what was stored: after a conflict the requeued run reports the same transitions once.
	if !conflict {
		emit(logger, p.Recorder, obj, cm.toReport())
	}

	switch {
	case len(d.infraErrs) > 0:
		return Result{}, &InfrastructureError{Errors: d.infraErrs}
	case phaseErr != nil:
		return Result{}, &InfrastructureError{Errors: []error{phaseErr}}
	case conflict:
		return Result{Requeue: true}, nil
	}
	after := plan.RequeueAfter
	if d.blocked {
		slow := p.SlowRecheck
		if slow == 0 {
			slow = DefaultSlowRecheck
		}
		if after == 0 || after > slow {
			after = slow
		}
	}
	return Result{RequeueAfter: after}, nil
}

// statusChanged compares the domain status and the engine-owned fields (which Fields may place elsewhere).
func (p *Pipeline[T, S, F, Obs]) statusChanged(before, after T) bool {
	if !equality.Semantic.DeepEqual(p.StatusOf(before), p.StatusOf(after)) {
		return true
	}
	b, errB := p.status(before)
	a, errA := p.status(after)
	if errB != nil || errA != nil {
		return true
	}
	return b.GetStatus() != a.GetStatus() || b.GetObservedGeneration() != a.GetObservedGeneration() ||
		!equality.Semantic.DeepEqual(b.GetConditions(), a.GetConditions())
}

// phaseError carries the condition message for a failed delete or apply phase.
type phaseError struct {
	verb string
	err  error
}

func (e *phaseError) Error() string { return "Failed to " + e.verb + " resources: " + e.err.Error() }
func (e *phaseError) Unwrap() error { return e.err }

// applyPlan runs deletes, then owned applies, then unowned applies, each only if the previous succeeded.
func (p *Pipeline[T, S, F, Obs]) applyPlan(ctx context.Context, obj T, plan PlanResult, d decision) error {
	if !d.apply || plan.Empty() {
		return nil
	}
	if p.Applier == nil {
		return &phaseError{"apply", fmt.Errorf("%w: the plan is not empty but Pipeline.Applier is nil", ErrProgramming)}
	}
	if err := p.Applier.DeleteAll(ctx, plan.del); err != nil {
		return &phaseError{"delete", err}
	}
	var decorate func(*unstructured.Unstructured)
	if p.DecorateChild != nil {
		decorate = func(u *unstructured.Unstructured) { p.DecorateChild(obj, u) }
	}
	if err := p.Applier.ApplyAll(ctx, plan.apply, obj, p.OwnerGVK, decorate); err != nil {
		return &phaseError{"apply", err}
	}
	if err := p.Applier.ApplyAll(ctx, plan.applyNoOwner, nil, schema.GroupVersionKind{}, decorate); err != nil {
		return &phaseError{"apply", err}
	}
	return nil
}
