// Package envmerge layers container environment lists the way the AIM contract does:
// by name, the higher layer winning, with JSON-valued variables (AIM_ENGINE_ARGS)
// deep-merged as objects instead of replaced.
package envmerge

import (
	"encoding/json"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// EngineArgs is the variable whose JSON object value is deep-merged across layers.
const EngineArgs = "AIM_ENGINE_ARGS"

// Merge returns base overlaid with higher: a name present in both takes higher's value in
// base's position; names new in higher are appended in higher's order. Names listed in
// jsonKeys are deep-merged as JSON objects when both values parse as objects. Inputs are
// not modified.
func Merge(base, higher []corev1.EnvVar, jsonKeys ...string) []corev1.EnvVar {
	if len(base) == 0 && len(higher) == 0 {
		return nil
	}
	out := make([]corev1.EnvVar, 0, len(base)+len(higher))
	idx := make(map[string]int, len(base)+len(higher))
	for _, e := range base {
		if i, ok := idx[e.Name]; ok {
			out[i] = *e.DeepCopy()
			continue
		}
		idx[e.Name] = len(out)
		out = append(out, *e.DeepCopy())
	}
	for _, e := range higher {
		i, ok := idx[e.Name]
		if !ok {
			idx[e.Name] = len(out)
			out = append(out, *e.DeepCopy())
			continue
		}
		merged := *e.DeepCopy()
		if contains(jsonKeys, e.Name) && e.ValueFrom == nil && out[i].ValueFrom == nil {
			if v, ok := MergeJSON(out[i].Value, e.Value); ok {
				merged.Value = v
			}
		}
		out[i] = merged
	}
	return out
}

// Layers merges every layer in order (lowest precedence first), deep-merging AIM_ENGINE_ARGS.
func Layers(layers ...[]corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, l := range layers {
		out = Merge(out, l, EngineArgs)
	}
	return out
}

// SortByName sorts in place by variable name; a stable order keeps applied objects from
// churning between reconciles.
func SortByName(env []corev1.EnvVar) {
	sort.SliceStable(env, func(i, j int) bool { return env[i].Name < env[j].Name })
}

// MergeJSON deep-merges two JSON objects, the higher one winning on scalar conflicts. ok is
// false when either side is not a JSON object; callers then keep the higher value.
func MergeJSON(base, higher string) (string, bool) {
	var b, h map[string]any
	if json.Unmarshal([]byte(base), &b) != nil || b == nil {
		return "", false
	}
	if json.Unmarshal([]byte(higher), &h) != nil || h == nil {
		return "", false
	}
	out, err := json.Marshal(deepMerge(b, h))
	if err != nil {
		return "", false
	}
	return string(out), true
}

func deepMerge(base, higher map[string]any) map[string]any {
	for k, hv := range higher {
		if hm, ok := hv.(map[string]any); ok {
			if bm, ok := base[k].(map[string]any); ok {
				base[k] = deepMerge(bm, hm)
				continue
			}
		}
		base[k] = hv
	}
	return base
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
