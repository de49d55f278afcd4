package inspect

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// HTTPRoute reports a Gateway API HTTPRoute (unstructured, so no Gateway API module is needed). Across
// status.parents[*].conditions in order, the first Accepted condition or the first ResolvedRefs=False decides.
func HTTPRoute(route *unstructured.Unstructured) sm.ComponentHealth {
	if route == nil {
		return sm.ComponentHealth{Errors: []error{sm.NewMissingDownstreamDependencyError("HTTPRouteNotFound", "HTTPRoute not found", nil)}}
	}
	parents, _, _ := unstructured.NestedSlice(route.Object, "status", "parents")
	for _, p := range parents {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		conds, _, _ := unstructured.NestedSlice(pm, "conditions")
		for _, c := range conds {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			typ, _ := cm["type"].(string)
			status, _ := cm["status"].(string)
			reason, _ := cm["reason"].(string)
			msg, _ := cm["message"].(string)
			switch {
			case typ == "Accepted" && status == "True":
				return sm.ComponentHealth{State: sm.StateReady, Reason: "HTTPRouteAccepted", Message: "HTTPRoute is accepted by gateway"}
			case typ == "Accepted":
				if reason == "" {
					reason = "HTTPRouteRejected"
				}
				return sm.ComponentHealth{Errors: []error{sm.NewInvalidSpecError(reason, "HTTPRoute rejected: "+msg, nil)}}
			case typ == "ResolvedRefs" && status == "False":
				if reason == "" {
					reason = "HTTPRouteBackendNotResolved"
				}
				return sm.ComponentHealth{Errors: []error{sm.NewMissingDownstreamDependencyError(reason, "HTTPRoute backend not resolved: "+msg, nil)}}
			}
		}
	}
	return sm.ComponentHealth{State: sm.StateProgressing, Reason: "HTTPRoutePending", Message: "HTTPRoute is waiting for gateway acceptance"}
}
