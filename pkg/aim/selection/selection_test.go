package selection

import (
	"strings"
	"testing"
)

func tpl(name string, scope Scope, typ, gpu, metric, prec string) Candidate {
	return Candidate{Name: name, Scope: scope, Status: "Ready", Type: typ, GPUModel: gpu, GPUCount: 1, Metric: metric, Precision: prec}
}

func TestSelect(t *testing.T) {
	ns, cl := ScopeNamespace, ScopeCluster
	tests := []struct {
		name      string
		req       Request
		outcome   Outcome
		selected  string
		tied      []string
		rejectHas map[string]string
	}{
		{name: "no candidates", req: Request{}, outcome: NoCandidates},
		{name: "none ready", req: Request{Candidates: []Candidate{{Name: "a", Status: "Progressing", Type: "optimized"}}}, outcome: NoneReady},
		{name: "single optimized", req: Request{Candidates: []Candidate{tpl("a", ns, "optimized", "MI300X", "latency", "fp8")}}, outcome: Selected, selected: "a"},
		{name: "unoptimized dropped without allow", req: Request{Candidates: []Candidate{tpl("a", ns, "unoptimized", "MI300X", "latency", "fp8")}},
			outcome: NoneMatch, rejectHas: map[string]string{"a": "allowUnoptimized"}},
		{name: "profile-less dropped without allow", req: Request{Candidates: []Candidate{tpl("a", ns, "", "", "", "")}},
			outcome: NoneMatch, rejectHas: map[string]string{"a": "no profile type"}},
		{name: "unoptimized allowed", req: Request{AllowUnoptimized: true, Candidates: []Candidate{tpl("a", ns, "unoptimized", "MI300X", "latency", "fp8")}}, outcome: Selected, selected: "a"},
		{name: "type ranks first", req: Request{AllowUnoptimized: true, Candidates: []Candidate{
			tpl("pre", ns, "preview", "MI325X", "latency", "fp4"), tpl("opt", ns, "optimized", "MI210", "throughput", "fp32")}},
			outcome: Selected, selected: "opt"},
		{name: "gpu ranks second", req: Request{Candidates: []Candidate{
			tpl("a", ns, "optimized", "MI300X", "latency", "fp8"), tpl("b", ns, "optimized", "MI325X", "throughput", "fp32")}},
			outcome: Selected, selected: "b"},
		{name: "metric ranks third", req: Request{Candidates: []Candidate{
			tpl("thr", ns, "optimized", "MI300X", "throughput", "fp4"), tpl("lat", ns, "optimized", "MI300X", "latency", "fp32")}},
			outcome: Selected, selected: "lat"},
		{name: "precision ranks fourth", req: Request{Candidates: []Candidate{
			tpl("bf16", ns, "optimized", "MI300X", "latency", "bf16"), tpl("fp8", ns, "optimized", "MI300X", "latency", "fp8")}},
			outcome: Selected, selected: "fp8"},
		{name: "unknown gpu ranks last", req: Request{Candidates: []Candidate{
			tpl("x", ns, "optimized", "W7900", "latency", "fp4"), tpl("m", ns, "optimized", "MI210", "latency", "fp32")}},
			outcome: Selected, selected: "m"},
		{name: "tie is ambiguous with candidates", req: Request{Candidates: []Candidate{
			tpl("b", ns, "optimized", "MI300X", "latency", "fp8"), tpl("a", ns, "optimized", "mi300x", "latency", "FP8"),
			tpl("c", ns, "optimized", "MI300X", "latency", "fp16")}},
			outcome: Ambiguous, tied: []string{"a", "b"}},
		{name: "namespace shadows cluster (no tie)", req: Request{Candidates: []Candidate{
			tpl("cl", cl, "optimized", "MI300X", "latency", "fp8"), tpl("nsx", ns, "optimized", "MI300X", "latency", "fp8")}},
			outcome: Selected, selected: "nsx"},
		{name: "namespace preferred even when cluster ranks better", req: Request{Candidates: []Candidate{
			tpl("cl", cl, "optimized", "MI325X", "latency", "fp4"), tpl("nsx", ns, "optimized", "MI210", "throughput", "fp32")}},
			outcome: Selected, selected: "nsx"},
		{name: "cluster used when no namespace template", req: Request{Candidates: []Candidate{tpl("cl", cl, "optimized", "MI300X", "latency", "fp8")}},
			outcome: Selected, selected: "cl"},
		{name: "overrides filter metric and precision case-insensitively", req: Request{
			Overrides:  Overrides{Metric: "Throughput", Precision: "FP16"},
			Candidates: []Candidate{tpl("a", ns, "optimized", "MI300X", "latency", "fp8"), tpl("b", ns, "optimized", "MI300X", "throughput", "fp16")}},
			outcome: Selected, selected: "b", rejectHas: map[string]string{"a": "metric"}},
		{name: "override gpu normalized", req: Request{
			Overrides:  Overrides{GPUModel: "AMD Instinct MI300X"},
			Candidates: []Candidate{tpl("a", ns, "optimized", "MI325X", "latency", "fp8"), tpl("b", ns, "optimized", "mi300x", "latency", "fp8")}},
			outcome: Selected, selected: "b"},
		{name: "override gpu count", req: Request{
			Overrides: Overrides{GPUCount: 2},
			Candidates: []Candidate{tpl("one", ns, "optimized", "MI300X", "latency", "fp8"),
				{Name: "two", Scope: ns, Status: "Ready", Type: "optimized", GPUModel: "MI300X", GPUCount: 2, Metric: "throughput", Precision: "fp16"}}},
			outcome: Selected, selected: "two", rejectHas: map[string]string{"one": "count"}},
		{name: "gpu not available", req: Request{AvailableGPUs: map[string]bool{"MI210": true}, Candidates: []Candidate{
			tpl("a", ns, "optimized", "MI300X", "latency", "fp8"), tpl("b", ns, "optimized", "MI210", "latency", "fp8")}},
			outcome: Selected, selected: "b", rejectHas: map[string]string{"a": "not available"}},
		{name: "cpu template passes gpu check", req: Request{AvailableGPUs: map[string]bool{}, Candidates: []Candidate{tpl("cpu", ns, "optimized", "", "latency", "fp8")}},
			outcome: Selected, selected: "cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Select(tt.req)
			if got.Outcome != tt.outcome {
				t.Fatalf("outcome = %s, want %s (%s)", got.Outcome, tt.outcome, got.Message())
			}
			if tt.selected != "" && (got.Selected == nil || got.Selected.Name != tt.selected) {
				t.Fatalf("selected = %+v, want %s", got.Selected, tt.selected)
			}
			if tt.tied != nil {
				var names []string
				for _, c := range got.Tied {
					names = append(names, c.Name)
				}
				if strings.Join(names, ",") != strings.Join(tt.tied, ",") {
					t.Fatalf("tied = %v, want %v", names, tt.tied)
				}
				for _, n := range tt.tied {
					if !strings.Contains(got.Message(), n) {
						t.Fatalf("message %q lacks candidate %s", got.Message(), n)
					}
				}
			}
			for name, frag := range tt.rejectHas {
				if !strings.Contains(got.Rejected[name], frag) {
					t.Fatalf("rejected[%s] = %q, want it to contain %q", name, got.Rejected[name], frag)
				}
			}
		})
	}
}

func TestNormalizeGPUModel(t *testing.T) {
	for in, want := range map[string]string{
		"MI300X": "MI300X", "mi300x": "MI300X", "AMD Instinct MI325X": "MI325X", "amd_mi210": "MI210",
		"": "", "AMD-INSTINCT-MI250X": "MI250X", "W7900": "W7900",
	} {
		if got := NormalizeGPUModel(in); got != want {
			t.Errorf("NormalizeGPUModel(%q) = %q, want %q", in, got, want)
		}
	}
}
