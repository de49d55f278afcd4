// Package service reconciles AIMService: it resolves (or creates) the model, resolves or
// auto-selects the template, orchestrates the template cache, and runs the model on a KServe
// InferenceService, optionally behind a Gateway API HTTPRoute. KServe and Gateway API are
// optional kinds, read and written as unstructured.
package service

import (
	"context"
	"errors"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Stores are the cached reads the reconciler needs. ISVCs and Routes return nil while
// their (optional) kind is not installed.
type Stores struct {
	Models           store.Store[*aimv1.AIMModel]
	ClusterModels    store.Store[*aimv1.AIMClusterModel]
	Templates        store.Store[*aimv1.AIMServiceTemplate]
	ClusterTemplates store.Store[*aimv1.AIMClusterServiceTemplate]
	Caches           store.Store[*aimv1.AIMTemplateCache]
	RuntimeConfig    runtimeconfig.Lookup
	Pods             store.Store[*corev1.Pod]
	HPAs             store.Store[*autoscalingv2.HorizontalPodAutoscaler]
	// Events holds the Warning events about InferenceServices (nil: not inspected).
	Events store.Store[*corev1.Event]
	ISVCs  func() store.Store[*unstructured.Unstructured]
	Routes func() store.Store[*unstructured.Unstructured]
	// Nodes lists the cluster's nodes (labels are enough) for auto-selection's GPU filter; nil
	// skips that filter.
	Nodes func() ([]*corev1.Node, error)
}

// Reconciler is the AIMService domain reconciler for the statemachine pipeline.
type Reconciler struct {
	Stores Stores
}

// fetched is everything read for one service.
type fetched struct {
	svc *aimv1.AIMService

	rc runtimeconfig.Result

	isvcName    string
	isvcNameErr error
	kserve      bool
	isvc        sm.FetchResult[*unstructured.Unstructured]
	isvcEvents  []*corev1.Event
	pods        sm.FetchResult[[]*corev1.Pod]

	autoscaling bool
	hpaName     string
	hpa         sm.FetchResult[*autoscalingv2.HorizontalPodAutoscaler]

	route routeView

	model    modelResolution
	tpl      templateResolution
	cache    cacheResolution
	cacheErr error
}

type routeView struct {
	enabled     bool
	available   bool
	name        string
	gateway     *aimv1.AIMGatewayParentReference
	path        string
	timeout     *time.Duration
	annotations map[string]string
	obj         sm.FetchResult[*unstructured.Unstructured]
}

func (f *fetched) rcSpec() *aimv1.AIMRuntimeConfigSpec { return f.rc.Spec() }

func (f *fetched) isvcExists() bool { return f.isvc.OK() && f.isvc.Value != nil }

func (f *fetched) isvcReady() bool {
	return f.isvcExists() && kserve.ReadyCondition(f.isvc.Value) == "True"
}

// FetchRemoteState reads the service's world from the caches.
func (r *Reconciler) FetchRemoteState(_ context.Context, rc sm.ReconcileContext[*aimv1.AIMService]) *fetched {
	svc := rc.Object
	f := &fetched{svc: svc}
	f.rc.Resolved, f.rc.Err = r.Stores.RuntimeConfig.Resolve(svc.Spec.RuntimeConfigName, svc.Namespace)

	f.isvcName, f.isvcNameErr = naming.InferenceServiceName(svc.Name, svc.Namespace)
	isvcs := r.Stores.ISVCs()
	f.kserve = isvcs != nil
	if f.kserve && f.isvcNameErr == nil {
		f.isvc = sm.Fetch[*unstructured.Unstructured](store.In(isvcs, svc.Namespace), f.isvcName)
		if f.isvcExists() {
			sel := labels.SelectorFromSet(labels.Set{constants.LabelISVC: f.isvcName})
			pods, err := r.Stores.Pods.List(svc.Namespace, sel)
			f.pods = sm.FetchResult[[]*corev1.Pod]{Value: pods, Error: err}
			if !f.isvcReady() && r.Stores.Events != nil {
				evs, _ := r.Stores.Events.List(svc.Namespace, nil)
				for _, e := range evs {
					if e.InvolvedObject.UID == f.isvc.Value.GetUID() {
						f.isvcEvents = append(f.isvcEvents, e)
					}
				}
			}
		}
	}

	f.autoscaling = svc.Spec.AutoScaling != nil || svc.Spec.MinReplicas != nil || svc.Spec.MaxReplicas != nil
	if f.autoscaling && f.isvcNameErr == nil {
		f.hpaName = "keda-hpa-" + f.isvcName + "-predictor"
		f.hpa = sm.Fetch[*autoscalingv2.HorizontalPodAutoscaler](store.In(r.Stores.HPAs, svc.Namespace), f.hpaName)
	}

	f.route = r.fetchRoute(svc, f)

	f.model = r.resolveModel(svc)
	f.tpl = r.resolveTemplate(svc, f.model.model)
	sc := ""
	if s := f.rcSpec(); s != nil && s.Storage != nil {
		sc = s.Storage.DefaultStorageClassName
	}
	f.cache, f.cacheErr = r.resolveCache(svc, f.tpl.template, sc)
	return f
}

func (r *Reconciler) fetchRoute(svc *aimv1.AIMService, f *fetched) routeView {
	var rv routeView
	var rcRouting *aimv1.AIMRoutingConfig
	if s := f.rcSpec(); s != nil {
		rcRouting = s.Routing
	}
	sr := svc.Spec.Routing
	switch {
	case sr != nil && sr.Enabled != nil:
		rv.enabled = *sr.Enabled
	case rcRouting != nil && rcRouting.Enabled != nil:
		rv.enabled = *rcRouting.Enabled
	}
	if !rv.enabled {
		return rv
	}
	pathTemplate := ""
	rv.annotations = map[string]string{}
	for _, c := range []*aimv1.AIMRoutingConfig{rcRouting, sr} { // later wins
		if c == nil {
			continue
		}
		if c.GatewayRef != nil {
			rv.gateway = c.GatewayRef
		}
		if c.PathTemplate != "" {
			pathTemplate = c.PathTemplate
		}
		if c.RequestTimeout != nil {
			d := c.RequestTimeout.Duration
			rv.timeout = &d
		}
		for k, v := range c.Annotations {
			rv.annotations[k] = v
		}
	}
	rv.name = naming.HTTPRouteName(svc.Name, svc.Namespace)
	// A template that cannot render falls back to the default path, as the contract says (catalogue C12:
	// "any render error silently falls back"); the route and the service keep working.
	rv.path = routing.DefaultPath(svc.Namespace, string(svc.UID))
	if content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(svc); err == nil {
		if p, err := routing.RenderPath(pathTemplate, content, svc.Namespace, string(svc.UID)); err == nil {
			rv.path = p
		}
	}
	routes := r.Stores.Routes()
	rv.available = routes != nil
	if rv.available {
		rv.obj = sm.Fetch[*unstructured.Unstructured](store.In(routes, svc.Namespace), rv.name)
	}
	return rv
}

// obs is the observation: the fetch result is already composed.
type obs struct{ *fetched }

// ComposeState is a passthrough: resolution happened while fetching.
func (r *Reconciler) ComposeState(_ context.Context, _ sm.ReconcileContext[*aimv1.AIMService], f *fetched) obs {
	return obs{f}
}

var errKServeMissing = errors.New("the serving.kserve.io/v1beta1 InferenceService kind is not installed")
