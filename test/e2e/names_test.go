package e2e

// The contract's child-object names (catalogue §3.1, §3.3), computed here independently of
// pkg/aim/naming so that the suite checks the product against the catalogue, not against itself.
// TestNamesMatchCatalogueExamples pins these functions to the catalogue's worked examples (§3.4).

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// rfc1123 is MakeRFC1123Compliant: lower-case, every character outside [a-z0-9-] becomes "-" one for one,
// trim "-", cut to 63, trim trailing "-"; an empty result becomes "part".
func rfc1123(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	out := strings.Trim(string(b), "-")
	if len(out) > 63 {
		out = strings.TrimRight(out[:63], "-")
	}
	if out == "" {
		return "part"
	}
	return out
}

// hashOf JSON-encodes each input, joins them with "|" and returns the SHA-256 hex cut to n.
func hashOf(n int, inputs ...any) string {
	enc := make([]string, len(inputs))
	for i, in := range inputs {
		b, err := json.Marshal(in)
		if err != nil {
			panic(err)
		}
		enc[i] = string(b)
	}
	sum := sha256.Sum256([]byte(strings.Join(enc, "|")))
	return hex.EncodeToString(sum[:])[:n]
}

// derivedName is GenerateDerivedName(parts, hash) with maximum length max (§3.1).
func derivedName(parts []string, hash string, max int) string {
	ps := make([]string, len(parts))
	for i, p := range parts {
		ps[i] = rfc1123(p)
	}
	length := func() int {
		n := len(hash)
		for _, p := range ps {
			n += len(p) + 1
		}
		if hash == "" {
			n--
		}
		return n
	}
	for length() > max {
		longest := 0
		for i := range ps {
			if len(ps[i]) > len(ps[longest]) {
				longest = i
			}
		}
		if len(ps[longest]) <= 1 {
			break
		}
		ps[longest] = strings.TrimRight(ps[longest][:len(ps[longest])-1], "-")
	}
	if hash != "" {
		ps = append(ps, hash)
	}
	return strings.Join(ps, "-")
}

// isvcName is the InferenceService (and HTTPRoute) name of a service (C15).
func isvcName(service, namespace string) string {
	return derivedName([]string{service}, hashOf(8, namespace), 63-len("-predictor-")-len(namespace))
}

// sharedCacheName is the AIMTemplateCache a service creates in Shared mode (C14).
func sharedCacheName(template, namespace string) string {
	return derivedName([]string{template}, hashOf(8, namespace), 63)
}

// artifactName is the AIMArtifact of a Shared cache for a source with no env and no storage class (C5).
func artifactName(sourceURI string) string {
	return derivedName([]string{strings.ReplaceAll(sourceURI, ".", "-")}, hashOf(10, sourceURI, nil, ""), 63)
}

// artifactChildName is the PVC ("cache") or Job ("download", "check-size") of an artifact (C7–C9).
func artifactChildName(artifact, uid, suffix string) string {
	return derivedName([]string{artifact, suffix}, hashOf(8, uid), 63)
}

type deployment struct {
	GPUModel  string
	GPUCount  int
	Metric    string
	Precision string
}

// generatedTemplateName is the template a model creates for one recommended deployment (C1).
func generatedTemplateName(model, image string, d deployment) string {
	var suffix []string
	switch {
	case d.GPUModel != "" && d.GPUCount > 0:
		suffix = append(suffix, fmt.Sprintf("%dx-%s", d.GPUCount, d.GPUModel))
	case d.GPUModel != "":
		suffix = append(suffix, d.GPUModel)
	case d.GPUCount > 0:
		suffix = append(suffix, fmt.Sprintf("x%d", d.GPUCount))
	}
	switch d.Metric {
	case "":
	case "latency":
		suffix = append(suffix, "lat")
	case "throughput":
		suffix = append(suffix, "thr")
	default:
		suffix = append(suffix, d.Metric)
	}
	if d.Precision != "" {
		suffix = append(suffix, d.Precision)
	}
	src := model + "-" + image
	if d.GPUModel != "" {
		src += "-" + d.GPUModel
	}
	if d.GPUCount > 0 {
		src += fmt.Sprintf("-x%d", d.GPUCount)
	}
	if d.Metric != "" {
		src += "-" + d.Metric
	}
	if d.Precision != "" {
		src += "-" + d.Precision
	}
	return derivedName([]string{image, strings.Join(suffix, "-")}, hashOf(4, src), 63)
}

// autoCustomTemplateName is the single template of a custom model without customTemplates (C2).
func autoCustomTemplateName(model string) string {
	return derivedName([]string{model, "custom"}, hashOf(8, model, 0), 63)
}

var nonNameRun = regexp.MustCompile(`[^a-z0-9-]+`)

// imageModelName is the AIMModel a service creates for spec.model.image (C10).
func imageModelName(uri string) string {
	ref := uri
	tag := "latest"
	if i := strings.Index(ref, "@"); i >= 0 {
		d := ref[i+1:]
		if j := strings.Index(d, ":"); j >= 0 {
			d = d[j+1:]
		}
		if len(d) > 6 {
			d = d[:6]
		}
		tag, ref = d, ref[:i]
	} else if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		tag, ref = ref[i+1:], ref[:i]
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	clean := func(s string) string { return strings.Trim(nonNameRun.ReplaceAllString(strings.ToLower(s), "-"), "-") }
	return derivedName([]string{clean(name), clean(tag)}, hashOf(8, uri), 63)
}

// discoveryJobName is discover-<template[:45]>-<hex(sha256(s)[:4])> (C3); s is the plain concatenation
// of modelName, image, serviceAccount, template env, pull secrets, metric, precision, GPU and profileId.
func discoveryJobName(template, s string) string {
	sum := sha256.Sum256([]byte(s))
	if len(template) > 45 {
		template = template[:45]
	}
	return "discover-" + template + "-" + hex.EncodeToString(sum[:4])
}

// sanitizeLabel is SanitizeLabelValue (§3.4).
func sanitizeLabel(s string) string {
	s = regexp.MustCompile(`[^a-z0-9._-]+`).ReplaceAllString(strings.ToLower(s), "_")
	s = strings.Trim(s, "_.-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "_.-")
	}
	return s
}

func TestNamesMatchCatalogueExamples(t *testing.T) {
	long := "this-is-a-very-long-service-name-that-goes-on-and-on-and-on-forever"
	for _, c := range []struct{ what, got, want string }{
		{"isvc", isvcName("my-llm", "team-a"), "my-llm-e204f50a"},
		{"isvc truncated", isvcName(long, "team-a"), "this-is-a-very-long-service-name-that-e204f50a"},
		{"shared cache", sharedCacheName("tpl-a", "team-a"), "tpl-a-e204f50a"},
		{"dedicated cache", derivedName([]string{"tpl-a", "my-llm"}, hashOf(8, "1111-2222"), 63), "tpl-a-my-llm-278e91ba"},
		{"image model", imageModelName("ghcr.io/silogen/aim-meta-llama-llama-3-1-8b-instruct:0.8.5"), "aim-meta-llama-llama-3-1-8b-instruct-0-8-5-8859fc08"},
		{"custom model", derivedName([]string{"org/Model-7B"}, hashOf(8, "ghcr.io/x/base:1", "org/Model-7B", "hf://org/Model-7B"), 63), "org-model-7b-a6aa7608"},
		{"generated template", generatedTemplateName("llama-8b", "ghcr.io/silogen/aim-llama:0.8.5", deployment{"MI300X", 1, "latency", "fp8"}), "ghcr-io-silogen-aim-llama-0-8-5-1x-mi300x-lat-fp8-137f"},
		{"artifact", artifactName("hf://meta-llama/Llama-3.1-8B-Instruct"), "hf---meta-llama-llama-3-1-8b-instruct-814d4ab846"},
		{"discovery job", discoveryJobName("tpl-a", "llama"+"img:1"+"latency"), "discover-tpl-a-3e9abb7b"},
		{"pvc", artifactChildName("art", "u-1", "cache"), "art-cache-55d89d51"},
		{"source-model label", sanitizeLabel("meta-llama/Llama-3.1-8B"), "meta-llama_llama-3.1-8b"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.what, c.got, c.want)
		}
	}
}
