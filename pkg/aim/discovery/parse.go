// Package discovery holds the pure parts of template discovery: parsing the discovery container's
// `dry-run --format=json` output, the retry backoff with its spec hash, and the discovery Job builder.
package discovery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// ErrEmptyOutput is returned for a log with no content.
var ErrEmptyOutput = errors.New("discovery output is empty")

// rawProfile is one element of the discovery output.
type rawProfile struct {
	Filename string `json:"filename"`
	Profile  struct {
		Model    string `json:"model"`
		Metadata struct {
			Engine    string `json:"engine"`
			GPU       string `json:"gpu"`
			Precision string `json:"precision"`
			GPUCount  int32  `json:"gpu_count"`
			Metric    string `json:"metric"`
			Type      string `json:"type"`
		} `json:"metadata"`
		EngineArgs json.RawMessage   `json:"engine_args"`
		EnvVars    map[string]string `json:"env_vars"`
	} `json:"profile"`
	Models []struct {
		Name   string   `json:"name"`
		Source string   `json:"source"`
		SizeGB *float64 `json:"size_gb"`
	} `json:"models"`
}

// Result is what a successful discovery contributes to a template's status.
type Result struct {
	Profile      *aimv1.AIMProfile
	ModelSources []aimv1.AIMModelSource
	GPUModel     string
	GPUCount     int32
}

// Parse reads the discovery log: the whole output if it is JSON, otherwise the last parsable top-level
// `[...]` array in it. The first element of the array is used.
func Parse(log string) (*Result, error) {
	trimmed := strings.TrimSpace(log)
	if trimmed == "" {
		return nil, ErrEmptyOutput
	}
	var elems []json.RawMessage
	if json.Unmarshal([]byte(trimmed), &elems) != nil {
		var obj json.RawMessage
		if json.Unmarshal([]byte(trimmed), &obj) == nil && strings.HasPrefix(trimmed, "{") {
			elems = []json.RawMessage{obj}
		} else {
			elems = lastArray(trimmed)
			if elems == nil {
				return nil, fmt.Errorf("no JSON array found in discovery output")
			}
		}
	}
	if len(elems) == 0 {
		return nil, fmt.Errorf("discovery output has no profiles")
	}
	var p rawProfile
	if err := json.Unmarshal(elems[0], &p); err != nil {
		return nil, fmt.Errorf("failed to parse discovery profile: %w", err)
	}
	md := p.Profile.Metadata
	res := &Result{GPUModel: md.GPU, GPUCount: md.GPUCount, Profile: &aimv1.AIMProfile{
		EnvVars: p.Profile.EnvVars,
		Metadata: &aimv1.AIMProfileMetadata{Engine: md.Engine, GPU: md.GPU, GPUCount: md.GPUCount,
			Metric: aimv1.AIMMetric(md.Metric), Precision: aimv1.AIMPrecision(md.Precision), Type: aimv1.AIMProfileType(md.Type)},
		OriginalDiscoveryOutput: &aimv1.FreeformJSON{Raw: compact(elems[0])},
	}}
	if len(p.Profile.EngineArgs) > 0 && string(p.Profile.EngineArgs) != "null" {
		res.Profile.EngineArgs = &aimv1.FreeformJSON{Raw: compact(p.Profile.EngineArgs)}
	}
	for _, m := range p.Models {
		src := aimv1.AIMModelSource{ModelID: m.Name, SourceURI: m.Source}
		if m.SizeGB != nil && *m.SizeGB > 0 {
			q := resource.NewQuantity(int64(math.Round(*m.SizeGB*float64(1<<30))), resource.BinarySI)
			src.Size = q
		}
		res.ModelSources = append(res.ModelSources, src)
	}
	return res, nil
}

func compact(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return append([]byte(nil), raw...)
	}
	return b.Bytes()
}

// lastArray returns the elements of the last top-level JSON array embedded in s (log lines around it are
// skipped), or nil.
func lastArray(s string) []json.RawMessage {
	var last []json.RawMessage
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '[')
		if j < 0 {
			break
		}
		start := i + j
		dec := json.NewDecoder(strings.NewReader(s[start:]))
		var elems []json.RawMessage
		if err := dec.Decode(&elems); err == nil {
			last = elems
			i = start + int(dec.InputOffset())
			continue
		}
		i = start + 1
	}
	return last
}
