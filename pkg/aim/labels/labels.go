// Package labels implements the reference's label propagation from a parent AIM object to the children it
// plans (catalogue §3.2 step 1): `aim.eai.amd.com/*` labels always flow; other labels flow only when the
// merged runtime config enables propagation and the key matches one of its filepath.Match globs. A child
// keeps labels it already has.
package labels

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"path/filepath"
	"strings"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// ShouldPropagate reports whether a parent label key flows to children under cfg.
func ShouldPropagate(key string, cfg *aimv1.AIMRuntimeConfigSpec) bool {
	if strings.HasPrefix(key, constants.LabelPrefix) {
		return true
	}
	if cfg == nil || cfg.LabelPropagation == nil || !cfg.LabelPropagation.Enabled {
		return false
	}
	for _, pattern := range cfg.LabelPropagation.Match {
		if ok, _ := filepath.Match(pattern, key); ok {
			return true
		}
	}
	return false
}

// Propagate copies the propagating parent labels into child where the child lacks the key, and returns
// the child map (allocated when nil and something is copied) plus the keys it added.
func Propagate(parent, child map[string]string, cfg *aimv1.AIMRuntimeConfigSpec) (map[string]string, []string) {
	var added []string
	for k, v := range parent {
		if _, has := child[k]; has || !ShouldPropagate(k, cfg) {
			continue
		}
		if child == nil {
			child = map[string]string{}
		}
		child[k] = v
		added = append(added, k)
	}
	return child, added
}

// ForChild returns the labels of a child planned by controllerName for parent: the child's own labels,
// then the propagated parent labels, then `app.kubernetes.io/managed-by=aim-<controller>-controller` and
// `aim.eai.amd.com/<controller>.name=<parent>`, each only where absent (catalogue §3.2).
func ForChild(parent metav1.Object, own map[string]string, cfg *aimv1.AIMRuntimeConfigSpec, controllerName string) map[string]string {
	out := make(map[string]string, len(own)+4)
	for k, v := range own {
		out[k] = v
	}
	out, _ = Propagate(parent.GetLabels(), out, cfg)
	if _, ok := out[constants.LabelK8sManagedBy]; !ok {
		out[constants.LabelK8sManagedBy] = constants.FieldManager(controllerName)
	}
	if _, ok := out[constants.DomainLabelKey(controllerName)]; !ok {
		out[constants.DomainLabelKey(controllerName)] = parent.GetName()
	}
	return out
}
