package model

import (
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// Aggregate is the template health table (catalogue §2.8): the first matching row wins. statuses are the
// `status.status` values of the model's templates.
func Aggregate(component string, statuses []string, exp Expectation) statemachine.ComponentHealth {
	h := func(s statemachine.State, reason, msg string) statemachine.ComponentHealth {
		return statemachine.ComponentHealth{Component: component, State: s, Reason: reason, Message: msg}
	}
	if len(statuses) == 0 {
		switch {
		case !exp.Known:
			return h(statemachine.StateProgressing, constants.ReasonAwaitingMetadata, constants.MsgAwaitingMetadata)
		case exp.Expects:
			return h(statemachine.StateProgressing, constants.ReasonCreatingTemplates, constants.MsgCreatingTemplates)
		default:
			return h(statemachine.StateReady, constants.ReasonNoTemplatesExpected, constants.MsgNoTemplatesExpected)
		}
	}
	var ready, failed, notAvail, progressing int
	for _, s := range statuses {
		switch s {
		case constants.StatusReady:
			ready++
		case constants.StatusDegraded, constants.StatusFailed:
			failed++
		case constants.StatusNotAvailable:
			notAvail++
		case constants.StatusProgressing, constants.StatusPending:
			progressing++
		}
	}
	n := len(statuses)
	switch {
	case ready == n:
		return h(statemachine.StateReady, constants.ReasonAllTemplatesReady, constants.MsgAllTemplatesReady)
	case failed == n:
		return h(statemachine.StateFailed, constants.ReasonAllTemplatesFailed, constants.MsgAllTemplatesFailed)
	case notAvail == n:
		return h(statemachine.StateNotAvailable, constants.ReasonNoTemplatesAvailable, constants.MsgNoTemplatesAvailable)
	case failed > 0:
		return h(statemachine.StateDegraded, constants.ReasonSomeTemplatesDegraded, constants.MsgSomeTemplatesDegraded)
	case progressing > 0:
		return h(statemachine.StateProgressing, constants.ReasonTemplatesProgressing, constants.MsgTemplatesProgressing)
	case ready+notAvail == n:
		return h(statemachine.StateReady, constants.ReasonSomeTemplatesReady, constants.MsgSomeTemplatesReady)
	}
	return h(statemachine.StateProgressing, constants.ReasonTemplatesProgressing, constants.MsgTemplatesUnknown)
}
