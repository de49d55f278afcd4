// Package runtimeconfig merges an AIMClusterRuntimeConfig with the namespace's AIMRuntimeConfig of the same
// name. The namespace config wins field by field; env is merged by name with AIM_ENGINE_ARGS deep-merged as
// JSON; maps are merged by key; lists are replaced. Unlike the reference (mergo, which skips zero values),
// any field the namespace config sets explicitly wins, so a namespace `false` overrides a cluster `true`.
package runtimeconfig

import (
	"fmt"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/envmerge"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// EffectiveName maps an empty runtime config name to "default".
func EffectiveName(name string) string {
	if name == "" {
		return constants.DefaultRuntimeConfigName
	}
	return name
}

// Scope says which configs contributed to a merged result.
type Scope string

// Scopes of a resolved runtime config (the wire values of AIMResolutionScope).
const (
	ScopeNone      Scope = ""
	ScopeNamespace Scope = "Namespace"
	ScopeCluster   Scope = "Cluster"
	ScopeMerged    Scope = "Merged"
)

// Resolved is the outcome of resolving a runtime config name.
type Resolved struct {
	Name  string
	Scope Scope
	// Spec is the merged configuration; nil when `default` exists at neither scope.
	Spec *aimv1.AIMRuntimeConfigSpec
}

// NotFoundError reports a named (non-default) runtime config that exists at neither scope.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("RuntimeConfig %s not found", e.Name) }

// Resolve merges the two configs for name (either may be nil). A missing `default` is fine; any other
// missing name is a *NotFoundError.
func Resolve(name string, ns *aimv1.AIMRuntimeConfig, cluster *aimv1.AIMClusterRuntimeConfig) (Resolved, error) {
	name = EffectiveName(name)
	r := Resolved{Name: name}
	var nsSpec, clSpec *aimv1.AIMRuntimeConfigSpec
	if ns != nil {
		nsSpec = &ns.Spec
	}
	if cluster != nil {
		clSpec = &cluster.Spec
	}
	switch {
	case nsSpec == nil && clSpec == nil:
		if name == constants.DefaultRuntimeConfigName {
			return r, nil
		}
		return r, &NotFoundError{Name: name}
	case nsSpec == nil:
		r.Scope = ScopeCluster
	case clSpec == nil:
		r.Scope = ScopeNamespace
	default:
		r.Scope = ScopeMerged
	}
	r.Spec = Merge(clSpec, nsSpec)
	return r, nil
}

// Merge returns base overlaid with over (over wins). Inputs are not modified; either may be nil.
func Merge(base, over *aimv1.AIMRuntimeConfigSpec) *aimv1.AIMRuntimeConfigSpec {
	if base == nil && over == nil {
		return nil
	}
	b := migrate(base)
	o := migrate(over)
	if b == nil {
		return o
	}
	if o == nil {
		return b
	}
	out := b
	out.Storage = mergeStorage(b.Storage, o.Storage)
	out.Routing = mergeRouting(b.Routing, o.Routing)
	out.Env = envmerge.Merge(b.Env, o.Env, envmerge.EngineArgs)
	if o.Model != nil {
		if out.Model == nil {
			out.Model = &aimv1.AIMModelConfig{}
		}
		if o.Model.AutoDiscovery != nil {
			out.Model.AutoDiscovery = o.Model.AutoDiscovery
		}
	}
	if o.LabelPropagation != nil {
		if out.LabelPropagation == nil {
			out.LabelPropagation = &aimv1.AIMLabelPropagationConfig{}
		}
		// The CRD defaults `enabled` to false whenever the block is present, so a present block always
		// carries an explicit value: it wins, false included.
		out.LabelPropagation.Enabled = o.LabelPropagation.Enabled
		if o.LabelPropagation.Match != nil {
			out.LabelPropagation.Match = append([]string(nil), o.LabelPropagation.Match...)
		}
	}
	// The deprecated top-level fields were migrated into storage above; keep the winner for readers.
	if o.DefaultStorageClassName != "" {
		out.DefaultStorageClassName = o.DefaultStorageClassName
	}
	if o.PVCHeadroomPercent != nil {
		out.PVCHeadroomPercent = o.PVCHeadroomPercent
	}
	return out
}

// migrate deep-copies a spec and moves the deprecated top-level storage fields into storage.* when unset.
func migrate(in *aimv1.AIMRuntimeConfigSpec) *aimv1.AIMRuntimeConfigSpec {
	if in == nil {
		return nil
	}
	s := in.DeepCopy()
	if s.DefaultStorageClassName != "" || s.PVCHeadroomPercent != nil {
		if s.Storage == nil {
			s.Storage = &aimv1.AIMStorageConfig{}
		}
		if s.Storage.DefaultStorageClassName == "" {
			s.Storage.DefaultStorageClassName = s.DefaultStorageClassName
		}
		if s.Storage.PVCHeadroomPercent == nil && s.PVCHeadroomPercent != nil {
			v := *s.PVCHeadroomPercent
			s.Storage.PVCHeadroomPercent = &v
		}
	}
	return s
}

func mergeStorage(b, o *aimv1.AIMStorageConfig) *aimv1.AIMStorageConfig {
	if o == nil {
		return b
	}
	if b == nil {
		return o
	}
	out := *b
	if o.DefaultStorageClassName != "" {
		out.DefaultStorageClassName = o.DefaultStorageClassName
	}
	if o.PVCHeadroomPercent != nil {
		out.PVCHeadroomPercent = o.PVCHeadroomPercent
	}
	return &out
}

func mergeRouting(b, o *aimv1.AIMRoutingConfig) *aimv1.AIMRoutingConfig {
	if o == nil {
		return b
	}
	if b == nil {
		return o
	}
	out := *b
	if o.Enabled != nil {
		out.Enabled = o.Enabled
	}
	if o.GatewayRef != nil {
		out.GatewayRef = o.GatewayRef
	}
	if o.PathTemplate != "" {
		out.PathTemplate = o.PathTemplate
	}
	if o.RequestTimeout != nil {
		out.RequestTimeout = o.RequestTimeout
	}
	if len(o.Annotations) > 0 {
		m := make(map[string]string, len(b.Annotations)+len(o.Annotations))
		for k, v := range b.Annotations {
			m[k] = v
		}
		for k, v := range o.Annotations {
			m[k] = v
		}
		out.Annotations = m
	}
	return &out
}
