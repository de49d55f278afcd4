package service

import (
	"context"
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/aimlite/aimlite/pkg/aim/caching"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
	"github.com/aimlite/aimlite/pkg/statemachine/inspect"
)

// Component reasons of the service (catalogue §2.10) not in pkg/aim/constants.
const (
	ReasonCreatingRuntime        = "CreatingRuntime"
	ReasonRuntimeReady           = "RuntimeReady"
	ReasonFetchError             = "FetchError"
	ReasonServerlessModeRejected = "ServerlessModeRejected"
	ReasonInternalError          = "InternalError"
	ReasonKServeNotInstalled     = "InferenceServiceKindMissing"
	ReasonCacheReady             = "CacheReady"
	ReasonCacheNotReady          = "CacheNotReady"
	ReasonCacheFailed            = "CacheFailed"
	ReasonCacheCreating          = "CacheCreating"
	ReasonCacheLost              = "CacheLost"
	ReasonNoCacheRequired        = "NoCacheRequired"
	ReasonGatewayNotConfigured   = "GatewayNotConfigured"
	ReasonHTTPRouteCreating      = "HTTPRouteCreating"
	ReasonHTTPRouteKindMissing   = "HTTPRouteKindMissing"
	ReasonHPANotFound            = "HPANotFound"
	ReasonWaitingForMetrics      = "WaitingForMetrics"
	ReasonMetricsFailed          = "MetricsFailed"
	ReasonScaleTargetNotReady    = "ScaleTargetNotReady"
	ReasonHPAOperational         = "HPAOperational"
)

// GetComponentHealth reports every component of the service (catalogue §1.3, §2.10).
func (o obs) GetComponentHealth(ctx context.Context, cs kubeclient.Interface) []sm.ComponentHealth {
	var hs []sm.ComponentHealth
	if h, ok := o.runtimeConfigHealth(); ok {
		hs = append(hs, h)
	}
	hs = append(hs, o.modelHealth(), o.templateHealth(), o.cacheHealth())
	if h, ok := o.isvcHealth(); ok {
		hs = append(hs, h)
	}
	if o.isvcExists() {
		hs = append(hs, o.pods.ToComponentHealthWithContext(ctx, constants.ComponentInferenceServicePods, inspect.ForClient(cs).Health))
	}
	if o.route.enabled {
		hs = append(hs, o.routeHealth())
	}
	if o.autoscaling {
		hs = append(hs, o.hpaHealth())
	}
	return hs
}

func named(name string, h sm.ComponentHealth) sm.ComponentHealth {
	h.Component = name
	return h
}

// runtimeConfigHealth: the component is reported only when a config exists or resolving it
// failed; a found config reads RuntimeConfigResolved on services (catalogue §2.2).
func (o obs) runtimeConfigHealth() (sm.ComponentHealth, bool) {
	if o.rc.Err == nil && o.rc.Spec() == nil {
		return sm.ComponentHealth{}, false
	}
	h := o.rc.Health(true)
	if o.rc.Err == nil {
		h.Reason = constants.ReasonRuntimeConfigResolved
	}
	return h, true
}

func (o obs) modelHealth() sm.ComponentHealth {
	h := sm.ComponentHealth{DependencyType: sm.DependencyUpstream}
	m := o.model
	switch {
	case m.err != nil:
		h.Errors = []error{m.err}
		h.State = sm.StateFailed
	case m.create != nil:
		msg := "Model will be created"
		if spec := o.svc.Spec.Model; spec.Image != "" {
			msg = "Model will be created for image " + strings.TrimSpace(spec.Image)
		} else if spec.Custom != nil && len(spec.Custom.ModelSources) > 0 {
			msg = "Custom model will be created for " + spec.Custom.ModelSources[0].ModelID
		}
		h = sm.ComponentHealth{State: sm.StatePending, Reason: constants.ReasonCreatingModel, Message: msg, DependencyType: sm.DependencyDownstream}
	case m.model != nil && m.model.ready():
		h.State, h.Reason, h.Message = sm.StateReady, constants.ReasonModelResolved, fmt.Sprintf("%s %s is ready", m.model.Kind, m.model.Name)
	case m.model != nil:
		state, msg := notReadyMessage(m.model.Kind, m.model.Name, m.model.Status)
		if state == constants.StatusNotAvailable {
			state = constants.StatusProgressing
			msg = fmt.Sprintf("%s %s status: %s", m.model.Kind, m.model.Name, m.model.Status)
		}
		h.State, h.Reason, h.Message = sm.State(state), constants.ReasonModelNotReady, msg
	default:
		h.State, h.Reason, h.Message = sm.StatePending, constants.ReasonModelNotFound, "No model found for service"
	}
	return named(constants.ComponentModel, h)
}

func (o obs) templateHealth() sm.ComponentHealth {
	t := o.tpl
	if t.template == nil {
		h := t.health
		if h.State == "" && len(h.Errors) == 0 {
			h = sm.ComponentHealth{State: sm.StatePending, Reason: constants.ReasonTemplateNotFound, Message: "No template found for service"}
		}
		h.DependencyType = sm.DependencyUpstream
		return named(constants.ComponentTemplate, h)
	}
	h := sm.ComponentHealth{DependencyType: sm.DependencyUpstream}
	if t.template.ready() {
		h.State, h.Reason, h.Message = sm.StateReady, constants.ReasonResolved, fmt.Sprintf("%s %s is ready", t.template.Kind, t.template.Name)
	} else {
		state, msg := notReadyMessage(t.template.Kind, t.template.Name, string(t.template.Status.Status))
		h.State, h.Reason, h.Message = sm.State(state), constants.ReasonTemplateNotReady, msg
	}
	return named(constants.ComponentTemplate, h)
}

func (o obs) cacheHealth() sm.ComponentHealth {
	h := sm.ComponentHealth{DependencyType: sm.DependencyDownstream}
	c := o.cache
	switch {
	case o.cacheErr != nil:
		h.Errors = []error{o.cacheErr}
	case c.needless:
		h.State, h.Reason, h.Message = sm.StateReady, ReasonNoCacheRequired, "The template has no model sources to cache"
	case c.cache != nil:
		switch s := string(c.cache.Status.Status); s {
		case constants.StatusReady:
			h.State, h.Reason, h.Message = sm.StateReady, ReasonCacheReady, "Template cache is ready"
		case constants.StatusProgressing:
			h.State, h.Reason, h.Message = sm.StateProgressing, ReasonCacheNotReady, "Template cache is progressing"
		case constants.StatusFailed:
			h.State, h.Reason, h.Message = sm.StateFailed, ReasonCacheFailed, "Template cache failed"
		default:
			h.State, h.Reason, h.Message = sm.StateProgressing, ReasonCacheCreating, "Template cache status: "+s
		}
	case o.isvcExists() && kserve.HasPVCVolumes(o.isvc.Value):
		h.State, h.Reason = sm.StateDegraded, ReasonCacheLost
		h.Message = "Shared template cache was deleted but InferenceService still references cached storage volumes"
		if c.mode == caching.Dedicated {
			h.Reason, h.Message = ReasonCacheCreating, "Dedicated template cache is being recreated"
		}
	default:
		h.State, h.Reason, h.Message = sm.StateProgressing, ReasonCacheCreating, "Creating template cache"
	}
	return named(constants.ComponentCache, h)
}

func (o obs) isvcHealth() (sm.ComponentHealth, bool) {
	h := sm.ComponentHealth{DependencyType: sm.DependencyDownstream}
	switch {
	case o.isvcNameErr != nil:
		// Uncategorized, as in the contract: Unknown counts as infrastructure (Degraded, retried).
		h.State, h.Reason, h.Message, h.Errors = sm.StateFailed, ReasonFetchError, o.isvcNameErr.Error(), []error{o.isvcNameErr}
	case !o.kserve:
		if o.tpl.template == nil {
			return h, false
		}
		h.State, h.Reason, h.Message = sm.StatePending, ReasonKServeNotInstalled, errKServeMissing.Error()
	case o.isvc.IsNotFound():
		h.State, h.Reason, h.Message = sm.StateProgressing, ReasonCreatingRuntime, "InferenceService not found"
	case o.isvc.HasError():
		h.Reason, h.Errors = ReasonFetchError, []error{o.isvc.Error}
	case o.isvcReady():
		h.State, h.Reason, h.Message = sm.StateReady, ReasonRuntimeReady, "InferenceService is ready"
	default:
		h.State, h.Reason, h.Message = sm.StateProgressing, ReasonCreatingRuntime, "InferenceService is not ready"
		for _, e := range o.isvcEvents {
			switch {
			case e.Reason == ReasonServerlessModeRejected:
				h.State, h.Reason, h.Message = sm.StateFailed, ReasonServerlessModeRejected, "Knative is not available. Configure KServe to use RawDeployment mode."
			case e.Type == corev1.EventTypeWarning && e.Reason == ReasonInternalError &&
				!strings.Contains(e.Message, "the object has been modified") && !strings.Contains(e.Message, "Operation cannot be fulfilled"):
				h.State, h.Reason, h.Message = sm.StateFailed, ReasonInternalError, e.Message
			}
		}
	}
	return named(constants.ComponentInferenceService, h), true
}

func (o obs) routeHealth() sm.ComponentHealth {
	rv := o.route
	h := sm.ComponentHealth{DependencyType: sm.DependencyDownstream}
	switch {
	case rv.gateway == nil:
		h.State, h.Reason = sm.StateFailed, ReasonGatewayNotConfigured
		h.Message = "Routing is enabled but no gatewayRef is configured in service or runtime config"
		h.Errors = []error{sm.NewInvalidSpecError(ReasonGatewayNotConfigured, "Routing is enabled but no gatewayRef is configured. Set spec.routing.gatewayRef on the service or runtimeConfig.routing.gatewayRef on the runtime config.", nil)}
	case !rv.available:
		h.State, h.Reason, h.Message = sm.StatePending, ReasonHTTPRouteKindMissing, "the gateway.networking.k8s.io/v1 HTTPRoute kind is not installed"
	case rv.obj.IsNotFound():
		h.State, h.Reason, h.Message = sm.StateProgressing, ReasonHTTPRouteCreating, "HTTPRoute is being created"
	case rv.obj.HasError():
		h.Reason, h.Errors = "HTTPRouteFetchError", []error{rv.obj.Error}
	default:
		h = inspect.HTTPRoute(rv.obj.Value)
	}
	return named(constants.ComponentHTTPRoute, h)
}

func hpaCondition(hpa *autoscalingv2.HorizontalPodAutoscaler, t autoscalingv2.HorizontalPodAutoscalerConditionType) *autoscalingv2.HorizontalPodAutoscalerCondition {
	for i := range hpa.Status.Conditions {
		if hpa.Status.Conditions[i].Type == t {
			return &hpa.Status.Conditions[i]
		}
	}
	return nil
}

func (o obs) hpaHealth() sm.ComponentHealth {
	h := sm.ComponentHealth{DependencyType: sm.DependencyDownstream}
	switch {
	case o.hpaName == "" || !o.isvcExists() || o.hpa.IsNotFound():
		h.State, h.Reason, h.Message = sm.StateProgressing, ReasonHPANotFound, "Waiting for KEDA to create HorizontalPodAutoscaler"
	case o.hpa.HasError():
		h.State, h.Reason, h.Message, h.Errors = sm.StateFailed, "HPAFetchError", o.hpa.Error.Error(), []error{o.hpa.Error}
	default:
		hpa := o.hpa.Value
		active := hpaCondition(hpa, autoscalingv2.ScalingActive)
		able := hpaCondition(hpa, autoscalingv2.AbleToScale)
		switch {
		case (active == nil || active.Status != corev1.ConditionTrue) && !o.isvcReady():
			h.State, h.Reason, h.Message = sm.StateProgressing, ReasonWaitingForMetrics, "Waiting for InferenceService to be ready before metrics are available"
		case active == nil:
			h.State, h.Reason, h.Message = sm.StateFailed, ReasonMetricsFailed, "HPA ScalingActive condition not found"
		case active.Status != corev1.ConditionTrue:
			h.State, h.Reason, h.Message = sm.StateFailed, ReasonMetricsFailed, "HPA cannot get metrics: "+active.Message
		case able != nil && able.Status != corev1.ConditionTrue:
			h.State, h.Reason, h.Message = sm.StateProgressing, ReasonScaleTargetNotReady, "HPA cannot update scale target: "+able.Message
		default:
			h.State, h.Reason, h.Message = sm.StateReady, ReasonHPAOperational, "HorizontalPodAutoscaler is actively scaling"
		}
	}
	return named(constants.ComponentHPA, h)
}
