package service

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// modelRef is a resolved AIMModel or AIMClusterModel, scope-agnostic.
type modelRef struct {
	Name, Kind, Scope string
	UID               types.UID
	Status            string
	Spec              *aimv1.AIMModelSpec
	Labels            map[string]string
}

func nsModel(m *aimv1.AIMModel) *modelRef {
	return &modelRef{Name: m.Name, Kind: "AIMModel", Scope: constants.ScopeNamespace, UID: m.UID,
		Status: string(m.Status.Status), Spec: &m.Spec, Labels: m.Labels}
}

func clusterModel(m *aimv1.AIMClusterModel) *modelRef {
	return &modelRef{Name: m.Name, Kind: "AIMClusterModel", Scope: constants.ScopeCluster, UID: m.UID,
		Status: string(m.Status.Status), Spec: &m.Spec, Labels: m.Labels}
}

// templateRef is a resolved AIMServiceTemplate or AIMClusterServiceTemplate.
type templateRef struct {
	Name, Namespace, Kind, Scope string
	UID                          types.UID
	Labels                       map[string]string
	Spec                         *aimv1.AIMServiceTemplateSpecCommon
	Caching                      *aimv1.AIMTemplateCachingConfig // namespaced templates only
	Status                       *aimv1.AIMServiceTemplateStatus
}

func nsTemplate(t *aimv1.AIMServiceTemplate) *templateRef {
	return &templateRef{Name: t.Name, Namespace: t.Namespace, Kind: "AIMServiceTemplate", Scope: constants.ScopeNamespace,
		UID: t.UID, Labels: t.Labels, Spec: &t.Spec.AIMServiceTemplateSpecCommon, Caching: t.Spec.Caching, Status: &t.Status}
}

func clusterTemplate(t *aimv1.AIMClusterServiceTemplate) *templateRef {
	return &templateRef{Name: t.Name, Kind: "AIMClusterServiceTemplate", Scope: constants.ScopeCluster,
		UID: t.UID, Labels: t.Labels, Spec: &t.Spec.AIMServiceTemplateSpecCommon, Status: &t.Status}
}

func (t *templateRef) ready() bool {
	return t != nil && string(t.Status.Status) == constants.StatusReady
}

func (t *templateRef) ref() *aimv1.AIMResolvedReference {
	return &aimv1.AIMResolvedReference{Name: t.Name, Namespace: t.Namespace, Scope: aimv1.AIMResolutionScope(t.Scope), Kind: t.Kind, UID: t.UID}
}

func (m *modelRef) ready() bool { return m != nil && m.Status == constants.StatusReady }

func (m *modelRef) ref(ns string) *aimv1.AIMResolvedReference {
	r := &aimv1.AIMResolvedReference{Name: m.Name, Scope: aimv1.AIMResolutionScope(m.Scope), Kind: m.Kind, UID: m.UID}
	if m.Scope == constants.ScopeNamespace {
		r.Namespace = ns
	}
	return r
}

// profileValue returns the discovered profile value, else the spec value.
func (t *templateRef) metric() string {
	if p := t.Status.Profile; p != nil && p.Metadata != nil && p.Metadata.Metric != "" {
		return string(p.Metadata.Metric)
	}
	return string(t.Spec.Metric)
}

func (t *templateRef) precision() string {
	if p := t.Status.Profile; p != nil && p.Metadata != nil && p.Metadata.Precision != "" {
		return string(p.Metadata.Precision)
	}
	return string(t.Spec.Precision)
}

func (t *templateRef) profileType() string {
	if p := t.Status.Profile; p != nil && p.Metadata != nil && p.Metadata.Type != "" {
		return string(p.Metadata.Type)
	}
	return string(t.Spec.Type)
}

func (t *templateRef) gpu() (model string, count int32, resourceName string) {
	if h := t.Status.ResolvedHardware; h != nil && h.GPU != nil {
		model, count, resourceName = h.GPU.Model, h.GPU.Requests, h.GPU.ResourceName
	}
	if h := t.Spec.Hardware; h != nil && h.GPU != nil {
		if model == "" {
			model = h.GPU.Model
		}
		if count == 0 {
			count = h.GPU.Requests
		}
		if resourceName == "" {
			resourceName = h.GPU.ResourceName
		}
	}
	if p := t.Status.Profile; p != nil && p.Metadata != nil {
		if model == "" {
			model = p.Metadata.GPU
		}
		if count == 0 {
			count = p.Metadata.GPUCount
		}
	}
	return model, count, resourceName
}

// notReadyMessage gives the reference's per-status wording for a model or template; an empty status
// falls in the "other" row (catalogue §2.10).
func notReadyMessage(kind, name, status string) (state, msg string) {
	switch status {
	case constants.StatusPending, constants.StatusProgressing:
		return constants.StatusProgressing, fmt.Sprintf("%s %s is not ready yet", kind, name)
	case constants.StatusFailed, constants.StatusDegraded:
		return constants.StatusFailed, fmt.Sprintf("%s %s is in failed state", kind, name)
	case constants.StatusNotAvailable:
		return constants.StatusNotAvailable, fmt.Sprintf("%s %s is not available (no matching GPUs)", kind, name)
	}
	return constants.StatusProgressing, fmt.Sprintf("%s %s status: %s", kind, name, status)
}
