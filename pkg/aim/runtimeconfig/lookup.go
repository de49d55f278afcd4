package runtimeconfig

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	aimlisters "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// Lookup resolves merged runtime configs from the informer caches.
type Lookup struct {
	Namespaced aimlisters.AIMRuntimeConfigLister
	Cluster    aimlisters.AIMClusterRuntimeConfigLister
}

// Resolve reads and merges config name for an object in namespace ns ("" for cluster-scoped objects,
// which read only the cluster config). Cache read errors other than NotFound are returned as is.
func (l Lookup) Resolve(name, ns string) (Resolved, error) {
	name = EffectiveName(name)
	var nsCfg *aimv1.AIMRuntimeConfig
	if ns != "" && l.Namespaced != nil {
		c, err := l.Namespaced.AIMRuntimeConfigs(ns).Get(name)
		switch {
		case err == nil:
			nsCfg = c
		case !apierrors.IsNotFound(err):
			return Resolved{Name: name}, err
		}
	}
	var clCfg *aimv1.AIMClusterRuntimeConfig
	if l.Cluster != nil {
		c, err := l.Cluster.Get(name)
		switch {
		case err == nil:
			clCfg = c
		case !apierrors.IsNotFound(err):
			return Resolved{Name: name}, err
		}
	}
	return Resolve(name, nsCfg, clCfg)
}

// Result is a resolved config or the error that prevented it; it feeds the RuntimeConfig component.
type Result struct {
	Resolved
	Err error
}

// Spec returns the merged spec, nil when there is none or resolution failed.
func (r Result) Spec() *aimv1.AIMRuntimeConfigSpec {
	if r.Err != nil {
		return nil
	}
	return r.Resolved.Spec
}

// Health turns a resolution into the RuntimeConfig component (catalogue §2.2). upstream selects the
// Upstream wrapper (ClusterModel, TemplateCache, Artifact, Service), which relabels a missing config as
// ReferenceNotFound / "Upstream dependency not found".
func (r Result) Health(upstream bool) statemachine.ComponentHealth {
	h := statemachine.ComponentHealth{Component: constants.ComponentRuntimeConfig}
	if upstream {
		h.DependencyType = statemachine.DependencyUpstream
	}
	if r.Err != nil {
		var nf *NotFoundError
		if asNotFound(r.Err, &nf) {
			cause := apierrors.NewNotFound(aimv1.Resource("aimruntimeconfigs"), nf.Name)
			if upstream {
				h.Errors = []error{statemachine.NewMissingUpstreamDependencyError(constants.ReasonReferenceNotFound, constants.MsgUpstreamNotFound, cause)}
			} else {
				h.Errors = []error{statemachine.NewMissingUpstreamDependencyError(constants.ReasonConfigNotFound, nf.Error(), cause)}
			}
			return h
		}
		h.Errors = []error{r.Err}
		return h
	}
	if r.Resolved.Spec == nil {
		h.State, h.Reason, h.Message = statemachine.StateReady, constants.ReasonDefaultConfigNotFound, constants.MsgDefaultConfigNotFound
		return h
	}
	h.State, h.Reason = statemachine.StateReady, constants.ReasonConfigFound
	return h
}

// Reference returns status.resolvedRuntimeConfig: the config's name and the scope it came from, or nil
// when no config applies (the reference never set this field).
func (r Result) Reference() *aimv1.AIMResolvedReference {
	if r.Err != nil || r.Resolved.Spec == nil {
		return nil
	}
	return &aimv1.AIMResolvedReference{Name: r.Name, Scope: aimv1.AIMResolutionScope(r.Scope)}
}
