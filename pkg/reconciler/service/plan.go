package service

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aimlite/aimlite/pkg/aim/caching"
	"github.com/aimlite/aimlite/pkg/aim/childwiring"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// PlanResources decides the children (catalogue C10–C15). It is pure.
func (r *Reconciler) PlanResources(_ context.Context, rc sm.ReconcileContext[*aimv1.AIMService], o obs) sm.PlanResult {
	var p sm.PlanResult
	svc := rc.Object
	if m := o.model.create; m != nil {
		childwiring.PropagateLabels(svc.Labels, m, o.rcSpec())
		p.ApplyWithoutOwnerRef(m)
	}
	if route, ok := o.desiredRoute(); ok && kserve.NeedsApply(o.route.obj.Value, route) {
		p.Apply(route)
	}
	t := o.tpl.template
	if d := o.tpl.derive; d != nil {
		childwiring.PropagateLabels(svc.Labels, d, o.rcSpec())
		p.Apply(d)
	}
	if t == nil || !t.ready() {
		return p
	}
	if c := o.cache.create; c != nil {
		childwiring.PropagateLabels(svc.Labels, c, o.rcSpec())
		if o.cache.mode == caching.Dedicated {
			p.Apply(c)
		} else {
			p.ApplyWithoutOwnerRef(c)
		}
	}
	// Unchanged children are not planned at all: one apply per real change (a fetch error
	// blocks the apply phase anyway).
	if isvc, ok := o.desiredISVC(svc); ok && kserve.NeedsApply(o.isvc.Value, isvc) {
		p.Apply(isvc)
	}
	return p
}

// cacheReady: the ISVC may be created (no cache needed, or the cache is Ready).
func (o obs) cacheReady() bool {
	return o.cache.needless || (o.cache.cache != nil && string(o.cache.cache.Status.Status) == constants.StatusReady)
}

// routable: routing is on and everything the HTTPRoute needs is known.
func (o obs) routable() bool {
	rv := o.route
	return rv.enabled && rv.available && rv.gateway != nil && o.isvcNameErr == nil
}

func (o obs) desiredRoute() (*unstructured.Unstructured, bool) {
	rv := o.route
	if !o.routable() {
		return nil, false
	}
	gw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(rv.gateway)
	if err != nil {
		return nil, false
	}
	return routing.Build(routing.Params{Name: rv.name, Namespace: o.svc.Namespace, ServiceName: o.svc.Name, ISVCName: o.isvcName,
		Path: rv.path, Gateway: gw, RequestTimeout: rv.timeout, Annotations: rv.annotations,
		ExtraLabels: childwiring.Propagated(o.svc.Labels, o.rcSpec())}), true
}

// desiredISVC builds the InferenceService when it may be applied: the template is Ready
// and the ISVC exists already, or the model and cache are Ready.
func (o obs) desiredISVC(svc *aimv1.AIMService) (*unstructured.Unstructured, bool) {
	t := o.tpl.template
	m := o.model.model
	if !o.kserve || o.isvcNameErr != nil || t == nil || !t.ready() || m == nil {
		return nil, false
	}
	if !o.isvcExists() && !(m.ready() && o.cacheReady()) {
		return nil, false
	}
	var rcEnv []corev1.EnvVar
	if s := o.rcSpec(); s != nil {
		rcEnv = s.Env
	}
	modelID := ""
	if len(t.Spec.ModelSources) > 0 {
		modelID = t.Spec.ModelSources[0].ModelID
	}
	env := kserve.Env(kserve.EnvInput{RuntimeConfig: rcEnv, ProfileID: t.Spec.ProfileID, Metric: string(t.Spec.Metric),
		Precision: string(t.Spec.Precision), Template: t.Spec.Env, ModelID: modelID, Service: svc.Spec.Env})
	// Per-GPU defaults follow the template's resolved hardware only (catalogue §4: n =
	// status.resolvedHardware.gpu.requests; with n = 0 none apply).
	var gpus int64
	resName := ""
	if h := t.Status.ResolvedHardware; h != nil && h.GPU != nil {
		gpus, resName = int64(h.GPU.Requests), h.GPU.ResourceName
	}
	res := kserve.Resources(gpus, resName, t.Spec.Resources, svc.Spec.Resources)
	var metrics []any
	if svc.Spec.AutoScaling != nil {
		for i := range svc.Spec.AutoScaling.Metrics {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&svc.Spec.AutoScaling.Metrics[i])
			if err == nil {
				metrics = append(metrics, m)
			}
		}
	}
	var volumes []kserve.CacheVolume
	if c := o.cache.cache; c != nil && string(c.Status.Status) == constants.StatusReady {
		names := make([]string, 0, len(c.Status.Artifacts))
		for n := range c.Status.Artifacts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := c.Status.Artifacts[n]
			if string(a.Status) == constants.StatusReady && a.PersistentVolumeClaim != "" {
				volumes = append(volumes, kserve.CacheVolume{ArtifactName: n, ClaimName: a.PersistentVolumeClaim, ModelID: a.Model})
			}
		}
	}
	profMetric, profPrecision := "", ""
	if p := t.Status.Profile; p != nil && p.Metadata != nil {
		profMetric, profPrecision = string(p.Metadata.Metric), string(p.Metadata.Precision)
	}
	params := kserve.Params{
		Name: o.isvcName, Namespace: svc.Namespace, ServiceName: svc.Name, TemplateName: t.Name, ModelName: t.Spec.ModelName,
		ProfileMetric: profMetric, ProfilePrecision: profPrecision, Image: m.Spec.Image, Env: env, Resources: res,
		ImagePullSecrets: svc.Spec.ImagePullSecrets, ServiceAccountName: svc.Spec.ServiceAccountName,
		NodeAffinity: t.Status.ResolvedNodeAffinity,
		Scaling: kserve.Scaling{Replicas: svc.Spec.Replicas, MinReplicas: svc.Spec.MinReplicas, MaxReplicas: svc.Spec.MaxReplicas,
			Metrics: metrics, Autoscaling: o.autoscaling},
		CacheVolumes: volumes,
		ExtraLabels:  childwiring.Propagated(svc.Labels, o.rcSpec()),
	}
	if o.isvcExists() {
		params.Existing = o.isvc.Value
	}
	u, err := kserve.Build(params)
	if err != nil {
		return nil, false
	}
	return u, true
}

// DecorateStatus fills the service's resolved references, cache, routing and runtime fields.
func (r *Reconciler) DecorateStatus(st *aimv1.AIMServiceStatus, _ *sm.ConditionManager, o obs) {
	st.ResolvedModel = nil
	if m := o.model.model; m.ready() {
		st.ResolvedModel = m.ref(o.svc.Namespace)
	}
	st.ResolvedTemplate = nil
	if t := o.tpl.template; t.ready() {
		st.ResolvedTemplate = t.ref()
	}
	st.Cache = nil
	if c := o.cache.cache; c != nil && string(c.Status.Status) == constants.StatusReady {
		st.Cache = &aimv1.AIMServiceCacheStatus{TemplateCacheRef: &aimv1.AIMResolvedReference{Name: c.Name, Namespace: c.Namespace,
			Scope: constants.ScopeNamespace, Kind: "AIMTemplateCache", UID: c.UID}}
	}
	st.Routing = nil
	if o.routable() {
		st.Routing = &aimv1.AIMServiceRoutingStatus{Path: o.route.path}
	}
	st.Runtime = o.runtimeStatus()
	st.ResolvedRuntimeConfig = o.rc.Reference()
}

// runtimeStatus follows catalogue §1.3: from the HPA when there is one, else all four counts equal
// spec.minReplicas, else spec.replicas, else 1 (so without an HPA "replicas" is always "<n>"; the
// maxReplicas bound only describes the HPA KEDA will create).
func (o obs) runtimeStatus() *aimv1.AIMServiceRuntimeStatus {
	n := int32(1)
	switch s := o.svc.Spec; {
	case s.MinReplicas != nil:
		n = *s.MinReplicas
	case s.Replicas != nil:
		n = *s.Replicas
	}
	rs := &aimv1.AIMServiceRuntimeStatus{MinReplicas: n, MaxReplicas: n, CurrentReplicas: n, DesiredReplicas: n}
	if o.autoscaling && o.hpa.OK() && o.hpa.Value != nil {
		h := o.hpa.Value
		rs.CurrentReplicas, rs.DesiredReplicas = h.Status.CurrentReplicas, h.Status.DesiredReplicas
		rs.MinReplicas = 1 // the HPA API default
		if h.Spec.MinReplicas != nil {
			rs.MinReplicas = *h.Spec.MinReplicas
		}
		rs.MaxReplicas = h.Spec.MaxReplicas
	}
	if rs.MinReplicas == rs.MaxReplicas {
		rs.Replicas = fmt.Sprintf("%d", rs.CurrentReplicas)
	} else {
		rs.Replicas = fmt.Sprintf("%d/%d (%d-%d)", rs.CurrentReplicas, rs.DesiredReplicas, rs.MinReplicas, rs.MaxReplicas)
	}
	return rs
}

// MapStatus maps the engine's root state to the AIMService enum (Pending, Starting, Running,
// Degraded, Failed). NotAvailable (no GPU for the template) is outside the enum; it reads as
// Pending, and TemplateReady carries the NotAvailable detail.
func MapStatus(s sm.State) string {
	switch s {
	case sm.StateProgressing, sm.StateStarting:
		return constants.StatusStarting
	case sm.StateReady, sm.StateRunning:
		return constants.StatusRunning
	case sm.StateNotAvailable:
		return constants.StatusPending
	}
	return string(s)
}
