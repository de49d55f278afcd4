// Package selection picks the AIM service template an AIMService should run when the
// service names no template: filter the model's templates, rank the survivors, and report
// a tie between the best ones as ambiguous (with the candidates) instead of hiding it.
package selection

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Scope tells where a candidate template lives.
type Scope string

const (
	ScopeNamespace Scope = "Namespace"
	ScopeCluster   Scope = "Cluster"
)

// Candidate is the slice of a template that selection looks at. Callers fill Type, Metric,
// Precision, GPUModel and GPUCount from the discovered profile, falling back to the spec.
type Candidate struct {
	Name      string
	Scope     Scope
	Status    string // status.status of the template
	Type      string // optimized | preview | unoptimized | ""
	Metric    string
	Precision string
	GPUModel  string
	GPUCount  int32
}

func (c Candidate) String() string {
	return fmt.Sprintf("%s (%s)", c.Name, strings.ToLower(string(c.Scope)))
}

// Overrides are the service's spec.overrides that a candidate must match.
type Overrides struct {
	Metric    string
	Precision string
	GPUModel  string
	GPUCount  int32
}

// Request is the input of Select.
type Request struct {
	Candidates       []Candidate
	AllowUnoptimized bool
	Overrides        Overrides
	// AvailableGPUs holds the normalized GPU models present in the cluster. Nil skips the
	// check (the template's own GPUReady component already covers availability).
	AvailableGPUs map[string]bool
}

// Outcome classifies a selection.
type Outcome string

const (
	// Selected means exactly one best candidate exists.
	Selected Outcome = "Selected"
	// NoCandidates means the model has no template at all.
	NoCandidates Outcome = "NoCandidates"
	// NoneReady means templates exist but none is Ready yet.
	NoneReady Outcome = "NoneReady"
	// NoneMatch means Ready templates exist but every one was filtered out.
	NoneMatch Outcome = "NoneMatch"
	// Ambiguous means two or more best candidates rank equally.
	Ambiguous Outcome = "Ambiguous"
)

// Result is the output of Select.
type Result struct {
	Outcome  Outcome
	Selected *Candidate
	// Tied lists the equally ranked best candidates when Outcome is Ambiguous.
	Tied []Candidate
	// Rejected explains, per candidate name, why it was filtered out.
	Rejected map[string]string
}

// Message renders a user-facing explanation of a non-Selected result.
func (r Result) Message() string {
	switch r.Outcome {
	case Selected:
		return fmt.Sprintf("selected template %s", r.Selected.Name)
	case NoCandidates:
		return "no templates exist for the model"
	case NoneReady:
		return "Templates exist but are not ready yet"
	case Ambiguous:
		names := make([]string, 0, len(r.Tied))
		for _, c := range r.Tied {
			names = append(names, c.String())
		}
		return fmt.Sprintf("%d templates rank equally for auto-selection: %s; set spec.template.name or spec.overrides to choose one",
			len(r.Tied), strings.Join(names, ", "))
	default:
		keys := make([]string, 0, len(r.Rejected))
		for k := range r.Rejected {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+r.Rejected[k])
		}
		return "no template matches the service: " + strings.Join(parts, "; ")
	}
}

// Select applies the reference's filters in order (Ready; optimized unless allowed;
// overrides; GPU available; namespace scope preferred) and ranks the rest by type, GPU,
// metric and precision.
func Select(req Request) Result {
	res := Result{Rejected: map[string]string{}}
	if len(req.Candidates) == 0 {
		res.Outcome = NoCandidates
		return res
	}
	var ready []Candidate
	for _, c := range req.Candidates {
		if c.Status == "Ready" {
			ready = append(ready, c)
		}
	}
	if len(ready) == 0 {
		res.Outcome = NoneReady
		return res
	}
	var kept []Candidate
	for _, c := range ready {
		if why := reject(c, req); why != "" {
			res.Rejected[c.Name] = why
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		res.Outcome = NoneMatch
		return res
	}
	// Namespace templates shadow cluster templates: a team's own choice wins.
	var ns []Candidate
	for _, c := range kept {
		if c.Scope == ScopeNamespace {
			ns = append(ns, c)
		}
	}
	if len(ns) > 0 {
		kept = ns
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if c := compare(kept[i], kept[j]); c != 0 {
			return c < 0
		}
		return kept[i].Name < kept[j].Name
	})
	best := kept[0]
	tied := []Candidate{best}
	for _, c := range kept[1:] {
		if compare(best, c) == 0 {
			tied = append(tied, c)
		}
	}
	if len(tied) > 1 {
		res.Outcome = Ambiguous
		res.Tied = tied
		return res
	}
	res.Outcome = Selected
	res.Selected = &best
	return res
}

func reject(c Candidate, req Request) string {
	if !req.AllowUnoptimized && !strings.EqualFold(c.Type, "optimized") {
		t := c.Type
		if t == "" {
			t = "no profile type"
		}
		return fmt.Sprintf("type %s needs spec.template.allowUnoptimized", t)
	}
	o := req.Overrides
	if o.Metric != "" && !strings.EqualFold(o.Metric, c.Metric) {
		return fmt.Sprintf("metric %q does not match override %q", c.Metric, o.Metric)
	}
	if o.Precision != "" && !strings.EqualFold(o.Precision, c.Precision) {
		return fmt.Sprintf("precision %q does not match override %q", c.Precision, o.Precision)
	}
	if o.GPUModel != "" && !GPUModelsOverlap(o.GPUModel, c.GPUModel) {
		return fmt.Sprintf("GPU %q does not match override %q", c.GPUModel, o.GPUModel)
	}
	if o.GPUCount > 0 && c.GPUCount > 0 && o.GPUCount != c.GPUCount {
		return fmt.Sprintf("GPU count %d does not match override %d", c.GPUCount, o.GPUCount)
	}
	if req.AvailableGPUs != nil && c.GPUModel != "" && !req.AvailableGPUs[NormalizeGPUModel(c.GPUModel)] {
		return fmt.Sprintf("GPU %s is not available in the cluster", c.GPUModel)
	}
	return ""
}

var (
	typeOrder      = []string{"optimized", "preview", "unoptimized"}
	gpuOrder       = []string{"MI325X", "MI300X", "MI250X", "MI210"}
	metricOrder    = []string{"latency", "throughput"}
	precisionOrder = []string{"fp4", "int4", "fp8", "int8", "fp16", "bf16", "fp32"}
)

// rank returns the index of v in order (case-insensitive); unknown values rank last.
func rank(order []string, v string) int {
	for i, o := range order {
		if strings.EqualFold(o, v) {
			return i
		}
	}
	return len(order)
}

// compare orders two candidates: negative when a is preferred.
func compare(a, b Candidate) int {
	keys := [][2]int{
		{rank(typeOrder, a.Type), rank(typeOrder, b.Type)},
		{rank(gpuOrder, NormalizeGPUModel(a.GPUModel)), rank(gpuOrder, NormalizeGPUModel(b.GPUModel))},
		{rank(metricOrder, a.Metric), rank(metricOrder, b.Metric)},
		{rank(precisionOrder, a.Precision), rank(precisionOrder, b.Precision)},
	}
	for _, k := range keys {
		if k[0] != k[1] {
			return k[0] - k[1]
		}
	}
	return 0
}

var gpuToken = regexp.MustCompile(`^(MI|ME|RX|RTX|GTX|A|H|L|T|V|K|P|QUADRO|TESLA|GRID)?[A-Z]*[0-9]+[A-Z0-9]*$`)

// NormalizeGPUModel reduces a GPU model spelling ("AMD Instinct MI300X", "mi300x") to its
// model token ("MI300X"), as the reference does.
func NormalizeGPUModel(s string) string {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	if s == "" {
		return ""
	}
	tokens := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '/' || r == ':' })
	for _, t := range tokens {
		if t == "AMD" || t == "INSTINCT" {
			continue
		}
		if gpuToken.MatchString(t) {
			return t
		}
	}
	if len(tokens) > 0 {
		return tokens[0]
	}
	return s
}

// GPUModelsOverlap reports whether two GPU model spellings denote the same model.
func GPUModelsOverlap(a, b string) bool {
	na, nb := NormalizeGPUModel(a), NormalizeGPUModel(b)
	return na != "" && na == nb
}
