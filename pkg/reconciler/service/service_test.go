package service

import (
	"context"
	"fmt"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	aimlisters "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

const ns = "team-a"

func idx(objs ...any) cache.Indexer {
	i := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, o := range objs {
		_ = i.Add(o)
	}
	return i
}

// world is the cached state a test reconciles against.
type world struct {
	models    []any
	cmodels   []any
	templates []any
	caches    []any
	isvcs     []any
	routes    []any
	hpas      []any
	crcs      []any
	events    []any
	noKServe  bool
	// gpuCheck wires Stores.Nodes (nodes, or nodesErr) so auto-selection filters on GPU availability.
	gpuCheck bool
	nodes    []*corev1.Node
	nodesErr error
}

func (w world) reconciler() *Reconciler {
	gr := schema.GroupResource{}
	opt := func(objs []any, missing bool) func() store.Store[*unstructured.Unstructured] {
		return func() store.Store[*unstructured.Unstructured] {
			if missing {
				return nil
			}
			return store.FromIndexer[*unstructured.Unstructured](idx(objs...), gr)
		}
	}
	var nodes func() ([]*corev1.Node, error)
	if w.gpuCheck {
		nodes = func() ([]*corev1.Node, error) { return w.nodes, w.nodesErr }
	}
	return &Reconciler{Stores: Stores{
		Nodes:            nodes,
		Models:           store.FromIndexer[*aimv1.AIMModel](idx(w.models...), gr),
		ClusterModels:    store.FromIndexer[*aimv1.AIMClusterModel](idx(w.cmodels...), gr),
		Templates:        store.FromIndexer[*aimv1.AIMServiceTemplate](idx(w.templates...), gr),
		ClusterTemplates: store.FromIndexer[*aimv1.AIMClusterServiceTemplate](idx(), gr),
		Caches:           store.FromIndexer[*aimv1.AIMTemplateCache](idx(w.caches...), gr),
		RuntimeConfig: runtimeconfig.Lookup{Namespaced: aimlisters.NewAIMRuntimeConfigLister(idx()),
			Cluster: aimlisters.NewAIMClusterRuntimeConfigLister(idx(w.crcs...))},
		Pods:   store.FromIndexer[*corev1.Pod](idx(), gr),
		HPAs:   store.FromIndexer[*autoscalingv2.HorizontalPodAutoscaler](idx(w.hpas...), gr),
		Events: store.FromIndexer[*corev1.Event](idx(w.events...), gr),
		ISVCs:  opt(w.isvcs, w.noKServe),
		Routes: opt(w.routes, false),
	}}
}

func run(t *testing.T, w world, svc *aimv1.AIMService) (map[string]sm.ComponentHealth, sm.PlanResult, obs) {
	t.Helper()
	r := w.reconciler()
	rc := sm.ReconcileContext[*aimv1.AIMService]{Object: svc}
	f := r.FetchRemoteState(context.Background(), rc)
	o := r.ComposeState(context.Background(), rc, f)
	hs := map[string]sm.ComponentHealth{}
	for _, h := range o.GetComponentHealth(context.Background(), nil) {
		hs[h.Component] = h
	}
	return hs, r.PlanResources(context.Background(), rc, o), o
}

func model(name, image, status string) *aimv1.AIMModel {
	return &aimv1.AIMModel{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: "m-uid"},
		Spec: aimv1.AIMModelSpec{Image: image}, Status: aimv1.AIMModelStatus{Status: aimv1.AIMStatus(status)}}
}

func template(name, modelName, status string, sources ...string) *aimv1.AIMServiceTemplate {
	t := &aimv1.AIMServiceTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: "t-uid"},
		Spec: aimv1.AIMServiceTemplateSpec{AIMServiceTemplateSpecCommon: aimv1.AIMServiceTemplateSpecCommon{ModelName: modelName}},
		Status: aimv1.AIMServiceTemplateStatus{Status: aimv1.AIMStatus(status), Profile: &aimv1.AIMProfile{
			Metadata: &aimv1.AIMProfileMetadata{Type: "optimized", Metric: "latency", Precision: "fp8", GPU: "MI300X", GPUCount: 1}}}}
	for _, s := range sources {
		t.Status.ModelSources = append(t.Status.ModelSources, aimv1.AIMModelSource{SourceURI: s, ModelID: "org/m"})
	}
	return t
}

func svc(mut ...func(*aimv1.AIMService)) *aimv1.AIMService {
	s := &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: ns, UID: "s-uid"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}}
	for _, m := range mut {
		m(s)
	}
	return s
}

func readyCache(name, template string, mode string) *aimv1.AIMTemplateCache {
	return &aimv1.AIMTemplateCache{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: "c-uid"},
		Spec: aimv1.AIMTemplateCacheSpec{TemplateName: template, TemplateScope: "Namespace", Mode: aimv1.AIMCachingMode(mode)},
		Status: aimv1.AIMTemplateCacheStatus{Status: "Ready", Artifacts: map[string]aimv1.AIMTemplateCacheArtifact{
			"art": {Name: "art", Model: "org/m", Status: "Ready", PersistentVolumeClaim: "art-pvc"}}}}
}

func isvc(t *testing.T, ready bool, withPVC bool) *unstructured.Unstructured {
	name, _ := naming.InferenceServiceName("chat", ns)
	p := kserve.Params{Name: name, Namespace: ns, ServiceName: "chat", TemplateName: "tpl", Image: "img"}
	if withPVC {
		p.CacheVolumes = []kserve.CacheVolume{{ArtifactName: "art", ClaimName: "art-pvc", ModelID: "org/m"}}
	}
	u, err := kserve.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	if ready {
		_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"type": "Ready", "status": "True"}}, "status", "conditions")
	}
	return u
}

func TestHealthTable(t *testing.T) {
	gw := &aimv1.AIMGatewayParentReference{Name: "gw"}
	yes := true
	tests := []struct {
		name      string
		w         world
		svc       *aimv1.AIMService
		component string
		state     sm.State
		reason    string
		msgHas    string
		category  *sm.ErrorCategory
		absent    bool
	}{
		{name: "model missing", svc: svc(), component: "Model", state: sm.StateFailed, reason: "ModelNotFound", msgHas: "not found in namespace team-a or cluster scope", category: cat(sm.CategoryMissingUpstreamDependency)},
		{name: "model progressing", w: world{models: []any{model("llama", "img", "Progressing")}}, svc: svc(), component: "Model", state: sm.StateProgressing, reason: "ModelNotReady", msgHas: "is not ready yet"},
		{name: "model degraded is failed", w: world{models: []any{model("llama", "img", "Degraded")}}, svc: svc(), component: "Model", state: sm.StateFailed, reason: "ModelNotReady", msgHas: "is in failed state"},
		{name: "model ready", w: world{models: []any{model("llama", "img", "Ready")}}, svc: svc(), component: "Model", state: sm.StateReady, reason: "ModelResolved"},
		{name: "cluster model ready", w: world{cmodels: []any{&aimv1.AIMClusterModel{ObjectMeta: metav1.ObjectMeta{Name: "llama"}, Status: aimv1.AIMModelStatus{Status: "Ready"}}}},
			svc: svc(), component: "Model", state: sm.StateReady, reason: "ModelResolved", msgHas: "AIMClusterModel llama is ready"},
		{name: "image model to create", svc: svc(func(s *aimv1.AIMService) { s.Spec.Model = aimv1.AIMServiceModel{Image: "ghcr.io/x/y:1"} }),
			component: "Model", state: sm.StatePending, reason: "CreatingModel", msgHas: "for image ghcr.io/x/y:1"},
		{name: "invalid image", svc: svc(func(s *aimv1.AIMService) { s.Spec.Model = aimv1.AIMServiceModel{Image: "Bad Image::"} }),
			component: "Model", state: sm.StateFailed, reason: "InvalidImageReference", category: cat(sm.CategoryInvalidSpec)},
		{name: "two models with the image", w: world{models: []any{model("a", "img:1", "Ready"), model("b", "img:1", "Ready")}},
			svc:       svc(func(s *aimv1.AIMService) { s.Spec.Model = aimv1.AIMServiceModel{Image: "img:1"} }),
			component: "Model", state: sm.StateFailed, reason: "UnknownError", msgHas: `multiple models found with the same image with image "img:1": team-a/a (namespace), team-a/b (namespace)`, category: cat(sm.CategoryUnknown)},
		{name: "explicit template missing", w: world{models: []any{model("llama", "img", "Ready")}},
			svc:       svc(func(s *aimv1.AIMService) { s.Spec.Template = &aimv1.AIMServiceTemplateConfig{Name: "nope"} }),
			component: "Template", reason: "TemplateNotFound", msgHas: `template "nope" not found`, category: cat(sm.CategoryMissingUpstreamDependency)},
		{name: "template not available", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "NotAvailable")}},
			svc:       svc(func(s *aimv1.AIMService) { s.Spec.Template = &aimv1.AIMServiceTemplateConfig{Name: "tpl"} }),
			component: "Template", state: sm.StateNotAvailable, reason: "TemplateNotReady", msgHas: "no matching GPUs"},
		{name: "auto-select none ready", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Progressing")}},
			svc: svc(), component: "Template", state: sm.StateProgressing, reason: "TemplateNotReady", msgHas: "not ready yet"},
		{name: "auto-select: no template yet is Pending, not a missing reference", w: world{models: []any{model("llama", "img", "Ready")}},
			svc: svc(), component: "Template", state: sm.StatePending, reason: "TemplateNotFound", msgHas: "No template found for service"},
		{name: "auto-select: all filtered out is Pending", w: world{models: []any{model("llama", "img", "Ready")},
			templates: []any{func() *aimv1.AIMServiceTemplate {
				t := template("tpl", "llama", "Ready")
				t.Status.Profile.Metadata.Type = "unoptimized"
				return t
			}()}},
			svc: svc(), component: "Template", state: sm.StatePending, reason: "TemplateNotFound"},
		{name: "auto-select picks", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}},
			svc: svc(), component: "Template", state: sm.StateReady, reason: "Resolved"},
		{name: "cache not needed", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}},
			svc: svc(), component: "Cache", state: sm.StateReady, reason: "NoCacheRequired"},
		{name: "cache creating", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")}},
			svc: svc(), component: "Cache", state: sm.StateProgressing, reason: "CacheCreating"},
		{name: "cache ready", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			caches: []any{readyCache("c", "tpl", "Shared")}}, svc: svc(), component: "Cache", state: sm.StateReady, reason: "CacheReady"},
		{name: "shared cache lost", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			isvcs: []any{isvc(t, true, true)}}, svc: svc(), component: "Cache", state: sm.StateDegraded, reason: "CacheLost"},
		{name: "dedicated cache lost", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			isvcs: []any{isvc(t, true, true)}}, svc: svc(func(s *aimv1.AIMService) { s.Spec.Caching = &aimv1.AIMServiceCachingConfig{Mode: "Dedicated"} }),
			component: "Cache", state: sm.StateDegraded, reason: "CacheCreating", msgHas: "being recreated"},
		{name: "dedicated ignores shared cache", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			caches: []any{readyCache("c", "tpl", "Shared")}}, svc: svc(func(s *aimv1.AIMService) { s.Spec.Caching = &aimv1.AIMServiceCachingConfig{Mode: "Never"} }),
			component: "Cache", state: sm.StateProgressing, reason: "CacheCreating"},
		{name: "isvc absent", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}},
			svc: svc(), component: "InferenceService", state: sm.StateProgressing, reason: "CreatingRuntime", msgHas: "not found"},
		{name: "isvc not ready", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}, isvcs: []any{isvc(t, false, false)}},
			svc: svc(), component: "InferenceService", state: sm.StateProgressing, reason: "CreatingRuntime", msgHas: "is not ready"},
		{name: "serverless rejected", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")},
			isvcs: []any{withUID(isvc(t, false, false), "isvc-uid")}, events: []any{warning("e1", "isvc-uid", "ServerlessModeRejected", "no knative")}},
			svc: svc(), component: "InferenceService", state: sm.StateFailed, reason: "ServerlessModeRejected", msgHas: "RawDeployment"},
		{name: "internal error event", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")},
			isvcs: []any{withUID(isvc(t, false, false), "isvc-uid")}, events: []any{warning("e1", "isvc-uid", "InternalError", "webhook down")}},
			svc: svc(), component: "InferenceService", state: sm.StateFailed, reason: "InternalError", msgHas: "webhook down"},
		{name: "conflict internal error ignored", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")},
			isvcs: []any{withUID(isvc(t, false, false), "isvc-uid")}, events: []any{warning("e1", "isvc-uid", "InternalError", "Operation cannot be fulfilled on x")}},
			svc: svc(), component: "InferenceService", state: sm.StateProgressing, reason: "CreatingRuntime"},
		{name: "isvc ready", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}, isvcs: []any{isvc(t, true, false)}},
			svc: svc(), component: "InferenceService", state: sm.StateReady, reason: "RuntimeReady"},
		{name: "kserve not installed", w: world{noKServe: true, models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}},
			svc: svc(), component: "InferenceService", state: sm.StatePending, reason: ReasonKServeNotInstalled},
		{name: "namespace too long", svc: &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: strings.Repeat("n", 43)}, Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "m"}}},
			component: "InferenceService", state: sm.StateFailed, reason: "FetchError", msgHas: "too long", category: cat(sm.CategoryUnknown)},
		{name: "routing off: no component", svc: svc(), component: "HTTPRoute", absent: true},
		{name: "default runtime config absent: no component", svc: svc(), component: "RuntimeConfig", absent: true},
		{name: "named runtime config missing", svc: svc(func(s *aimv1.AIMService) { s.Spec.RuntimeConfigName = "gold" }),
			component: "RuntimeConfig", reason: "ReferenceNotFound", category: cat(sm.CategoryMissingUpstreamDependency)},
		{name: "runtime config found", w: world{crcs: []any{&aimv1.AIMClusterRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}}}},
			svc: svc(), component: "RuntimeConfig", state: sm.StateReady, reason: "RuntimeConfigResolved"},
		{name: "routing without gateway", svc: svc(func(s *aimv1.AIMService) {
			s.Spec.Routing = &aimv1.AIMRoutingConfig{Enabled: &yes}
		}), component: "HTTPRoute", state: sm.StateFailed, reason: "GatewayNotConfigured", category: cat(sm.CategoryInvalidSpec)},
		{name: "bad path template: default path, no error", svc: svc(func(s *aimv1.AIMService) {
			s.Spec.Routing = &aimv1.AIMRoutingConfig{Enabled: &yes, GatewayRef: gw, PathTemplate: "/{.metadata.labels['team']}"}
		}), component: "HTTPRoute", state: sm.StateProgressing, reason: "HTTPRouteCreating"},
		{name: "route being created", svc: svc(func(s *aimv1.AIMService) {
			s.Spec.Routing = &aimv1.AIMRoutingConfig{Enabled: &yes, GatewayRef: gw}
		}), component: "HTTPRoute", state: sm.StateProgressing, reason: "HTTPRouteCreating"},
		{name: "autoscaling, no HPA yet", svc: svc(func(s *aimv1.AIMService) { two := int32(2); s.Spec.MaxReplicas = &two }),
			component: "HPA", state: sm.StateProgressing, reason: "HPANotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, _, _ := run(t, tt.w, tt.svc)
			h, ok := hs[tt.component]
			if tt.absent {
				if ok {
					t.Fatalf("component %s present: %+v", tt.component, h)
				}
				return
			}
			if !ok {
				t.Fatalf("component %s missing (have %v)", tt.component, hs)
			}
			if tt.state != "" && h.GetState() != tt.state {
				t.Errorf("state %s, want %s (%s: %s)", h.GetState(), tt.state, h.GetReason(), h.GetMessage())
			}
			if h.GetReason() != tt.reason {
				t.Errorf("reason %s, want %s (%s)", h.GetReason(), tt.reason, h.GetMessage())
			}
			if !strings.Contains(h.GetMessage(), tt.msgHas) {
				t.Errorf("message %q lacks %q", h.GetMessage(), tt.msgHas)
			}
			if tt.category == nil && len(h.Errors) > 0 && tt.reason == "TemplateNotFound" {
				t.Errorf("unexpected errors %v", h.Errors)
			}
			if tt.category != nil {
				if len(h.Errors) == 0 || sm.CategorizeError(h.Errors[0]).Category() != *tt.category {
					t.Errorf("errors %v, want category %s", h.Errors, tt.category)
				}
			}
		})
	}
}

func cat(c sm.ErrorCategory) *sm.ErrorCategory { return &c }

func TestHPAHealth(t *testing.T) {
	cond := func(typ autoscalingv2.HorizontalPodAutoscalerConditionType, s corev1.ConditionStatus) autoscalingv2.HorizontalPodAutoscalerCondition {
		return autoscalingv2.HorizontalPodAutoscalerCondition{Type: typ, Status: s, Message: "m"}
	}
	name, _ := naming.InferenceServiceName("chat", ns)
	hpa := func(conds ...autoscalingv2.HorizontalPodAutoscalerCondition) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "keda-hpa-" + name + "-predictor", Namespace: ns},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 4}, Status: autoscalingv2.HorizontalPodAutoscalerStatus{Conditions: conds, CurrentReplicas: 2, DesiredReplicas: 3}}
	}
	tests := []struct {
		name       string
		isvcReady  bool
		hpa        *autoscalingv2.HorizontalPodAutoscaler
		state      sm.State
		reason     string
		replicaTxt string
	}{
		{"waiting for metrics", false, hpa(cond(autoscalingv2.ScalingActive, corev1.ConditionFalse)), sm.StateProgressing, "WaitingForMetrics", ""},
		{"metrics failed", true, hpa(cond(autoscalingv2.ScalingActive, corev1.ConditionFalse)), sm.StateFailed, "MetricsFailed", ""},
		{"no scaling active condition", true, hpa(), sm.StateFailed, "MetricsFailed", ""},
		{"cannot scale", true, hpa(cond(autoscalingv2.ScalingActive, corev1.ConditionTrue), cond(autoscalingv2.AbleToScale, corev1.ConditionFalse)), sm.StateProgressing, "ScaleTargetNotReady", ""},
		{"operational", true, hpa(cond(autoscalingv2.ScalingActive, corev1.ConditionTrue), cond(autoscalingv2.AbleToScale, corev1.ConditionTrue)), sm.StateReady, "HPAOperational", "2/3 (1-4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")},
				isvcs: []any{isvc(t, tt.isvcReady, false)}, hpas: []any{tt.hpa}}
			s := svc(func(s *aimv1.AIMService) { s.Spec.AutoScaling = &aimv1.AIMServiceAutoScaling{} })
			hs, _, o := run(t, w, s)
			h := hs["HPA"]
			if h.GetState() != tt.state || h.GetReason() != tt.reason {
				t.Fatalf("got %s/%s (%s)", h.GetState(), h.GetReason(), h.GetMessage())
			}
			if tt.replicaTxt != "" {
				if rs := o.runtimeStatus(); rs.Replicas != tt.replicaTxt {
					t.Fatalf("runtime %+v", rs)
				}
			}
		})
	}
}

func kinds(objs []any) []string {
	var out []string
	for _, o := range objs {
		u, err := sm.ToUnstructured(o, nil)
		if err != nil {
			out = append(out, "?")
			continue
		}
		out = append(out, u.GetKind()+"/"+u.GetName())
	}
	return out
}

func TestPlanTable(t *testing.T) {
	isvcName, _ := naming.InferenceServiceName("chat", ns)
	shared := naming.SharedTemplateCacheName("tpl", ns)
	dedicated := naming.DedicatedTemplateCacheName("tpl", "chat", "s-uid")
	yes := true
	existing := func(t *testing.T) *unstructured.Unstructured {
		// What the planner itself would apply for the "cache ready" world, as stored.
		_, p, _ := run(t, world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			caches: []any{readyCache("c", "tpl", "Shared")}}, svc())
		u, _ := sm.ToUnstructured(p.ToApply()[0], nil)
		return u
	}
	tests := []struct {
		name    string
		w       world
		svc     *aimv1.AIMService
		owned   []string
		unowned []string
	}{
		{name: "image model created without owner", svc: svc(func(s *aimv1.AIMService) {
			s.Spec.Model = aimv1.AIMServiceModel{Image: "ghcr.io/silogen/aim-meta-llama-llama-3-1-8b-instruct:0.8.5"}
		}),
			unowned: []string{"AIMModel/aim-meta-llama-llama-3-1-8b-instruct-0-8-5-8859fc08"}},
		{name: "template not ready: nothing", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Progressing", "hf://org/m")}}, svc: svc()},
		{name: "shared cache created unowned", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")}},
			svc: svc(), unowned: []string{"AIMTemplateCache/" + shared}},
		{name: "dedicated cache created owned", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")}},
			svc: svc(func(s *aimv1.AIMService) { s.Spec.Caching = &aimv1.AIMServiceCachingConfig{Mode: "Dedicated"} }), owned: []string{"AIMTemplateCache/" + dedicated}},
		{name: "cache ready, model ready: isvc", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			caches: []any{readyCache("c", "tpl", "Shared")}}, svc: svc(), owned: []string{"InferenceService/" + isvcName}},
		{name: "model not ready, no isvc yet: nothing", w: world{models: []any{model("llama", "img", "Progressing")}, templates: []any{template("tpl", "llama", "Ready")}},
			svc: svc(func(s *aimv1.AIMService) { s.Spec.Template = &aimv1.AIMServiceTemplateConfig{Name: "tpl"} })},
		{name: "unchanged isvc not re-applied", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			caches: []any{readyCache("c", "tpl", "Shared")}, isvcs: []any{existing(t)}}, svc: svc()},
		{name: "changed env re-applies isvc", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready", "hf://org/m")},
			caches: []any{readyCache("c", "tpl", "Shared")}, isvcs: []any{existing(t)}},
			svc: svc(func(s *aimv1.AIMService) { s.Spec.Env = []corev1.EnvVar{{Name: "X", Value: "1"}} }), owned: []string{"InferenceService/" + isvcName}},
		{name: "route planned with gateway", svc: svc(func(s *aimv1.AIMService) {
			s.Spec.Routing = &aimv1.AIMRoutingConfig{Enabled: &yes, GatewayRef: &aimv1.AIMGatewayParentReference{Name: "gw"}}
		}), owned: []string{"HTTPRoute/" + naming.HTTPRouteName("chat", ns)}},
		// The derived template is a side child; the service keeps serving from the base (C13).
		{name: "overrides derive a template", w: world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}},
			svc: svc(func(s *aimv1.AIMService) {
				s.Spec.Overrides = &aimv1.AIMServiceOverrides{AIMRuntimeParameters: aimv1.AIMRuntimeParameters{Precision: "fp8"}}
			}), owned: []string{"AIMServiceTemplate/" + naming.DerivedTemplateName("tpl", naming.DerivedTemplateOverrides{Precision: "fp8"}),
				"InferenceService/" + isvcName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p, _ := run(t, tt.w, tt.svc)
			if got := strings.Join(kinds(p.ToApply()), ","); got != strings.Join(tt.owned, ",") {
				t.Errorf("owned %q, want %q", got, strings.Join(tt.owned, ","))
			}
			if got := strings.Join(kinds(p.ToApplyWithoutOwnerRef()), ","); got != strings.Join(tt.unowned, ",") {
				t.Errorf("unowned %q, want %q", got, strings.Join(tt.unowned, ","))
			}
		})
	}
}

func TestDecorateStatusRoutingPath(t *testing.T) {
	yes := true
	s := svc(func(s *aimv1.AIMService) {
		s.Spec.Routing = &aimv1.AIMRoutingConfig{Enabled: &yes, GatewayRef: &aimv1.AIMGatewayParentReference{Name: "gw"}, PathTemplate: "/{.metadata.namespace}/{.metadata.name}"}
	})
	_, _, o := run(t, world{}, s)
	var st aimv1.AIMServiceStatus
	(&Reconciler{}).DecorateStatus(&st, nil, o)
	if st.Routing == nil || st.Routing.Path != "/team-a/chat" {
		t.Fatalf("routing %+v", st.Routing)
	}
}

func TestMapStatus(t *testing.T) {
	for in, want := range map[sm.State]string{sm.StateProgressing: "Starting", sm.StateReady: "Running", sm.StateNotAvailable: "Pending",
		sm.StateFailed: "Failed", sm.StateDegraded: "Degraded", sm.StatePending: "Pending"} {
		if got := MapStatus(in); got != want {
			t.Errorf("MapStatus(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestCustomModelMatchesHardware(t *testing.T) {
	hw := func(model string) aimv1.AIMHardwareRequirements {
		return aimv1.AIMHardwareRequirements{GPU: &aimv1.AIMGpuRequirements{Requests: 1, Model: model}}
	}
	custom := func(model string) *aimv1.AIMService {
		return svc(func(s *aimv1.AIMService) {
			s.Spec.Model = aimv1.AIMServiceModel{Custom: &aimv1.AIMServiceModelCustom{BaseImage: "ghcr.io/x/base:1",
				ModelSources: []aimv1.AIMModelSource{{ModelID: "org/Model-7B", SourceURI: "hf://org/Model-7B"}}, Hardware: hw(model)}}
		})
	}
	_, p, _ := run(t, world{}, custom("MI300X"))
	got := kinds(p.ToApplyWithoutOwnerRef())
	if len(got) != 1 || got[0] != "AIMModel/org-model-7b-a6aa7608" {
		t.Fatalf("first custom model %v (catalogue worked example org-model-7b-a6aa7608)", got)
	}
	m := p.ToApplyWithoutOwnerRef()[0].(*aimv1.AIMModel)
	m.Status.Status = "Ready"
	// Same sources and hardware: reused.
	hs, p, _ := run(t, world{models: []any{m}}, custom("MI300X"))
	if len(p.ToApplyWithoutOwnerRef()) != 0 || hs["Model"].GetReason() != "ModelResolved" {
		t.Fatalf("same hardware not reused: %v %+v", kinds(p.ToApplyWithoutOwnerRef()), hs["Model"])
	}
	// Different hardware: a new model with another name.
	_, p, _ = run(t, world{models: []any{m}}, custom("MI325X"))
	got = kinds(p.ToApplyWithoutOwnerRef())
	if len(got) != 1 || got[0] == "AIMModel/org-model-7b-a6aa7608" {
		t.Fatalf("different hardware: %v", got)
	}
}

func TestLabelPropagation(t *testing.T) {
	w := world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}}
	s := svc(func(s *aimv1.AIMService) {
		s.Labels = map[string]string{"aim.eai.amd.com/tier": "gold", "team": "a", "other": "x"}
	})
	labelsOf := func(w world) map[string]string {
		_, p, _ := run(t, w, s)
		u, err := sm.ToUnstructured(p.ToApply()[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		return u.GetLabels()
	}
	l := labelsOf(w)
	if l["aim.eai.amd.com/tier"] != "gold" || l["team"] != "" || l["aim.eai.amd.com/service"] != "chat" {
		t.Fatalf("without propagation config: %v", l)
	}
	w.crcs = []any{&aimv1.AIMClusterRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: aimv1.AIMRuntimeConfigSpec{
		LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"team*"}}}}}
	l = labelsOf(w)
	if l["team"] != "a" || l["other"] != "" {
		t.Fatalf("with team* propagation: %v", l)
	}
}

func withUID(u *unstructured.Unstructured, uid string) *unstructured.Unstructured {
	u.SetUID(types.UID(uid))
	return u
}

func warning(name, uid, reason, msg string) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: corev1.EventTypeWarning, Reason: reason, Message: msg,
		InvolvedObject: corev1.ObjectReference{Kind: "InferenceService", UID: types.UID(uid)}}
}

func TestDerivedTemplateSpec(t *testing.T) {
	w := world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}}
	for _, mode := range []string{"Shared", "Dedicated"} {
		s := svc(func(s *aimv1.AIMService) {
			s.Spec.Caching = &aimv1.AIMServiceCachingConfig{Mode: aimv1.AIMCachingMode(mode)}
			s.Spec.Overrides = &aimv1.AIMServiceOverrides{AIMRuntimeParameters: aimv1.AIMRuntimeParameters{Precision: "fp8", Metric: "latency"}}
		})
		_, p, _ := run(t, w, s)
		d, ok := p.ToApply()[0].(*aimv1.AIMServiceTemplate)
		if !ok {
			t.Fatalf("%s: planned %v", mode, kinds(p.ToApply()))
		}
		if d.Spec.Precision != "fp8" || d.Spec.Metric != "latency" || d.Spec.ModelName != "llama" || d.Spec.RuntimeConfigName != "default" ||
			d.Labels["aim.eai.amd.com/origin"] != "derived" || d.Labels["app.kubernetes.io/managed-by"] != "aim-engine" {
			t.Fatalf("%s: derived %+v %v", mode, d.Spec, d.Labels)
		}
		if got := d.Spec.Caching != nil && d.Spec.Caching.Enabled; got != (mode == "Shared") {
			t.Fatalf("%s: caching %+v", mode, d.Spec.Caching)
		}
	}
}

// BenchmarkReconcilePhases measures FetchRemoteState+ComposeState+health+PlanResources of one
// converged service in a namespace with 100 models, templates and caches (all from caches).
func BenchmarkReconcilePhases(b *testing.B) {
	var w world
	for i := 0; i < 100; i++ {
		m := fmt.Sprintf("m%03d", i)
		w.models = append(w.models, model(m, "img:"+m, "Ready"))
		tp := template("t"+m, m, "Ready", "hf://org/"+m)
		tp.Name = "t" + m
		w.templates = append(w.templates, tp)
		c := readyCache("c"+m, "t"+m, "Shared")
		w.caches = append(w.caches, c)
	}
	r := w.reconciler()
	s := svc(func(s *aimv1.AIMService) { s.Spec.Model.Name = "m042" })
	rc := sm.ReconcileContext[*aimv1.AIMService]{Object: s}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f := r.FetchRemoteState(ctx, rc)
		o := r.ComposeState(ctx, rc, f)
		_ = o.GetComponentHealth(ctx, nil)
		_ = r.PlanResources(ctx, rc, o)
	}
}
