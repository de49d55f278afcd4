package service

import (
	"errors"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/gpu"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

func gpuNode(name string, labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// gpuTemplate is a Ready optimized template whose profile needs gpuModel ("" = no GPU).
func gpuTemplate(name, gpuModel, precision string) *aimv1.AIMServiceTemplate {
	t := template(name, "llama", "Ready")
	t.Status.Profile.Metadata.GPU, t.Status.Profile.Metadata.Precision = gpuModel, aimv1.AIMPrecision(precision)
	if gpuModel == "" {
		t.Status.Profile.Metadata.GPUCount = 0
	}
	return t
}

// Auto-selection keeps only templates whose GPU is present in the cluster (or that need none), with
// the available GPUs read from node labels (catalogue §7 "Template selection", §2.10 Template table).
func TestAutoSelectGPUAvailability(t *testing.T) {
	mi300x := gpuNode("n1", map[string]string{"amd.com/gpu.device-id": "74a1"})
	mi325x := gpuNode("n2", map[string]string{"amd.com/gpu.device-id": "0x74A5"})
	family := gpuNode("n3", map[string]string{"amd.com/gpu.family": "AMD Instinct MI300X"})
	unknown := gpuNode("n4", map[string]string{"beta.amd.com/gpu.device-id": "74ff"})
	cpu := gpuNode("n5", map[string]string{"kubernetes.io/os": "linux"})
	tests := []struct {
		name      string
		nodes     []*corev1.Node
		nodesErr  error
		templates []any
		state     sm.State
		reason    string
		msg       string // exact message, or a substring for errors
		picked    string
	}{
		{name: "no nodes: a GPU template is filtered out (Pending fallback)", templates: []any{gpuTemplate("tpl", "MI300X", "fp8")},
			state: sm.StatePending, reason: "TemplateNotFound", msg: "No template found for service"},
		{name: "only CPU nodes: filtered out", nodes: []*corev1.Node{cpu}, templates: []any{gpuTemplate("tpl", "MI300X", "fp8")},
			state: sm.StatePending, reason: "TemplateNotFound", msg: "No template found for service"},
		{name: "another GPU model only: filtered out", nodes: []*corev1.Node{mi325x}, templates: []any{gpuTemplate("tpl", "MI300X", "fp8")},
			state: sm.StatePending, reason: "TemplateNotFound", msg: "No template found for service"},
		{name: "no GPU needed: passes without GPU nodes", templates: []any{gpuTemplate("tpl", "", "fp8")},
			state: sm.StateReady, reason: "Resolved", picked: "tpl"},
		{name: "device-id label", nodes: []*corev1.Node{cpu, mi300x}, templates: []any{gpuTemplate("tpl", "MI300X", "fp8")},
			state: sm.StateReady, reason: "Resolved", picked: "tpl"},
		{name: "family label, spelled out", nodes: []*corev1.Node{family}, templates: []any{gpuTemplate("tpl", "mi300x", "fp8")},
			state: sm.StateReady, reason: "Resolved", picked: "tpl"},
		{name: "unknown device id", nodes: []*corev1.Node{unknown}, templates: []any{gpuTemplate("tpl", "AMD-74FF", "fp8")},
			state: sm.StateReady, reason: "Resolved", picked: "tpl"},
		{name: "better-ranked GPU absent: the present one wins", nodes: []*corev1.Node{mi300x},
			templates: []any{gpuTemplate("on-325", "MI325X", "fp8"), gpuTemplate("on-300", "MI300X", "fp8")},
			state:     sm.StateReady, reason: "Resolved", picked: "on-300"},
		{name: "both present: ranking decides", nodes: []*corev1.Node{mi300x, mi325x},
			templates: []any{gpuTemplate("on-325", "MI325X", "fp8"), gpuTemplate("on-300", "MI300X", "fp8")},
			state:     sm.StateReady, reason: "Resolved", picked: "on-325"},
		{name: "a GPU template filtered out leaves the CPU one", templates: []any{gpuTemplate("gpu", "MI300X", "fp4"), gpuTemplate("cpu", "", "fp8")},
			state: sm.StateReady, reason: "Resolved", picked: "cpu"},
		{name: "listing nodes fails", nodesErr: errors.New("boom"), templates: []any{gpuTemplate("tpl", "MI300X", "fp8")},
			state: sm.StateFailed, reason: "UnknownError", msg: "failed to list available GPUs: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{models: []any{model("llama", "img", "Ready")}, templates: tt.templates, gpuCheck: true, nodes: tt.nodes, nodesErr: tt.nodesErr}
			hs, _, o := run(t, w, svc())
			h := hs["Template"]
			if h.GetState() != tt.state {
				t.Fatalf("state %s, want %s (%s: %s)", h.GetState(), tt.state, h.GetReason(), h.GetMessage())
			}
			if tt.reason != "" && h.GetReason() != tt.reason {
				t.Fatalf("reason %s, want %s (%s)", h.GetReason(), tt.reason, h.GetMessage())
			}
			if tt.nodesErr != nil {
				if h.GetMessage() != tt.msg || len(h.Errors) == 0 || sm.CategorizeError(h.Errors[0]).Category() != sm.CategoryUnknown {
					t.Fatalf("message %q errors %v, want %q (Unknown)", h.GetMessage(), h.Errors, tt.msg)
				}
				return
			}
			if tt.msg != "" && h.GetMessage() != tt.msg {
				t.Fatalf("message %q, want %q", h.GetMessage(), tt.msg)
			}
			var got string
			if tpl := o.tpl.template; tpl != nil {
				got = tpl.Name
			}
			if got != tt.picked {
				t.Fatalf("picked %q, want %q", got, tt.picked)
			}
		})
	}
}

// Without Stores.Nodes (no node informer) the GPU filter is skipped rather than rejecting everything.
func TestAutoSelectWithoutNodeSource(t *testing.T) {
	w := world{models: []any{model("llama", "img", "Ready")}, templates: []any{gpuTemplate("tpl", "MI355X", "fp8")}}
	if _, _, o := run(t, w, svc()); o.tpl.template == nil || o.tpl.template.Name != "tpl" {
		t.Fatalf("template %+v", o.tpl)
	}
}

// A metadata-only node informer hands out PartialObjectMetadata; GPU detection reads its labels.
func TestNodesOfMetadata(t *testing.T) {
	items := []any{&metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "m", Labels: map[string]string{"amd.com/gpu.device-id": "74a1"}}},
		gpuNode("full", nil), "junk"}
	nodes := gpu.NodesOf(items)
	if len(nodes) != 2 || nodes[0].Name != "m" || nodes[1].Name != "full" {
		t.Fatalf("nodes %+v", nodes)
	}
	if g := availableGPUs(nodes); !g["MI300X"] || len(g) != 1 {
		t.Fatalf("gpus %v", g)
	}
	if g := availableGPUs(nil); g == nil || len(g) != 0 {
		t.Fatalf("no nodes must give an empty, non-nil set: %v", g)
	}
}

// status.runtime: from the HPA, else all four counts equal spec.minReplicas, else spec.replicas, else 1;
// "replicas" is "<current>" when min==max, else "<current>/<desired> (<min>-<max>)" (catalogue §1.3).
func TestRuntimeStatus(t *testing.T) {
	i := func(v int32) *int32 { return &v }
	isvcName, _ := naming.InferenceServiceName("chat", ns)
	hpa := func(min *int32, max, cur, desired int32) *autoscalingv2.HorizontalPodAutoscaler {
		return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "keda-hpa-" + isvcName + "-predictor", Namespace: ns},
			Spec:   autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: min, MaxReplicas: max},
			Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: cur, DesiredReplicas: desired}}
	}
	tests := []struct {
		name                   string
		replicas, minR, maxR   *int32
		autoscale              bool
		hpa                    *autoscalingv2.HorizontalPodAutoscaler
		cur, desired, min, max int32
		text                   string
	}{
		{name: "nothing set", cur: 1, desired: 1, min: 1, max: 1, text: "1"},
		{name: "replicas", replicas: i(3), cur: 3, desired: 3, min: 3, max: 3, text: "3"},
		{name: "min 1 max 3, no HPA yet", replicas: i(1), minR: i(1), maxR: i(3), cur: 1, desired: 1, min: 1, max: 1, text: "1"},
		{name: "min 2 max 5, no HPA yet", replicas: i(1), minR: i(2), maxR: i(5), cur: 2, desired: 2, min: 2, max: 2, text: "2"},
		{name: "max only: replicas", replicas: i(2), maxR: i(4), cur: 2, desired: 2, min: 2, max: 2, text: "2"},
		{name: "autoScaling block only", autoscale: true, cur: 1, desired: 1, min: 1, max: 1, text: "1"},
		{name: "from the HPA", minR: i(1), maxR: i(4), hpa: hpa(i(1), 4, 2, 3), cur: 2, desired: 3, min: 1, max: 4, text: "2/3 (1-4)"},
		{name: "HPA without minReplicas", maxR: i(4), hpa: hpa(nil, 4, 2, 2), cur: 2, desired: 2, min: 1, max: 4, text: "2/2 (1-4)"},
		{name: "HPA with min == max", minR: i(2), maxR: i(2), hpa: hpa(i(2), 2, 2, 2), cur: 2, desired: 2, min: 2, max: 2, text: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world{models: []any{model("llama", "img", "Ready")}, templates: []any{template("tpl", "llama", "Ready")}}
			if tt.hpa != nil {
				w.hpas = []any{tt.hpa}
			}
			s := svc(func(s *aimv1.AIMService) {
				s.Spec.Replicas, s.Spec.MinReplicas, s.Spec.MaxReplicas = tt.replicas, tt.minR, tt.maxR
				if tt.autoscale {
					s.Spec.AutoScaling = &aimv1.AIMServiceAutoScaling{}
				}
			})
			_, _, o := run(t, w, s)
			var st aimv1.AIMServiceStatus
			w.reconciler().DecorateStatus(&st, nil, o)
			rs := st.Runtime
			if rs == nil || rs.CurrentReplicas != tt.cur || rs.DesiredReplicas != tt.desired || rs.MinReplicas != tt.min ||
				rs.MaxReplicas != tt.max || rs.Replicas != tt.text {
				t.Fatalf("runtime %+v, want current %d desired %d min %d max %d %q", rs, tt.cur, tt.desired, tt.min, tt.max, tt.text)
			}
		})
	}
}
