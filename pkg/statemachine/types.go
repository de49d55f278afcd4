package statemachine

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// State is the health state of a component, and (after mapping) the root status value.
type State string

// The state values, ordered by Priority from worst to best.
const (
	StateFailed       State = "Failed"
	StateNotAvailable State = "NotAvailable"
	StateDegraded     State = "Degraded"
	StatePending      State = "Pending"
	StateStarting     State = "Starting"
	StateProgressing  State = "Progressing"
	StateReady        State = "Ready"
	StateRunning      State = "Running"
)

// Priority orders states for the "worst of" rollup: Failed 0 < NotAvailable 1 < Degraded 2 < Pending 3 <
// Starting 4 < Progressing 5 < Ready 6 < Running 7. Unknown strings (including "") rank with Failed.
func Priority(s State) int {
	switch s {
	case StateNotAvailable:
		return 1
	case StateDegraded:
		return 2
	case StatePending:
		return 3
	case StateStarting:
		return 4
	case StateProgressing:
		return 5
	case StateReady:
		return 6
	case StateRunning:
		return 7
	}
	return 0
}

// Worse reports whether a ranks strictly below b.
func Worse(a, b State) bool { return Priority(a) < Priority(b) }

// isErrorState: states that make a component condition AsError and can name the Ready reason.
func isErrorState(s State) bool {
	return s == StateFailed || s == StateDegraded || s == StateNotAvailable
}

// DependencyType says whether a component is something the user referenced (Upstream: its absence needs the
// user) or something this controller creates (Downstream: its absence heals itself).
type DependencyType string

const (
	DependencyUnspecified DependencyType = ""
	DependencyUpstream    DependencyType = "Upstream"
	DependencyDownstream  DependencyType = "Downstream"
)

// ComponentHealth is one component's health as reported by the domain. The engine turns it into the condition
// `<Component>Ready`. A component with an empty name is ignored.
type ComponentHealth struct {
	Component      string
	State          State // empty: derived from Errors
	Reason         string
	Message        string
	Errors         []error
	DependencyType DependencyType
}

// GetState returns State, or a state derived from the errors: none → Ready; any Auth, ResourceExhaustion or
// InvalidSpec → Failed; else any MissingUpstream or Infrastructure → Degraded; else Progressing.
func (h ComponentHealth) GetState() State {
	if h.State != "" {
		return h.State
	}
	if len(h.Errors) == 0 {
		return StateReady
	}
	var degraded bool
	for _, err := range h.Errors {
		switch CategorizeError(err).Category() {
		case CategoryAuth, CategoryResourceExhaustion, CategoryInvalidSpec:
			return StateFailed
		case CategoryMissingUpstreamDependency, CategoryInfrastructure:
			degraded = true
		}
	}
	if degraded {
		return StateDegraded
	}
	return StateProgressing
}

// GetReason returns Reason, else the first error's categorized reason, else "Ready".
func (h ComponentHealth) GetReason() string {
	if h.Reason != "" {
		return h.Reason
	}
	if len(h.Errors) > 0 {
		return CategorizeError(h.Errors[0]).Reason()
	}
	return "Ready"
}

// GetMessage returns Message, else the first error's user message, else "".
func (h ComponentHealth) GetMessage() string {
	if h.Message != "" {
		return h.Message
	}
	if len(h.Errors) > 0 {
		return CategorizeError(h.Errors[0]).UserMessage()
	}
	return ""
}

// HealthProvider is implemented by an observation in automatic mode.
type HealthProvider interface {
	GetComponentHealth() []ComponentHealth
}

// ClientHealthProvider is the variant for inspectors that read more (pod logs, events) through a client of
// type C: GetComponentHealth(ctx, kubernetes.Interface) in most operators, or a narrower clientset in those
// that watch their binary size. The pipeline calls it with the client given by Pipeline.Client =
// WithClient[C](c); without a client for C the observation reports no health, which Validate and Run treat
// as a programming error.
type ClientHealthProvider[C any] interface {
	GetComponentHealth(ctx context.Context, client C) []ComponentHealth
}

// HealthClient hands a client to ClientHealthProvider observations; build one with WithClient.
type HealthClient interface {
	// accepts reports whether obs implements GetComponentHealth(ctx, C) for this client's C.
	accepts(obs any) bool
	// health calls it; only for observations it accepts.
	health(ctx context.Context, obs any) []ComponentHealth
}

// WithClient returns the HealthClient passing c to ClientHealthProvider[C] observations, e.g.
// WithClient[kubernetes.Interface](clientset). The type argument must match the observation's parameter
// type exactly (an interface, not the concrete clientset type).
func WithClient[C any](c C) HealthClient { return healthClient[C]{c} }

type healthClient[C any] struct{ c C }

func (h healthClient[C]) accepts(obs any) bool {
	_, ok := obs.(ClientHealthProvider[C])
	return ok
}

func (h healthClient[C]) health(ctx context.Context, obs any) []ComponentHealth {
	return obs.(ClientHealthProvider[C]).GetComponentHealth(ctx, h.c)
}

// Object is what a pipeline reconciles: any API object with metadata.
type Object interface {
	metav1.Object
	runtime.Object
}

// Status gives the engine the three status fields it owns. A domain status type can implement it, or the
// pipeline's Fields function can return FieldsOf(...) over plain struct fields.
type Status interface {
	GetConditions() []metav1.Condition
	SetConditions([]metav1.Condition)
	GetStatus() string
	SetStatus(string)
	GetObservedGeneration() int64
	SetObservedGeneration(int64)
}

// FieldsOf adapts pointers to plain status fields to Status, so API types need no methods:
//
//	Fields: func(o *v1.Foo) statemachine.Status {
//		return statemachine.FieldsOf(&o.Status.Conditions, &o.Status.Status, &o.Status.ObservedGeneration)
//	}
//
// Any pointer may be nil when the type lacks the field.
func FieldsOf(conditions *[]metav1.Condition, status *string, observedGeneration *int64) Status {
	return fields{conditions, status, observedGeneration}
}

type fields struct {
	c  *[]metav1.Condition
	s  *string
	og *int64
}

func (f fields) GetConditions() []metav1.Condition {
	if f.c == nil {
		return nil
	}
	return *f.c
}
func (f fields) SetConditions(c []metav1.Condition) {
	if f.c != nil {
		*f.c = c
	}
}
func (f fields) GetStatus() string {
	if f.s == nil {
		return ""
	}
	return *f.s
}
func (f fields) SetStatus(s string) {
	if f.s != nil {
		*f.s = s
	}
}
func (f fields) GetObservedGeneration() int64 {
	if f.og == nil {
		return 0
	}
	return *f.og
}
func (f fields) SetObservedGeneration(g int64) {
	if f.og != nil {
		*f.og = g
	}
}

// Result tells the workqueue what to do next. With a nil error: Requeue → AddRateLimited without logging an
// error (used after a status-write conflict; the limiter's first delays are milliseconds); RequeueAfter > 0 →
// AddAfter and Forget; otherwise Forget. Run never returns both an error and a RequeueAfter.
type Result struct {
	RequeueAfter time.Duration
	Requeue      bool
}

// IsZero reports whether the result asks for nothing.
func (r Result) IsZero() bool { return r.RequeueAfter == 0 && !r.Requeue }
