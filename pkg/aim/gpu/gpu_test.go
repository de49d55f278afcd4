package gpu

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels}}
}

func q(s string) *resource.Quantity { v := resource.MustParse(s); return &v }

func TestNormalizeModel(t *testing.T) {
	for in, want := range map[string]string{
		"MI300X": "MI300X", "mi300x": "MI300X", "AMD Instinct MI300X": "MI300X", "AMD_INSTINCT_MI325X": "MI325X",
		"amd-mi250x": "MI250X", "Radeon RX7900": "RX7900", "AMD-74FF": "AMD-74FF", "": "",
	} {
		if got := NormalizeModel(in); got != want {
			t.Errorf("NormalizeModel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeviceTable(t *testing.T) {
	for id, want := range map[string]string{"74a1": "MI300X", "0x74A9": "MI300X", "740F": "MI210", "75b3": "MI355X", "abcd": "AMD-ABCD"} {
		if got := ModelForDeviceID(id); got != want {
			t.Errorf("%s → %s, want %s", id, got, want)
		}
	}
	if got := DeviceIDsForModel("mi300x"); !reflect.DeepEqual(got, []string{"74a1", "74a9", "74b5", "74bd"}) {
		t.Errorf("MI300X ids %v", got)
	}
	if got := DeviceIDsForModel("AMD-ABCD"); !reflect.DeepEqual(got, []string{"abcd"}) {
		t.Errorf("unknown ids %v", got)
	}
}

func TestParseVRAM(t *testing.T) {
	cases := map[string]int64{"192G": 192 * gib, "1T": tib, "64Gi": 64 * gib, "512M": 512 << 20, "48GB": 48 * gib}
	for in, want := range cases {
		if got, ok := ParseVRAM(in); !ok || got != want {
			t.Errorf("ParseVRAM(%q) = %d %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "x", "-1G", "0"} {
		if _, ok := ParseVRAM(bad); ok {
			t.Errorf("ParseVRAM(%q) accepted", bad)
		}
	}
}

func TestDetect(t *testing.T) {
	res := Detect([]*corev1.Node{
		node(map[string]string{LabelDeviceID: "74a1"}),                                      // MI300X static 192G
		node(map[string]string{LabelBetaDeviceID: "0x740f", LabelVRAM: "70G"}),              // MI210 labelled 70G
		node(map[string]string{LabelDeviceID + ".74a5": "8", LabelDeviceID + ".7408": "0"}), // count form: MI325X only
		node(map[string]string{LabelFamily: "AMD Instinct MI250X"}),                         // family fallback
		node(map[string]string{"kubernetes.io/os": "linux"}),                                // CPU node
	})
	want := Resources{"MI300X": 192 * gib, "MI210": 70 * gib, "MI325X": 256 * gib, "MI250X": 128 * gib}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("Detect = %v, want %v", res, want)
	}
}

func TestEvaluate(t *testing.T) {
	cluster := Resources{"MI300X": 192 * gib, "MI210": 64 * gib}
	cases := []struct {
		name    string
		req     Requirement
		res     Resources
		ok      bool
		reason  string
		message string
	}{
		{"model present", Requirement{Requests: 1, Model: "mi300x"}, cluster, true, ReasonGPUAvailable, "GPU model 'MI300X' is available"},
		{"model absent", Requirement{Requests: 1, Model: "MI325X"}, cluster, false, ReasonGPUNotAvailable,
			"Required GPU model 'MI325X' not available in cluster. Available: MI210, MI300X"},
		{"model absent, none", Requirement{Requests: 1, Model: "MI325X"}, Resources{}, false, ReasonGPUNotAvailable,
			"Required GPU model 'MI325X' not available in cluster. Available: none"},
		{"any model", Requirement{Requests: 2}, cluster, true, ReasonGPUAvailable, "GPU available (any model accepted): MI210, MI300X"},
		{"any model, none", Requirement{Requests: 2}, nil, false, ReasonGPUNotAvailable, "No GPUs available in cluster"},
		{"vram ok", Requirement{Requests: 1, MinVRAM: q("128Gi")}, cluster, true, ReasonGPUAvailable, "GPU available (any model accepted): MI210, MI300X"},
		{"vram too big", Requirement{Requests: 1, MinVRAM: q("256Gi")}, cluster, false, ReasonVRAMNotAvailable,
			"Required minimum VRAM (256Gi) exceeds available GPUs. Highest available: MI300X (192Gi)"},
		{"vram none", Requirement{Requests: 1, MinVRAM: q("16Gi")}, Resources{}, false, ReasonVRAMNotAvailable,
			"Required minimum VRAM (16Gi) exceeds available GPUs. Highest available: none detected"},
	}
	for _, c := range cases {
		got := Evaluate(c.req, c.res)
		if got.Available != c.ok || got.Reason != c.reason || got.Message != c.message {
			t.Errorf("%s: got %+v", c.name, got)
		}
	}
}

func TestNodeAffinity(t *testing.T) {
	cluster := Resources{"MI300X": 192 * gib, "MI210": 64 * gib}
	aff := NodeAffinity(Requirement{Requests: 1, Model: "MI210"}, cluster)
	vals := aff.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0]
	if vals.Key != LabelDeviceID || vals.Operator != corev1.NodeSelectorOpIn || !reflect.DeepEqual(vals.Values, []string{"740f", "7410"}) {
		t.Errorf("model affinity %+v", vals)
	}
	aff = NodeAffinity(Requirement{Requests: 1, MinVRAM: q("100Gi")}, cluster)
	if got := aff.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Values; strings.Join(got, ",") != "74a1,74a9,74b5,74bd" {
		t.Errorf("vram affinity %v", got)
	}
	if NodeAffinity(Requirement{Requests: 1}, cluster) != nil {
		t.Error("no model and no vram must give no affinity")
	}
}

func TestSummary(t *testing.T) {
	for _, c := range []struct {
		n    int32
		m    string
		want string
	}{{2, "MI300X", "2 x MI300X"}, {0, "MI300X", "MI300X"}, {1, "", "1 x GPU"}, {0, "", "CPU"}} {
		if got := Summary(c.n, c.m); got != c.want {
			t.Errorf("Summary(%d,%q)=%q", c.n, c.m, got)
		}
	}
}

func TestLabelsRelevant(t *testing.T) {
	a := node(map[string]string{LabelDeviceID: "74a1", "x": "1"})
	b := node(map[string]string{LabelDeviceID: "74a1", "x": "2"})
	if LabelsRelevant(a, b) {
		t.Error("non-AMD label change must not be relevant")
	}
	c := node(map[string]string{LabelDeviceID: "74a1", LabelBetaVRAM: "1T"})
	if !LabelsRelevant(a, c) {
		t.Error("beta label added must be relevant")
	}
	d := a.DeepCopy()
	d.Status.Capacity = corev1.ResourceList{"amd.com/gpu": resource.MustParse("8")}
	if !LabelsRelevant(a, d) {
		t.Error("GPU capacity change must be relevant")
	}
}
