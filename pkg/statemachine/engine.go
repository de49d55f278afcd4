package statemachine

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types and reasons written by the engine (contract strings).
const (
	ConditionReady                 = "Ready"
	ConditionDependenciesReachable = "DependenciesReachable"
	ConditionAuthValid             = "AuthValid"
	ConditionConfigValid           = "ConfigValid"

	ReasonReachable           = "Reachable"
	ReasonInfrastructureError = "InfrastructureError"
	ReasonAuthenticationValid = "AuthenticationValid"
	ReasonAuthError           = "AuthError"
	ReasonConfigurationValid  = "ConfigurationValid"
	ReasonInvalidSpec         = "InvalidSpec"
	ReasonReferenceNotFound   = "ReferenceNotFound"
	ReasonAllComponentsReady  = "AllComponentsReady"
	ReasonProgressing         = "Progressing"

	msgCannotReach   = "Cannot reach dependencies"
	msgReachable     = "All dependencies are reachable"
	msgAuthFailure   = "Authentication or authorization failure"
	msgAuthValid     = "Authentication and authorization successful"
	msgInvalidSpec   = "Configuration validation failed"
	msgRefNotFound   = "Referenced resource not found"
	msgConfigValid   = "Configuration is valid"
	msgAllReady      = "All components are ready"
	msgInfraWaiting  = "Infrastructure error - waiting for retry"
	msgWaitingForAll = "Waiting for components to become ready"

	componentSuffix = "Ready"
)

// DefaultGracePeriod is how long transient infrastructure errors keep a component's previous status.
const DefaultGracePeriod = 10 * time.Second

func isParent(t string) bool {
	return t == ConditionReady || t == ConditionDependenciesReachable || t == ConditionAuthValid || t == ConditionConfigValid
}

// isComponentCondition: a `<Component>Ready` condition that the rollup reads.
func isComponentCondition(t string) bool {
	return strings.HasSuffix(t, componentSuffix) && !isParent(t)
}

// flags summarises the categories of all component errors.
type flags struct {
	infra, auth, spec, upstream, exhaustion bool
	infraErrs                               []error
}

func categorize(health []ComponentHealth) flags {
	var f flags
	for _, h := range health {
		for _, err := range h.Errors {
			if err == nil {
				continue
			}
			switch CategorizeError(err).Category() {
			case CategoryInfrastructure, CategoryUnknown:
				f.infra = true
				f.infraErrs = append(f.infraErrs, err)
			case CategoryAuth:
				f.auth = true
			case CategoryInvalidSpec:
				f.spec = true
			case CategoryMissingUpstreamDependency:
				f.upstream = true
			case CategoryResourceExhaustion:
				f.exhaustion = true
			}
		}
	}
	return f
}

func hasInfraCategory(h ComponentHealth) bool {
	for _, err := range h.Errors {
		if err != nil && CategorizeError(err).Category() == CategoryInfrastructure {
			return true
		}
	}
	return false
}

// decision is what the state engine tells Run.
type decision struct {
	apply     bool    // run the delete and apply phases
	blocked   bool    // a user-fixable error stops progress: recheck slowly
	infraErrs []error // transient errors: rate-limited retry
}

func decide(f flags) decision {
	if f.infra {
		return decision{infraErrs: f.infraErrs}
	}
	blocked := f.auth || f.spec || f.upstream || f.exhaustion
	return decision{apply: !blocked, blocked: blocked}
}

// flipParent sets a lazily created parent condition: False when bad; flipped back to True only if it exists
// and is False; otherwise left alone.
func flipParent(cm *ConditionManager, t string, bad bool, badReason, badMsg, okReason, okMsg string) {
	if bad {
		cm.MarkFalse(t, badReason, badMsg, AsError())
		return
	}
	if c := cm.Get(t); c != nil {
		if c.Status == metav1.ConditionFalse {
			cm.MarkTrue(t, okReason, okMsg, AsInfo())
		} else {
			cm.touch(t)
		}
	}
}

// setParentsAndComponents writes DependenciesReachable=False on infra errors (before the grace check, which
// reads its lastTransitionTime), then the components, then AuthValid and ConfigValid, in the reference's order.
func setParentsAndComponents(cm *ConditionManager, health []ComponentHealth, f flags, now time.Time, grace time.Duration) {
	// Only the False side here: flipping back to True waits for the apply phase (reachableAfterApply), so a
	// failing apply does not make the condition flap True/False on every retry.
	if f.infra {
		cm.MarkFalse(ConditionDependenciesReachable, ReasonInfrastructureError, msgCannotReach, AsError())
	}

	inGrace := false
	if dr := cm.Get(ConditionDependenciesReachable); f.infra && dr != nil && dr.Status == metav1.ConditionFalse {
		inGrace = now.Sub(dr.LastTransitionTime.Time) < grace
	}
	for _, h := range health {
		t := h.Component + componentSuffix
		state := h.GetState()
		if prev, ok := cm.stored[t]; ok && inGrace && hasInfraCategory(h) {
			// Transient trouble: keep the previous status, show the new reason.
			opt := AsInfo()
			if prev.Status == metav1.ConditionFalse {
				opt = AsError()
			}
			cm.Set(metav1.Condition{Type: t, Status: prev.Status, Reason: h.GetReason(), Message: h.GetMessage()}, opt)
			continue
		}
		status := metav1.ConditionFalse
		if state == StateReady || state == StateRunning {
			status = metav1.ConditionTrue
		}
		opt := AsInfo()
		if isErrorState(state) {
			opt = AsError()
		}
		cm.Set(metav1.Condition{Type: t, Status: status, Reason: h.GetReason(), Message: h.GetMessage()}, opt)
	}

	flipParent(cm, ConditionAuthValid, f.auth, ReasonAuthError, msgAuthFailure, ReasonAuthenticationValid, msgAuthValid)
	switch {
	case f.spec:
		cm.MarkFalse(ConditionConfigValid, ReasonInvalidSpec, msgInvalidSpec, AsError())
	case f.upstream:
		cm.MarkFalse(ConditionConfigValid, ReasonReferenceNotFound, msgRefNotFound, AsError())
	default:
		flipParent(cm, ConditionConfigValid, false, "", "", ReasonConfigurationValid, msgConfigValid)
	}
}

// reachableAfterApply settles DependenciesReachable once the delete/apply phase is over.
func reachableAfterApply(cm *ConditionManager, f flags, phaseErr error) {
	switch {
	case phaseErr != nil:
		cm.MarkFalse(ConditionDependenciesReachable, ReasonInfrastructureError, phaseErr.Error(), AsError())
	case !f.infra:
		flipParent(cm, ConditionDependenciesReachable, false, "", "", ReasonReachable, msgReachable)
	}
}

// rollup sets the Ready condition and returns the root state (before the kind's mapping).
func rollup(cm *ConditionManager, health []ComponentHealth, f flags) State {
	switch {
	case f.auth:
		cm.MarkFalse(ConditionReady, ReasonAuthError, msgAuthFailure, AsError())
		return StateFailed
	case f.spec:
		cm.MarkFalse(ConditionReady, ReasonInvalidSpec, msgInvalidSpec, AsError())
		return StateFailed
	case f.upstream:
		cm.MarkFalse(ConditionReady, ReasonReferenceNotFound, msgRefNotFound, AsError())
		return StateFailed
	}
	raw := map[string]ComponentHealth{}
	for _, h := range health {
		raw[h.Component+componentSuffix] = h
	}
	worst := StateReady
	allTrue := true
	var firstErr *metav1.Condition
	for _, c := range cm.Conditions() {
		if !isComponentCondition(c.Type) {
			continue
		}
		s := StateReady
		if c.Status != metav1.ConditionTrue {
			allTrue = false
			h, known := raw[c.Type]
			switch st := h.GetState(); {
			case known && (isErrorState(st) || st == StatePending):
				s = st
			case known && h.DependencyType == DependencyUpstream:
				s = StatePending
			default:
				s = StateProgressing
			}
			if isErrorState(s) && firstErr == nil {
				c := c
				firstErr = &c
			}
		}
		if Worse(s, worst) {
			worst = s
		}
	}
	switch {
	case allTrue:
		cm.MarkTrue(ConditionReady, ReasonAllComponentsReady, msgAllReady, AsInfo())
	case firstErr != nil:
		cm.MarkFalse(ConditionReady, firstErr.Reason,
			"Component "+strings.TrimSuffix(firstErr.Type, componentSuffix)+" is not ready: "+firstErr.Message, AsError())
	case f.infra:
		cm.MarkFalse(ConditionReady, ReasonInfrastructureError, msgInfraWaiting, AsError())
	default:
		cm.MarkFalse(ConditionReady, ReasonProgressing, msgWaitingForAll, AsInfo())
	}
	if f.infra && worst != StateReady {
		worst = StateDegraded
	}
	return worst
}
