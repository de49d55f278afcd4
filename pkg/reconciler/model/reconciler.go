// Package model reconciles AIMModel and AIMClusterModel: it resolves the image metadata (from
// spec.imageMetadata, the status cache, or the image's OCI labels in the registry), creates the model's
// templates (one per recommended deployment, plus custom templates), and aggregates their health.
//
// Differences from the reference: metadata cached in status keeps the ImageMetadataFound reason (no flip
// to ImageFound on the next reconcile); status.resolvedRuntimeConfig is set. As in the reference, a model
// with metadata extraction disabled reports ImageFound and, without spec or status metadata, waits for
// metadata (AwaitingMetadata) unless it is custom. Templates that stop being desired are not deleted.
package model

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/imagemeta"
	aimlabels "github.com/aimlite/aimlite/pkg/aim/labels"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// RegistryTimeout bounds one image metadata read.
const RegistryTimeout = 30 * time.Second

// SecretGetter reads a pull secret (a live read: secrets are not cached).
type SecretGetter func(ctx context.Context, namespace, name string) (*corev1.Secret, error)

// TemplateLister returns the templates that name a model (namespace "" for cluster templates).
type TemplateLister func(namespace, modelName string) ([]TemplateInfo, error)

// TemplateInfo is what the aggregation needs of a template.
type TemplateInfo struct {
	Name   string
	Status string
}

// Accessors give the shared logic access to one of the two model kinds.
type Accessors[T statemachine.Object] struct {
	Spec   func(T) *aimv1.AIMModelSpec
	Status func(T) *aimv1.AIMModelStatus
}

// Reconciler is the domain reconciler shared by both model kinds.
type Reconciler[T statemachine.Object] struct {
	Cluster        bool
	ControllerName string
	Access         Accessors[T]
	RuntimeConfigs runtimeconfig.Lookup
	Templates      TemplateLister
	Secrets        SecretGetter
	Fetcher        imagemeta.Fetcher
	// SystemNamespace holds the pull secrets of cluster models.
	SystemNamespace string
}

// metaSource says where the effective metadata came from.
type metaSource int

const (
	metaNone     metaSource = iota
	metaDisabled            // extraction disabled and no metadata in spec or status
	metaSpec                // spec.imageMetadata
	metaStatus              // cached in status
	metaRegistry            // read from the registry in this reconcile
)

// Fetched is what FetchRemoteState read.
type Fetched struct {
	RuntimeConfig runtimeconfig.Result
	Metadata      *aimv1.ImageMetadata
	Source        metaSource
	// ExtractionDisabled: discovery.extractMetadata=false, which the reference checks first, so the
	// ImageMetadata reason is ImageFound even when spec metadata is used for templates (catalogue §2.7).
	ExtractionDisabled bool
	MetadataErr        error
	Templates          statemachine.FetchResult[[]TemplateInfo]
}

// Observation is the pure input of planning and health.
type Observation struct {
	Fetched
	Cluster     bool
	ModelName   string
	Namespace   string
	Spec        *aimv1.AIMModelSpec
	Expectation Expectation
}

func (r *Reconciler[T]) spec(o T) *aimv1.AIMModelSpec { return r.Access.Spec(o) }

// FetchRemoteState reads the runtime config, the metadata and the templates.
func (r *Reconciler[T]) FetchRemoteState(ctx context.Context, rc statemachine.ReconcileContext[T]) Fetched {
	obj := rc.Object
	spec := r.spec(obj)
	var f Fetched
	res, err := r.RuntimeConfigs.Resolve(spec.RuntimeConfigName, obj.GetNamespace())
	f.RuntimeConfig = runtimeconfig.Result{Resolved: res, Err: err}

	status := r.Access.Status(obj)
	f.ExtractionDisabled = !extractionEnabled(spec)
	switch {
	case spec.ImageMetadata != nil:
		f.Metadata, f.Source = spec.ImageMetadata, metaSpec
	case status.ImageMetadata != nil:
		// Cached forever; with extraction disabled it still decides ExpectsTemplates (spec or status).
		f.Metadata, f.Source = status.ImageMetadata, metaStatus
	case f.ExtractionDisabled:
		f.Source = metaDisabled
	default:
		f.Metadata, f.MetadataErr = r.readRegistry(ctx, obj, spec)
		if f.MetadataErr == nil {
			f.Source = metaRegistry
		}
	}
	f.Templates = statemachine.FetchResult[[]TemplateInfo]{}
	ts, err := r.Templates(obj.GetNamespace(), obj.GetName())
	f.Templates.Value, f.Templates.Error = ts, err
	return f
}

func (r *Reconciler[T]) readRegistry(ctx context.Context, obj T, spec *aimv1.AIMModelSpec) (*aimv1.ImageMetadata, error) {
	ns := obj.GetNamespace()
	if r.Cluster {
		ns = r.SystemNamespace
	}
	var secrets []*corev1.Secret
	for _, ref := range spec.ImagePullSecrets {
		if ref.Name == "" {
			continue
		}
		s, err := r.Secrets(ctx, ns, ref.Name)
		switch {
		case apierrors.IsNotFound(err):
			return nil, statemachine.NewMissingUpstreamDependencyError(constants.ReasonSecretNotFound,
				fmt.Sprintf("imagePullSecret %q not found in namespace %q", ref.Name, ns), err)
		case err != nil:
			return nil, statemachine.NewInfrastructureError(constants.ReasonSecretAccessFailed,
				fmt.Sprintf("failed to access imagePullSecret %q: %v", ref.Name, err), err)
		}
		secrets = append(secrets, s)
	}
	if r.Fetcher == nil {
		return nil, fmt.Errorf("failed to fetch image %q: no registry client configured", spec.Image)
	}
	ctx, cancel := context.WithTimeout(ctx, RegistryTimeout)
	defer cancel()
	return r.Fetcher.Fetch(ctx, spec.Image, secrets)
}

// ComposeState derives the expectation from the effective metadata.
func (r *Reconciler[T]) ComposeState(_ context.Context, rc statemachine.ReconcileContext[T], f Fetched) Observation {
	spec := r.spec(rc.Object)
	return Observation{Fetched: f, Cluster: r.Cluster, ModelName: rc.Object.GetName(), Namespace: rc.Object.GetNamespace(),
		Spec: spec, Expectation: ExpectsTemplates(spec, f.Metadata)}
}

// GetComponentHealth reports RuntimeConfig, ImageMetadata and (Cluster)ServiceTemplates.
func (o Observation) GetComponentHealth() []statemachine.ComponentHealth {
	dep := statemachine.DependencyUnspecified
	if o.Cluster {
		dep = statemachine.DependencyUpstream
	}
	hs := []statemachine.ComponentHealth{o.RuntimeConfig.Health(o.Cluster), o.metadataHealth(dep)}
	name := constants.ComponentServiceTemplates
	if o.Cluster {
		name = constants.ComponentClusterServiceTemplates
	}
	var th statemachine.ComponentHealth
	if o.Templates.Error != nil {
		th = statemachine.ComponentHealth{Component: name, Errors: []error{o.Templates.Error}}
	} else {
		statuses := make([]string, 0, len(o.Templates.Value))
		for _, t := range o.Templates.Value {
			statuses = append(statuses, t.Status)
		}
		th = Aggregate(name, statuses, o.Expectation)
	}
	th.DependencyType = dep
	return append(hs, th)
}

func (o Observation) metadataHealth(dep statemachine.DependencyType) statemachine.ComponentHealth {
	h := statemachine.ComponentHealth{Component: constants.ComponentImageMetadata, DependencyType: dep}
	if err := o.MetadataErr; err != nil {
		if o.Cluster && apierrors.IsNotFound(err) {
			// The Upstream wrapper relabels a missing secret of a cluster model (catalogue §2.7).
			err = statemachine.NewMissingUpstreamDependencyError(constants.ReasonReferenceNotFound, constants.MsgUpstreamNotFound, err)
		}
		h.Errors = []error{err}
		return h
	}
	h.State, h.Reason = statemachine.StateReady, constants.ReasonImageFound
	// Unlike the reference, a cached status copy keeps ImageMetadataFound (no reason flip, catalogue §8).
	if !o.ExtractionDisabled && o.Metadata != nil && o.Metadata.Model != nil && o.Metadata.Model.CanonicalName != "" {
		h.Reason = constants.ReasonImageMetadataFound
	}
	return h
}

// PlanResources applies the model's templates, owned by the model, when templates are expected.
func (r *Reconciler[T]) PlanResources(_ context.Context, rc statemachine.ReconcileContext[T], o Observation) statemachine.PlanResult {
	var p statemachine.PlanResult
	cfg := o.RuntimeConfig.Spec()
	for _, d := range DesiredTemplates(o.ModelName, o.Spec, o.Metadata, r.Cluster) {
		labels := aimlabels.ForChild(rc.Object, d.Labels, cfg, r.ControllerName)
		if r.Cluster {
			p.Apply(&aimv1.AIMClusterServiceTemplate{
				TypeMeta:   metav1.TypeMeta{APIVersion: aimv1.SchemeGroupVersion.String(), Kind: "AIMClusterServiceTemplate"},
				ObjectMeta: metav1.ObjectMeta{Name: d.Name, Labels: labels},
				Spec:       aimv1.AIMClusterServiceTemplateSpec{AIMServiceTemplateSpecCommon: d.Spec},
			})
			continue
		}
		p.Apply(&aimv1.AIMServiceTemplate{
			TypeMeta:   metav1.TypeMeta{APIVersion: aimv1.SchemeGroupVersion.String(), Kind: "AIMServiceTemplate"},
			ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: o.Namespace, Labels: labels},
			Spec:       aimv1.AIMServiceTemplateSpec{AIMServiceTemplateSpecCommon: d.Spec},
		})
	}
	return p
}

// DecorateStatus records the source type and the metadata in status.
func (r *Reconciler[T]) DecorateStatus(status *aimv1.AIMModelStatus, _ *statemachine.ConditionManager, o Observation) {
	status.SourceType = aimv1.AIMModelSourceTypeImage
	if len(o.Spec.ModelSources) > 0 {
		status.SourceType = aimv1.AIMModelSourceTypeCustom
	}
	status.ResolvedRuntimeConfig = o.RuntimeConfig.Reference()
	if o.Source == metaSpec || o.Source == metaRegistry {
		status.ImageMetadata = o.Metadata.DeepCopy()
	}
}

// SortTemplates orders template infos by name (stable status output).
func SortTemplates(ts []TemplateInfo) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
}
