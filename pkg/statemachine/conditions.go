package statemachine

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
)

// EmitMode says when a condition produces an event or a log line.
type EmitMode int

const (
	EmitNever        EmitMode = iota
	EmitOnTransition          // when the condition is new or its status or reason changed
	EmitAlways                // every reconcile that sets it
)

// Level of the event (Normal/Warning) and log line (info at a verbosity, or error).
type Level int

const (
	LevelInfo Level = iota
	LevelWarning
)

// Observability configures events and logs for one condition.
type Observability struct {
	EventMode  EmitMode
	EventLevel Level
	LogMode    EmitMode
	LogLevel   Level
	LogV       int    // klog verbosity for info logs
	Reason     string // event reason override; default the condition reason
	Message    string // event and log message override; default the condition message
}

// DefaultObservability: Normal event and V(0) info log, on transition.
func DefaultObservability() Observability {
	return Observability{EventMode: EmitOnTransition, LogMode: EmitOnTransition}
}

// Option changes a condition's Observability.
type Option func(*Observability)

// Silent: no event, no log.
func Silent() Option {
	return func(o *Observability) { o.EventMode, o.LogMode = EmitNever, EmitNever }
}

// AsInfo: Normal event and V(0) info log, on transition.
func AsInfo() Option {
	return func(o *Observability) { *o = DefaultObservability() }
}

// AsWarning: Warning event and error log, on transition.
func AsWarning() Option {
	return func(o *Observability) {
		*o = Observability{EventMode: EmitOnTransition, EventLevel: LevelWarning, LogMode: EmitOnTransition, LogLevel: LevelWarning}
	}
}

// AsError: Warning event and error log on every reconcile (the event correlator aggregates the repeats).
func AsError() Option {
	return func(o *Observability) {
		*o = Observability{EventMode: EmitAlways, EventLevel: LevelWarning, LogMode: EmitAlways, LogLevel: LevelWarning}
	}
}

// WithRecurring turns on-transition emission into every-reconcile emission.
func WithRecurring() Option {
	return func(o *Observability) {
		if o.EventMode == EmitOnTransition {
			o.EventMode = EmitAlways
		}
		if o.LogMode == EmitOnTransition {
			o.LogMode = EmitAlways
		}
	}
}

// WithNormalEvent / WithWarningEvent set the event level (on transition when events were off).
func WithNormalEvent() Option  { return withEvent(LevelInfo) }
func WithWarningEvent() Option { return withEvent(LevelWarning) }

func withEvent(l Level) Option {
	return func(o *Observability) {
		o.EventLevel = l
		if o.EventMode == EmitNever {
			o.EventMode = EmitOnTransition
		}
	}
}

// WithDebugLog logs at V(1), WithInfoLog at V(0); WithErrorLog logs through logger.Error.
func WithDebugLog() Option { return func(o *Observability) { o.LogLevel, o.LogV = LevelInfo, 1 } }
func WithInfoLog() Option  { return func(o *Observability) { o.LogLevel, o.LogV = LevelInfo, 0 } }
func WithErrorLog() Option { return func(o *Observability) { o.LogLevel = LevelWarning } }

// WithCriticalError is AsError, under the reference's other name.
func WithCriticalError() Option { return AsError() }

// WithEventReason / WithEventMessage override the event's reason or message (and log message).
func WithEventReason(r string) Option  { return func(o *Observability) { o.Reason = r } }
func WithEventMessage(m string) Option { return func(o *Observability) { o.Message = m } }

type managed struct {
	cond metav1.Condition
	obs  Observability
	set  bool // set during this reconcile
}

// ConditionManager edits a condition list for one reconcile. It remembers the conditions as they were
// stored, so lastTransitionTime moves only when a condition's status changes against the stored value
// (setting a condition twice in one reconcile does not re-stamp it), and it records which conditions were
// set this reconcile and how each one should be reported.
type ConditionManager struct {
	clock      clock.PassiveClock
	generation int64
	stored     map[string]metav1.Condition
	list       []*managed
}

// NewConditionManager starts from the stored conditions. generation is written into every condition set.
func NewConditionManager(stored []metav1.Condition, generation int64, clk clock.PassiveClock) *ConditionManager {
	if clk == nil {
		clk = clock.RealClock{}
	}
	cm := &ConditionManager{clock: clk, generation: generation, stored: map[string]metav1.Condition{}}
	for _, c := range stored {
		cm.stored[c.Type] = c
		cm.list = append(cm.list, &managed{cond: *c.DeepCopy(), obs: DefaultObservability()})
	}
	return cm
}

func (cm *ConditionManager) find(t string) *managed {
	for _, m := range cm.list {
		if m.cond.Type == t {
			return m
		}
	}
	return nil
}

// Set sets a condition; new conditions are appended, existing ones keep their position.
func (cm *ConditionManager) Set(c metav1.Condition, opts ...Option) {
	obs := DefaultObservability()
	for _, o := range opts {
		o(&obs)
	}
	c.ObservedGeneration = cm.generation
	if old, ok := cm.stored[c.Type]; ok && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
		c.LastTransitionTime = old.LastTransitionTime
	} else {
		c.LastTransitionTime = metav1.NewTime(cm.clock.Now().Truncate(1e9)) // API precision is seconds
	}
	if m := cm.find(c.Type); m != nil {
		m.cond, m.obs, m.set = c, obs, true
		return
	}
	cm.list = append(cm.list, &managed{cond: c, obs: obs, set: true})
}

// MarkTrue, MarkFalse and MarkUnknown set a condition with the given status.
func (cm *ConditionManager) MarkTrue(t, reason, msg string, opts ...Option) {
	cm.Set(metav1.Condition{Type: t, Status: metav1.ConditionTrue, Reason: reason, Message: msg}, opts...)
}
func (cm *ConditionManager) MarkFalse(t, reason, msg string, opts ...Option) {
	cm.Set(metav1.Condition{Type: t, Status: metav1.ConditionFalse, Reason: reason, Message: msg}, opts...)
}
func (cm *ConditionManager) MarkUnknown(t, reason, msg string, opts ...Option) {
	cm.Set(metav1.Condition{Type: t, Status: metav1.ConditionUnknown, Reason: reason, Message: msg}, opts...)
}

// Get returns the current condition of that type, or nil.
func (cm *ConditionManager) Get(t string) *metav1.Condition {
	if m := cm.find(t); m != nil {
		c := m.cond
		return &c
	}
	return nil
}

// IsTrue reports whether the condition exists with status True.
func (cm *ConditionManager) IsTrue(t string) bool {
	c := cm.Get(t)
	return c != nil && c.Status == metav1.ConditionTrue
}

// Delete removes a condition.
func (cm *ConditionManager) Delete(t string) {
	for i, m := range cm.list {
		if m.cond.Type == t {
			cm.list = append(cm.list[:i], cm.list[i+1:]...)
			return
		}
	}
}

// Conditions returns a copy of the list, in order.
func (cm *ConditionManager) Conditions() []metav1.Condition {
	if len(cm.list) == 0 {
		return nil
	}
	out := make([]metav1.Condition, 0, len(cm.list))
	for _, m := range cm.list {
		out = append(out, m.cond)
	}
	return out
}

// Transition is a condition to report, with its config and whether it changed against the stored list.
type Transition struct {
	Condition     metav1.Condition
	Observability Observability
	Changed       bool // new, or status or reason differs from the stored condition
}

// Transitions lists the conditions set this reconcile with their reporting config, so domain tests can
// assert how a condition will be reported.
func (cm *ConditionManager) Transitions() []Transition { return cm.toReport() }

// toReport lists the conditions set this reconcile.
func (cm *ConditionManager) toReport() []Transition {
	var out []Transition
	for _, m := range cm.list {
		if !m.set {
			continue
		}
		old, ok := cm.stored[m.cond.Type]
		changed := !ok || old.Status != m.cond.Status || old.Reason != m.cond.Reason
		out = append(out, Transition{Condition: m.cond, Observability: m.obs, Changed: changed})
	}
	return out
}

// prune removes *Ready component conditions not set this reconcile (components no longer reported).
func (cm *ConditionManager) prune() {
	out := cm.list[:0]
	for _, m := range cm.list {
		if m.set || !isComponentCondition(m.cond.Type) {
			out = append(out, m)
		}
	}
	cm.list = out
}

// touch stamps the current generation on a condition the engine evaluated but did not change.
func (cm *ConditionManager) touch(t string) {
	if m := cm.find(t); m != nil {
		m.cond.ObservedGeneration = cm.generation
	}
}
