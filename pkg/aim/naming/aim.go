package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	corev1 "k8s.io/api/core/v1"
	"regexp"
	"strconv"
	"strings"
)

// TemplateDeployment is the part of a recommended deployment that names a generated template.
type TemplateDeployment struct {
	GPUModel  string
	GPUCount  int32
	Metric    string
	Precision string
}

// metricShorthand abbreviates the two known metrics in template names.
func metricShorthand(m string) string {
	switch m {
	case "latency":
		return "lat"
	case "throughput":
		return "thr"
	}
	return m
}

// GeneratedTemplateName names a template generated from a recommended deployment (catalogue C1).
func GeneratedTemplateName(modelName, image string, d TemplateDeployment) string {
	var suffix []string
	switch {
	case d.GPUModel != "" && d.GPUCount > 0:
		suffix = append(suffix, strconv.Itoa(int(d.GPUCount))+"x", d.GPUModel)
	case d.GPUModel != "":
		suffix = append(suffix, d.GPUModel)
	case d.GPUCount > 0:
		suffix = append(suffix, "x"+strconv.Itoa(int(d.GPUCount)))
	}
	if d.Metric != "" {
		suffix = append(suffix, metricShorthand(d.Metric))
	}
	if d.Precision != "" {
		suffix = append(suffix, d.Precision)
	}
	src := modelName + "-" + image
	if d.GPUModel != "" {
		src += "-" + d.GPUModel
	}
	if d.GPUCount > 0 {
		src += "-x" + strconv.Itoa(int(d.GPUCount))
	}
	if d.Metric != "" {
		src += "-" + d.Metric
	}
	if d.Precision != "" {
		src += "-" + d.Precision
	}
	return MustGenerateDerivedName([]string{image, strings.Join(suffix, "-")},
		WithHashSource(src), WithHashLength(4))
}

// CustomTemplate is the part of a custom template that names it (catalogue C2). Nil pointers mean "absent".
type CustomTemplate struct {
	Name       string
	HasProfile bool
	Metric     string
	Precision  string
	HasGPU     bool
	GPUCount   int32
	GPUModel   string
}

// CustomTemplateName names the i-th custom template of a model; ct == nil is the auto template.
func CustomTemplateName(modelName string, index int, ct *CustomTemplate) string {
	parts := []string{modelName, "custom"}
	hash := []any{modelName, index}
	if ct != nil {
		if ct.Name != "" {
			parts = append(parts, ct.Name)
		}
		if ct.HasProfile && ct.Precision != "" {
			parts = append(parts, ct.Precision)
		}
		if ct.HasGPU && ct.GPUModel != "" {
			parts = append(parts, ct.GPUModel)
		}
		hash = append(hash, ct.Name)
		if ct.HasProfile {
			hash = append(hash, ct.Precision, ct.Metric)
		}
		if ct.HasGPU {
			hash = append(hash, ct.GPUCount, ct.GPUModel)
		}
	}
	return MustGenerateDerivedName(parts, WithHashSource(hash...))
}

// DiscoveryJobName is `discover-<template[:45]>-<hex(sha256(source)[:4])>`; source is the plain
// concatenation described in catalogue C3.
func DiscoveryJobName(templateName, source string) string {
	t := templateName
	if len(t) > 45 {
		t = t[:45]
	}
	sum := sha256.Sum256([]byte(source))
	return "discover-" + t + "-" + hex.EncodeToString(sum[:4])
}

// DiscoveryJobHashInput is the C3 hash source: modelName, image, serviceAccount, Σ(env name+value),
// Σ(secret names), metric, precision, gpu model + decimal requests (when a GPU is set), profileId.
type DiscoveryJobHashInput struct {
	ModelName, Image, ServiceAccount string
	Env                              [][2]string
	PullSecrets                      []string
	Metric, Precision                string
	HasGPU                           bool
	GPUModel                         string
	GPURequests                      int32
	ProfileID                        string
}

// String renders the concatenation hashed by DiscoveryJobName.
func (in DiscoveryJobHashInput) String() string {
	var b strings.Builder
	b.WriteString(in.ModelName)
	b.WriteString(in.Image)
	b.WriteString(in.ServiceAccount)
	for _, e := range in.Env {
		b.WriteString(e[0])
		b.WriteString(e[1])
	}
	for _, s := range in.PullSecrets {
		b.WriteString(s)
	}
	b.WriteString(in.Metric)
	b.WriteString(in.Precision)
	if in.HasGPU {
		b.WriteString(in.GPUModel)
		b.WriteString(strconv.Itoa(int(in.GPURequests)))
	}
	b.WriteString(in.ProfileID)
	return b.String()
}

// InferenceServiceName names a service's InferenceService (C15) so that `<isvc>-predictor-<ns>` fits 63.
func InferenceServiceName(service, namespace string) (string, error) {
	maxLen := DefaultMaxLength - len("-predictor-") - len(namespace)
	if maxLen < 10 {
		return "", fmt.Errorf("namespace %q is too long (%d chars); InferenceService hostname would exceed 63 characters",
			namespace, len(namespace))
	}
	return GenerateDerivedName([]string{service}, WithHashSource(namespace), WithMaxLength(maxLen))
}

// HTTPRouteName names a service's HTTPRoute (C12).
func HTTPRouteName(service, namespace string) string {
	return MustGenerateDerivedName([]string{service}, WithHashSource(namespace))
}

// SharedTemplateCacheName names a Shared-mode template cache created by a service (C14).
func SharedTemplateCacheName(template, namespace string) string {
	return MustGenerateDerivedName([]string{template}, WithHashSource(namespace))
}

// DedicatedTemplateCacheName names a Dedicated-mode template cache created by a service (C14).
func DedicatedTemplateCacheName(template, service, serviceUID string) string {
	return MustGenerateDerivedName([]string{template, service}, WithHashSource(serviceUID))
}

// ArtifactPVCName, CheckSizeJobName and DownloadJobName name an artifact's children (C7–C9).
func ArtifactPVCName(artifact, uid string) string {
	return MustGenerateDerivedName([]string{artifact, "cache"}, WithHashSource(uid))
}

// CheckSizeJobName names an artifact's check-size Job (C7).
func CheckSizeJobName(artifact, uid string) string {
	return MustGenerateDerivedName([]string{artifact, "check-size"}, WithHashSource(uid))
}

// DownloadJobName names an artifact's download Job (C9).
func DownloadJobName(artifact, uid string) string {
	return MustGenerateDerivedName([]string{artifact, "download"}, WithHashSource(uid))
}

var nonNameRun = regexp.MustCompile(`[^a-z0-9-]+`)

func collapse(s string) string {
	return strings.Trim(nonNameRun.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// ImageNameAndTag splits an image reference into its last path component and its tag (the first six
// characters of a digest, or "latest"), both collapsed to [a-z0-9-].
func ImageNameAndTag(uri string) (name, tag string) {
	ref := strings.TrimSpace(uri)
	digest := ""
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	last := ref
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		last = ref[i+1:]
	}
	if i := strings.LastIndex(last, ":"); i >= 0 {
		last, tag = last[:i], last[i+1:]
	}
	if tag == "" && digest != "" {
		d := digest
		if i := strings.Index(d, ":"); i >= 0 {
			d = d[i+1:]
		}
		if len(d) > 6 {
			d = d[:6]
		}
		tag = d
	}
	if tag == "" {
		tag = "latest"
	}
	return collapse(last), collapse(tag)
}

// ImageModelName names the AIMModel a service creates for `spec.model.image` (C10).
func ImageModelName(uri string) string {
	uri = strings.TrimSpace(uri)
	n, t := ImageNameAndTag(uri)
	return MustGenerateDerivedName([]string{n, t}, WithHashSource(uri))
}

// CustomModelSource is the identity of one model source of a custom model (C11).
type CustomModelSource struct {
	ModelID, SourceURI, AWSEndpointURL string
}

// CustomModelName names the AIMModel a service creates for `spec.model.custom` (C11).
func CustomModelName(baseImage string, sources []CustomModelSource) string {
	if len(sources) == 0 {
		return MustGenerateDerivedName([]string{"custom-model"}, WithHashSource(baseImage))
	}
	hash := []any{baseImage}
	for _, s := range sources {
		hash = append(hash, s.ModelID, s.SourceURI)
		if s.AWSEndpointURL != "" {
			hash = append(hash, s.AWSEndpointURL)
		}
	}
	return MustGenerateDerivedName([]string{sources[0].ModelID}, WithHashSource(hash...))
}

// DerivedTemplateOverrides are the service overrides that name a derived template (C13).
type DerivedTemplateOverrides struct {
	GPUModel    string
	GPURequests int32
	Precision   string
	Metric      string
}

// DerivedTemplateName names a derived template; with no overrides it is the base name.
func DerivedTemplateName(base string, o DerivedTemplateOverrides) string {
	parts := []string{base, "ovr"}
	var hash []any
	if o.GPUModel != "" {
		parts = append(parts, strings.ToLower(o.GPUModel))
		hash = append(hash, "gpu", o.GPUModel)
	}
	if o.GPURequests > 0 {
		parts = append(parts, strconv.Itoa(int(o.GPURequests))+"gpu")
		hash = append(hash, "count", o.GPURequests)
	}
	if o.Precision != "" {
		parts = append(parts, o.Precision)
		hash = append(hash, "precision", o.Precision)
	}
	if o.Metric != "" {
		parts = append(parts, o.Metric)
		hash = append(hash, "metric", o.Metric)
	}
	if len(hash) == 0 {
		return base
	}
	return MustGenerateDerivedName(parts, WithHashSource(hash...), WithHashLength(4))
}

// ArtifactName names an AIMArtifact created by a template cache (C5). env is the merged cache < source env
// (nil encodes as null); dedicatedCache is the cache name in Dedicated mode, "" for Shared.
func ArtifactName(sourceURI string, env []corev1.EnvVar, storageClass, dedicatedCache string) string {
	hash := []any{sourceURI, env, storageClass}
	if dedicatedCache != "" {
		hash = append(hash, "dedicated", dedicatedCache)
	}
	return MustGenerateDerivedName([]string{strings.ReplaceAll(sourceURI, ".", "-")},
		WithHashSource(hash...), WithHashLength(10))
}
