// Package routing builds the Gateway API HTTPRoute in front of an AIMService (as unstructured:
// Gateway API is optional at runtime) and renders its path template. Unlike the reference, a
// template that cannot be rendered is an error for the caller to surface, never a silent default.
package routing

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/jsonpath"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/naming"
)

// GVK and GVR of the HTTPRoute.
var (
	GVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	GVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

// MaxPathLength bounds a rendered path (§7).
const MaxPathLength = 200

// BackendPort is the predictor Service port the route sends traffic to.
const BackendPort = 80

// DefaultPath is `/<namespace>/<uid>`.
func DefaultPath(namespace, uid string) string {
	return normalizePath(namespace + "/" + uid)
}

var metaKeyExpr = regexp.MustCompile(`^\.metadata\.(labels|annotations)\[\s*(?:'([^']*)'|"([^"]*)")\s*\]$`)

// RenderPath renders pathTemplate against the AIMService object (its unstructured content).
// Each {expr} is a JSONPath expression; `.metadata.labels['k']` and
// `.metadata.annotations['k']` look the key up directly (keys contain dots and slashes).
// Rendered values are made RFC1123-compliant, except annotation values, which may carry
// several segments; the path is then split on "/", each segment sanitized, empty segments
// dropped. An empty template gives DefaultPath.
func RenderPath(pathTemplate string, svc map[string]any, namespace, uid string) (string, error) {
	if strings.TrimSpace(pathTemplate) == "" {
		return DefaultPath(namespace, uid), nil
	}
	var out strings.Builder
	rest := pathTemplate
	for {
		open := strings.IndexByte(rest, '{')
		closeIdx := strings.IndexByte(rest, '}')
		if open < 0 {
			if closeIdx >= 0 {
				return "", fmt.Errorf("path template %q: unmatched '}'", pathTemplate)
			}
			out.WriteString(rest)
			break
		}
		if closeIdx >= 0 && closeIdx < open {
			return "", fmt.Errorf("path template %q: unmatched '}'", pathTemplate)
		}
		out.WriteString(rest[:open])
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("path template %q: unclosed '{'", pathTemplate)
		}
		expr := strings.TrimSpace(rest[open+1 : open+end])
		v, err := evaluate(expr, svc)
		if err != nil {
			return "", fmt.Errorf("path template %q: %w", pathTemplate, err)
		}
		out.WriteString(v)
		rest = rest[open+end+1:]
	}
	p := normalizePath(out.String())
	if p == "/" {
		return "", fmt.Errorf("path template %q renders an empty path", pathTemplate)
	}
	if len(p) > MaxPathLength {
		return "", fmt.Errorf("path template %q renders %d characters, more than %d", pathTemplate, len(p), MaxPathLength)
	}
	return p, nil
}

func evaluate(expr string, svc map[string]any) (string, error) {
	if expr == "" {
		return "", fmt.Errorf("empty expression {}")
	}
	if m := metaKeyExpr.FindStringSubmatch(expr); m != nil {
		key := m[2] + m[3]
		vals, _, _ := unstructured.NestedStringMap(svc, "metadata", m[1])
		v, ok := vals[key]
		if !ok || v == "" {
			return "", fmt.Errorf("%s %q is not set on the service", strings.TrimSuffix(m[1], "s"), key)
		}
		if m[1] == "annotations" {
			return v, nil
		}
		return naming.MakeRFC1123Compliant(v), nil
	}
	jp := jsonpath.New("path")
	if err := jp.Parse("{" + expr + "}"); err != nil {
		return "", fmt.Errorf("invalid expression {%s}: %w", expr, err)
	}
	var buf bytes.Buffer
	if err := jp.Execute(&buf, svc); err != nil {
		return "", fmt.Errorf("expression {%s}: %w", expr, err)
	}
	v := naming.MakeRFC1123Compliant(buf.String())
	if v == "" {
		return "", fmt.Errorf("expression {%s} renders empty", expr)
	}
	return v, nil
}

func normalizePath(p string) string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s = naming.MakeRFC1123Compliant(s); s != "" {
			segs = append(segs, s)
		}
	}
	return "/" + strings.Join(segs, "/")
}

// ParentRef is a Gateway reference in JSON form (group, kind, namespace, name, sectionName, port).
type ParentRef map[string]any

// Params is everything the HTTPRoute is built from.
type Params struct {
	Name, Namespace string
	ServiceName     string
	ISVCName        string
	Path            string
	Gateway         ParentRef
	RequestTimeout  *time.Duration
	Annotations     map[string]string
	// ExtraLabels (propagated from the service) are added where the builder set none.
	ExtraLabels map[string]string
}

// Build returns the desired HTTPRoute, with the same applied-spec hash annotation as the
// InferenceService so unchanged routes are not re-sent.
func Build(p Params) *unstructured.Unstructured {
	rule := map[string]any{
		"matches": []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": p.Path}}},
		"filters": []any{map[string]any{"type": "URLRewrite", "urlRewrite": map[string]any{
			"path": map[string]any{"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}},
		"backendRefs": []any{map[string]any{"kind": "Service", "name": p.ISVCName + "-predictor",
			"namespace": p.Namespace, "port": int64(BackendPort)}},
	}
	if p.RequestTimeout != nil {
		rule["timeouts"] = map[string]any{"request": p.RequestTimeout.String()}
	}
	parent := map[string]any{}
	for k, v := range p.Gateway {
		parent[k] = v
	}
	spec := map[string]any{"parentRefs": []any{parent}, "rules": []any{rule}}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(GVK)
	u.SetName(p.Name)
	u.SetNamespace(p.Namespace)
	labels := map[string]string{
		constants.LabelK8sComponent: constants.ComponentRouting,
		constants.LabelK8sManagedBy: constants.ManagedByEngine,
		constants.LabelService:      naming.LabelValue(p.ServiceName),
	}
	for k, v := range p.ExtraLabels {
		if _, has := labels[k]; !has {
			labels[k] = v
		}
	}
	u.SetLabels(labels)
	ann := map[string]string{}
	for k, v := range p.Annotations {
		ann[k] = v
	}
	ann[kserve.AnnotationSpecHash] = kserve.Hash(spec, labels, p.Annotations)
	u.SetAnnotations(ann)
	return u
}
