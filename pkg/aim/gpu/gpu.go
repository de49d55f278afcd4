// Package gpu detects AMD GPU models and VRAM from node labels (the reference's device-ID table and static
// VRAM table, catalogue §7 and §4.4), checks a template's GPU requirement against them, and builds the
// device-ID node affinity. Output is deterministic (sorted), unlike the reference's map iteration order.
package gpu

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Node label keys read for detection.
const (
	LabelDeviceID     = "amd.com/gpu.device-id"
	LabelBetaDeviceID = "beta.amd.com/gpu.device-id"
	LabelFamily       = "amd.com/gpu.family"
	LabelBetaFamily   = "beta.amd.com/gpu.family"
	LabelVRAM         = "amd.com/gpu.vram"
	LabelBetaVRAM     = "beta.amd.com/gpu.vram"
)

const (
	gib = int64(1) << 30
	tib = int64(1) << 40
)

// modelIDs is KnownAmdDevices: model → device IDs (lower-case, no 0x).
var modelIDs = map[string][]string{
	"MI100": {"738c", "738e"}, "MI210": {"740f", "7410"}, "MI250X": {"7408", "740c"}, "MI300A": {"74a0"},
	"MI300X": {"74a1", "74a9", "74b5", "74bd"}, "MI308X": {"74a2", "74a8", "74b6"}, "MI325X": {"74a5", "74b9"},
	"MI350X": {"75a0", "75b0"}, "MI355X": {"75a3", "75b3"}, "V710": {"7460", "7461"}, "V620": {"73a1", "73ae"},
	"W7900": {"7448", "744a"}, "W7800": {"7449", "745e"}, "W6900X": {"73a2"}, "W6800": {"73a3"},
	"W6800X": {"73ab"}, "RX9070": {"7550"}, "RX7900": {"744c"}, "RX6900": {"73af"}, "RX6800": {"73bf"},
}

// staticVRAM is used when a node carries no VRAM label.
var staticVRAM = map[string]int64{
	"MI355X": 288 * gib, "MI350X": 288 * gib, "MI325X": 256 * gib, "MI308X": 128 * gib, "MI300X": 192 * gib,
	"MI300A": 128 * gib, "MI250X": 128 * gib, "MI210": 64 * gib, "MI100": 32 * gib, "V710": 32 * gib,
	"W7900": 48 * gib, "W7800": 32 * gib, "W6900X": 32 * gib, "W6800": 32 * gib, "W6800X": 32 * gib,
	"V620": 32 * gib, "RX9070": 16 * gib, "RX7900": 24 * gib, "RX6900": 16 * gib, "RX6800": 16 * gib,
}

var idToModel = func() map[string]string {
	m := map[string]string{}
	for model, ids := range modelIDs {
		for _, id := range ids {
			m[id] = model
		}
	}
	return m
}()

// NormalizeDeviceID lower-cases and strips a 0x prefix.
func NormalizeDeviceID(id string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(id)), "0x")
}

// ModelForDeviceID maps a device ID to its model name; unknown IDs map to "AMD-<UPPER ID>".
func ModelForDeviceID(id string) string {
	id = NormalizeDeviceID(id)
	if m, ok := idToModel[id]; ok {
		return m
	}
	return "AMD-" + strings.ToUpper(id)
}

// DeviceIDsForModel returns the sorted device IDs of a (normalized) model; "AMD-<ID>" yields that ID.
func DeviceIDsForModel(model string) []string {
	n := NormalizeModel(model)
	if ids, ok := modelIDs[n]; ok {
		out := append([]string(nil), ids...)
		sort.Strings(out)
		return out
	}
	if rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(model)), "AMD-"); ok && rest != "" {
		return []string{strings.ToLower(rest)}
	}
	return nil
}

// StaticVRAM returns the table VRAM of a model in bytes, or 0.
func StaticVRAM(model string) int64 { return staticVRAM[NormalizeModel(model)] }

var modelToken = regexp.MustCompile(`^(MI|ME|RX|RTX|GTX|A|H|L|T|V|K|P|QUADRO|TESLA|GRID)?[A-Z]*[0-9]+[A-Z0-9]*$`)

// NormalizeModel canonicalizes a GPU model name ("AMD Instinct MI300X" → "MI300X", "mi_300x" → "MI-300X"
// split → first token matching the model pattern, skipping AMD and INSTINCT; else the first token).
func NormalizeModel(model string) string {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(model), "_", "-"))
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, "AMD-") && len(s) > 4 {
		if _, known := idToModel[strings.ToLower(s[4:])]; !known && isHex(s[4:]) {
			return s // an unknown device reported as AMD-<ID>
		}
	}
	tokens := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' || r == '/' || r == ':' })
	for _, t := range tokens {
		if t == "AMD" || t == "INSTINCT" {
			continue
		}
		if modelToken.MatchString(t) {
			return t
		}
	}
	if len(tokens) > 0 {
		return tokens[0]
	}
	return s
}

func isHex(s string) bool {
	for _, r := range strings.ToLower(s) {
		if !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'f')) {
			return false
		}
	}
	return s != ""
}

// ParseVRAM parses a VRAM label value. Bare G/T/M suffixes are binary (2^30, 2^40, 2^20), as in the
// reference; Kubernetes quantities (192Gi) are accepted too. Label values cannot contain spaces.
func ParseVRAM(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	upper := strings.ToUpper(v)
	mult := map[string]int64{"G": gib, "GB": gib, "T": tib, "TB": tib, "M": 1 << 20, "MB": 1 << 20}
	for _, suf := range []string{"GB", "TB", "MB", "G", "T", "M"} {
		if num, ok := strings.CutSuffix(upper, suf); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f <= 0 {
				return 0, false
			}
			return int64(f * float64(mult[suf])), true
		}
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() <= 0 {
		return 0, false
	}
	return q.Value(), true
}

// Resources is what the cluster offers: model name → the largest VRAM (bytes) seen on any node.
type Resources map[string]int64

// Models returns the detected model names, sorted.
func (r Resources) Models() []string {
	out := make([]string, 0, len(r))
	for m := range r {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Detect scans nodes' labels for GPU device IDs or families and their VRAM.
func Detect(nodes []*corev1.Node) Resources {
	res := Resources{}
	for _, n := range nodes {
		if n == nil || n.DeletionTimestamp != nil {
			continue
		}
		models := NodeModels(n.Labels)
		if len(models) == 0 {
			continue
		}
		vram, hasVRAM := int64(0), false
		for _, k := range []string{LabelVRAM, LabelBetaVRAM} {
			if v, ok := ParseVRAM(n.Labels[k]); ok {
				vram, hasVRAM = v, true
				break
			}
		}
		for _, m := range models {
			v := vram
			if !hasVRAM {
				v = StaticVRAM(m)
			}
			if v > res[m] {
				res[m] = v
			} else if _, seen := res[m]; !seen {
				res[m] = v
			}
		}
	}
	return res
}

// NodeModels returns the sorted GPU models a node's labels announce: device-ID labels (plain, beta and the
// count-encoded `<key>.<id>` forms with a non-empty value other than "0"), else family labels.
func NodeModels(labels map[string]string) []string {
	set := map[string]bool{}
	for _, key := range []string{LabelDeviceID, LabelBetaDeviceID} {
		if v := labels[key]; v != "" {
			set[ModelForDeviceID(v)] = true
		}
		for k, v := range labels {
			if id, ok := strings.CutPrefix(k, key+"."); ok && id != "" && v != "" && v != "0" {
				set[ModelForDeviceID(id)] = true
			}
		}
	}
	if len(set) == 0 {
		for _, key := range []string{LabelFamily, LabelBetaFamily} {
			if v := labels[key]; v != "" {
				set[NormalizeModel(v)] = true
			}
			for k, v := range labels {
				if fam, ok := strings.CutPrefix(k, key+"."); ok && fam != "" && v != "" && v != "0" {
					set[NormalizeModel(fam)] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Requirement is the GPU part of a template's hardware spec.
type Requirement struct {
	Requests int32
	Model    string
	MinVRAM  *resource.Quantity
}

// Required reports whether the template needs a GPU at all.
func (r Requirement) Required() bool {
	return r.Requests > 0 || strings.TrimSpace(r.Model) != ""
}

// Reasons of a GPU check.
const (
	ReasonGPUAvailable     = "GPUAvailable"
	ReasonGPUNotAvailable  = "GPUNotAvailable"
	ReasonVRAMNotAvailable = "VRAMNotAvailable"
)

// Check is the outcome of matching a requirement against the cluster.
type Check struct {
	Available bool
	Reason    string
	Message   string
}

func gi(b int64) int64 { return b / gib }

// Evaluate matches a requirement against detected resources (GetGPUHealthFromResources).
func Evaluate(req Requirement, res Resources) Check {
	if req.MinVRAM != nil && !req.MinVRAM.IsZero() {
		need := req.MinVRAM.Value()
		best, bestVRAM := "", int64(-1)
		for _, m := range res.Models() {
			if res[m] > bestVRAM {
				best, bestVRAM = m, res[m]
			}
		}
		if bestVRAM < need {
			highest := "none detected"
			if best != "" {
				highest = fmt.Sprintf("%s (%dGi)", best, gi(bestVRAM))
			}
			return Check{Reason: ReasonVRAMNotAvailable, Message: fmt.Sprintf(
				"Required minimum VRAM (%dGi) exceeds available GPUs. Highest available: %s", gi(need), highest)}
		}
	}
	models := res.Models()
	if strings.TrimSpace(req.Model) == "" {
		if len(models) == 0 {
			return Check{Reason: ReasonGPUNotAvailable, Message: "No GPUs available in cluster"}
		}
		return Check{Available: true, Reason: ReasonGPUAvailable,
			Message: "GPU available (any model accepted): " + strings.Join(models, ", ")}
	}
	want := NormalizeModel(req.Model)
	if _, ok := res[want]; ok {
		return Check{Available: true, Reason: ReasonGPUAvailable, Message: fmt.Sprintf("GPU model '%s' is available", want)}
	}
	avail := "none"
	if len(models) > 0 {
		avail = strings.Join(models, ", ")
	}
	return Check{Reason: ReasonGPUNotAvailable, Message: fmt.Sprintf(
		"Required GPU model '%s' not available in cluster. Available: %s", req.Model, avail)}
}

// NodeAffinity builds the required node affinity for a requirement: a single `amd.com/gpu.device-id In`
// term with every ID of the model, or, with only minVram, the IDs of every detected model with enough VRAM.
// It returns nil when there is nothing to pin.
func NodeAffinity(req Requirement, res Resources) *corev1.NodeAffinity {
	var ids []string
	switch {
	case strings.TrimSpace(req.Model) != "":
		ids = DeviceIDsForModel(req.Model)
	case req.MinVRAM != nil && !req.MinVRAM.IsZero():
		need := req.MinVRAM.Value()
		for _, m := range res.Models() {
			if res[m] >= need {
				ids = append(ids, DeviceIDsForModel(m)...)
			}
		}
		sort.Strings(ids)
	}
	if len(ids) == 0 {
		return nil
	}
	return &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: LabelDeviceID, Operator: corev1.NodeSelectorOpIn, Values: ids,
		}}}},
	}}
}

// Summary renders hardwareSummary: "<n> x <model>", "<model>" when n=0, "<n> x GPU" without a model, "CPU".
func Summary(requests int32, model string) string {
	switch {
	case requests > 0 && model != "":
		return fmt.Sprintf("%d x %s", requests, model)
	case model != "":
		return model
	case requests > 0:
		return fmt.Sprintf("%d x GPU", requests)
	}
	return "CPU"
}

// LabelsRelevant reports whether a node label or capacity change can affect GPU detection: any
// `amd.com/*` or `beta.amd.com/*` label or `amd.com/*` capacity/allocatable difference.
func LabelsRelevant(old, cur *corev1.Node) bool {
	if old == nil || cur == nil {
		return true
	}
	if !sameAMD(old.Labels, cur.Labels, true) {
		return true
	}
	return !sameResources(old.Status.Capacity, cur.Status.Capacity) ||
		!sameResources(old.Status.Allocatable, cur.Status.Allocatable)
}

func amdKey(k string, beta bool) bool {
	return strings.HasPrefix(k, "amd.com/") || (beta && strings.HasPrefix(k, "beta.amd.com/"))
}

func sameAMD(a, b map[string]string, beta bool) bool {
	for k, v := range a {
		if amdKey(k, beta) && b[k] != v {
			return false
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && amdKey(k, beta) {
			return false
		}
	}
	return true
}

func sameResources(a, b corev1.ResourceList) bool {
	for k, v := range a {
		if !amdKey(string(k), false) {
			continue
		}
		if w, ok := b[k]; !ok || w.Cmp(v) != 0 {
			return false
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && amdKey(string(k), false) {
			return false
		}
	}
	return true
}

// AsNode reads a node from a full or a metadata-only node informer (nil for anything else); GPU
// detection reads labels, and capacity when present.
func AsNode(obj any) *corev1.Node {
	switch n := obj.(type) {
	case *corev1.Node:
		return n
	case *metav1.PartialObjectMetadata:
		return &corev1.Node{ObjectMeta: n.ObjectMeta}
	}
	return nil
}

// NodesOf converts informer store contents to nodes.
func NodesOf(items []any) []*corev1.Node {
	out := make([]*corev1.Node, 0, len(items))
	for _, it := range items {
		if n := AsNode(it); n != nil {
			out = append(out, n)
		}
	}
	return out
}
