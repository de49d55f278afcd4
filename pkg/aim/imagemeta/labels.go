// Package imagemeta turns an AIM image's OCI config labels into AIMModel image metadata, and reads those
// labels from a registry with go-containerregistry, authenticating with the model's pull secrets only
// (no cloud-provider keychains).
package imagemeta

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// Label prefixes, in order of preference.
const (
	PrefixAIM     = "com.amd.aim."
	PrefixSilogen = "org.amd.silogen."
	PrefixOCI     = "org.opencontainers.image."
)

func aimLabel(labels map[string]string, suffix string) string {
	if v, ok := labels[PrefixAIM+suffix]; ok && v != "" {
		return v
	}
	return labels[PrefixSilogen+suffix]
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// FromLabels parses image config labels. It fails only on a malformed recommendedDeployments label.
func FromLabels(labels map[string]string) (*aimv1.ImageMetadata, error) {
	md := &aimv1.ImageMetadata{}
	if len(labels) > 0 {
		md.OriginalLabels = make(map[string]string, len(labels))
		for k, v := range labels {
			md.OriginalLabels[k] = v
		}
	}
	m := &aimv1.ModelMetadata{
		CanonicalName:   aimLabel(labels, "model.canonicalName"),
		Source:          aimLabel(labels, "model.source"),
		Title:           aimLabel(labels, "title"),
		DescriptionFull: aimLabel(labels, "description.full"),
		ReleaseNotes:    aimLabel(labels, "release.notes"),
		Tags:            splitList(aimLabel(labels, "model.tags")),
		Versions:        splitList(aimLabel(labels, "model.versions")),
		Variants:        splitList(aimLabel(labels, "model.variants")),
	}
	if b, err := strconv.ParseBool(strings.TrimSpace(aimLabel(labels, "hfToken.required"))); err == nil {
		m.HFTokenRequired = b
	}
	deps, err := ParseRecommendedDeployments(aimLabel(labels, "model.recommendedDeployments"))
	if err != nil {
		return nil, fmt.Errorf("failed to parse image labels: %w", err)
	}
	m.RecommendedDeployments = deps
	if !reflect.DeepEqual(*m, aimv1.ModelMetadata{}) {
		md.Model = m
	}
	oci := aimv1.OCIMetadata{
		Title: labels[PrefixOCI+"title"], Description: labels[PrefixOCI+"description"],
		Licenses: labels[PrefixOCI+"licenses"], Vendor: labels[PrefixOCI+"vendor"],
		Authors: labels[PrefixOCI+"authors"], Source: labels[PrefixOCI+"source"],
		Documentation: labels[PrefixOCI+"documentation"], Created: labels[PrefixOCI+"created"],
		Revision: labels[PrefixOCI+"revision"], Version: labels[PrefixOCI+"version"],
	}
	if oci != (aimv1.OCIMetadata{}) {
		md.OCI = &oci
	}
	return md, nil
}

// flexInt accepts a JSON number or a numeric string.
type flexInt int32

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("gpuCount %s: %w", b, err)
	}
	*f = flexInt(n)
	return nil
}

type rawDeployment struct {
	GPUModel    string  `json:"gpuModel"`
	GPUCount    flexInt `json:"gpuCount"`
	Precision   string  `json:"precision"`
	Metric      string  `json:"metric"`
	ProfileID   string  `json:"profileId"`
	Description string  `json:"description"`
}

// ParseRecommendedDeployments accepts a JSON array, a single object, or comma-joined objects; single
// quotes are accepted in place of double quotes.
func ParseRecommendedDeployments(v string) ([]aimv1.RecommendedDeployment, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	if !strings.Contains(v, `"`) {
		v = strings.ReplaceAll(v, "'", `"`)
	}
	if !strings.HasPrefix(v, "[") {
		v = "[" + v + "]"
	}
	var raw []rawDeployment
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, fmt.Errorf("recommendedDeployments: %w", err)
	}
	out := make([]aimv1.RecommendedDeployment, 0, len(raw))
	for _, r := range raw {
		out = append(out, aimv1.RecommendedDeployment{GPUModel: r.GPUModel, GPUCount: int32(r.GPUCount),
			Precision: r.Precision, Metric: r.Metric, ProfileID: r.ProfileID, Description: r.Description})
	}
	return out, nil
}
