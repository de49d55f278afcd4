// Package templatecache reconciles AIMTemplateCache: it finds, for each model source of the
// cache's template, a usable AIMArtifact under the Shared / Dedicated ownership rules,
// creates the missing ones with the reference's names and labels, and reports ArtifactsReady.
package templatecache

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/caching"
	"github.com/aimlite/aimlite/pkg/aim/childwiring"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/envmerge"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// ArtifactsReady reasons and messages (catalogue §1.4).
const (
	ReasonCreatingCaches = "CreatingCaches"
	MsgCreatingCaches    = "Waiting for the AIM artifacts to be created"
	ReasonAllCachesReady = "AllCachesReady"
	MsgAllCachesReady    = "All caches are ready"
	ReasonCachesNotReady = "CachesNotReady"
	MsgCachesNotReady    = "One or more caches are not ready"
	ReasonNoCaches       = "NoCaches"
	MsgNoCaches          = "No artifacts to track"
	ReasonResourceFound  = "ResourceFound"
	MsgResourceFound     = "Resource found but no Ready condition present"
)

// Stores are the cached reads of the reconciler.
type Stores struct {
	Templates        store.Store[*aimv1.AIMServiceTemplate]
	ClusterTemplates store.Store[*aimv1.AIMClusterServiceTemplate]
	Artifacts        store.Store[*aimv1.AIMArtifact]
	RuntimeConfig    runtimeconfig.Lookup
}

// Reconciler is the AIMTemplateCache domain reconciler.
type Reconciler struct{ Stores Stores }

type tpl struct {
	Status     *aimv1.AIMServiceTemplateStatus
	Sources    []aimv1.AIMModelSource
	Conditions []metav1.Condition
}

// match is one template model source and the artifact chosen for it.
type match struct {
	Index    int
	Source   aimv1.AIMModelSource
	Artifact *aimv1.AIMArtifact // nil: missing
}

// Fetched is what the cache's world looks like.
type Fetched struct {
	cache    *aimv1.AIMTemplateCache
	rc       runtimeconfig.Result
	template sm.FetchResult[*tpl]
	arts     sm.FetchResult[[]*aimv1.AIMArtifact]
	matches  []match
}

// Obs is the observation.
type Obs struct{ *Fetched }

func (f *Fetched) missing() []match {
	var out []match
	for _, m := range f.matches {
		if m.Artifact == nil {
			out = append(out, m)
		}
	}
	return out
}

// FetchRemoteState reads the template by scope and the namespace's artifacts, and matches them.
func (r *Reconciler) FetchRemoteState(_ context.Context, rc sm.ReconcileContext[*aimv1.AIMTemplateCache]) *Fetched {
	c := rc.Object
	f := &Fetched{cache: c}
	f.rc.Resolved, f.rc.Err = r.Stores.RuntimeConfig.Resolve(c.Spec.RuntimeConfigName, c.Namespace)
	f.template = r.fetchTemplate(c)
	arts, err := r.Stores.Artifacts.List(c.Namespace, nil)
	f.arts = sm.FetchResult[[]*aimv1.AIMArtifact]{Value: arts, Error: err}
	if f.template.OK() && f.arts.OK() {
		f.matches = Match(c, f.template.Value.Sources, arts)
	}
	return f
}

func fromNS(t *aimv1.AIMServiceTemplate) *tpl {
	return &tpl{Status: &t.Status, Sources: sources(&t.Status, t.Spec.ModelSources), Conditions: t.Status.Conditions}
}

func fromCluster(t *aimv1.AIMClusterServiceTemplate) *tpl {
	return &tpl{Status: &t.Status, Sources: sources(&t.Status, t.Spec.ModelSources), Conditions: t.Status.Conditions}
}

func sources(st *aimv1.AIMServiceTemplateStatus, spec []aimv1.AIMModelSource) []aimv1.AIMModelSource {
	if len(st.ModelSources) > 0 {
		return st.ModelSources
	}
	return spec
}

func (r *Reconciler) fetchTemplate(c *aimv1.AIMTemplateCache) sm.FetchResult[*tpl] {
	name := c.Spec.TemplateName
	switch c.Spec.TemplateScope {
	case constants.ScopeCluster:
		t, err := r.Stores.ClusterTemplates.Get("", name)
		if err != nil {
			return sm.FetchResult[*tpl]{Error: err}
		}
		return sm.FetchResult[*tpl]{Value: fromCluster(t)}
	case constants.ScopeNamespace:
		t, err := r.Stores.Templates.Get(c.Namespace, name)
		if err != nil {
			return sm.FetchResult[*tpl]{Error: err}
		}
		return sm.FetchResult[*tpl]{Value: fromNS(t)}
	}
	t, err := r.Stores.Templates.Get(c.Namespace, name)
	if err == nil {
		return sm.FetchResult[*tpl]{Value: fromNS(t)}
	}
	if !apierrors.IsNotFound(err) {
		return sm.FetchResult[*tpl]{Error: err}
	}
	ct, err := r.Stores.ClusterTemplates.Get("", name)
	if err != nil {
		return sm.FetchResult[*tpl]{Error: err}
	}
	return sm.FetchResult[*tpl]{Value: fromCluster(ct)}
}

// Match picks, for each source, the best usable artifact: same source URI, same storage
// class when the cache sets one, and (Shared) no owner or (Dedicated) owned by the cache.
func Match(c *aimv1.AIMTemplateCache, srcs []aimv1.AIMModelSource, arts []*aimv1.AIMArtifact) []match {
	mode := caching.ModeOf(string(c.Spec.Mode))
	objs := make([]caching.Object, 0, len(arts))
	byName := map[string]*aimv1.AIMArtifact{}
	for _, a := range arts {
		o := caching.Object{Name: a.Name, Status: string(a.Status.Status), Key: a.Spec.SourceURI,
			StorageClass: a.Spec.StorageClassName, Deleting: a.DeletionTimestamp != nil}
		for _, ref := range a.OwnerReferences {
			o.OwnerUIDs = append(o.OwnerUIDs, ref.UID)
		}
		objs = append(objs, o)
		byName[a.Name] = a
	}
	out := make([]match, 0, len(srcs))
	for i, s := range srcs {
		m := match{Index: i, Source: s}
		if best := caching.Best(objs, s.SourceURI, c.Spec.StorageClassName, mode, c.UID); best != nil {
			m.Artifact = byName[best.Name]
		}
		out = append(out, m)
	}
	return out
}

// ComposeState is a passthrough.
func (r *Reconciler) ComposeState(_ context.Context, _ sm.ReconcileContext[*aimv1.AIMTemplateCache], f *Fetched) Obs {
	return Obs{f}
}

// GetComponentHealth: RuntimeConfig, ServiceTemplate (upstream) and Artifacts (downstream).
func (o Obs) GetComponentHealth() []sm.ComponentHealth {
	hs := []sm.ComponentHealth{o.rc.Health(true)}
	hs = append(hs, o.template.ToUpstreamComponentHealth(constants.ComponentServiceTemplate, templateHealth))
	hs = append(hs, o.artifactsHealth())
	return hs
}

func templateHealth(t *tpl) sm.ComponentHealth {
	status := string(t.Status.Status)
	for _, c := range t.Conditions {
		if c.Type != constants.CondReady {
			continue
		}
		switch c.Status {
		case metav1.ConditionTrue:
			return sm.ComponentHealth{State: sm.StateReady, Reason: c.Reason, Message: c.Message}
		case metav1.ConditionFalse:
			st := sm.State(status)
			if status == "" {
				st = sm.StateFailed
			}
			return sm.ComponentHealth{State: st, Reason: c.Reason, Message: c.Message}
		}
		return sm.ComponentHealth{State: sm.StateProgressing, Reason: c.Reason, Message: c.Message}
	}
	st := sm.State(status)
	if status == "" {
		st = sm.StateReady
	}
	return sm.ComponentHealth{State: st, Reason: ReasonResourceFound, Message: MsgResourceFound}
}

func (o Obs) artifactsHealth() sm.ComponentHealth {
	h := sm.ComponentHealth{Component: constants.ComponentArtifacts, DependencyType: sm.DependencyDownstream}
	if o.arts.HasError() {
		h.Errors = []error{o.arts.Error}
		return h
	}
	if len(o.missing()) > 0 || len(o.matches) == 0 {
		h.State = sm.StateProgressing
		return h
	}
	var statuses []string
	for _, m := range o.matches {
		statuses = append(statuses, string(m.Artifact.Status.Status))
	}
	h.State = sm.State(caching.Worst(statuses...))
	return h
}

// PlanResources creates the missing artifacts: owned in Dedicated mode, unowned in Shared.
func (r *Reconciler) PlanResources(_ context.Context, rc sm.ReconcileContext[*aimv1.AIMTemplateCache], o Obs) sm.PlanResult {
	var p sm.PlanResult
	c := rc.Object
	if !o.template.OK() || c.DeletionTimestamp != nil {
		return p
	}
	dedicated := caching.ModeOf(string(c.Spec.Mode)) == caching.Dedicated
	for i, m := range o.missing() {
		a := BuildArtifact(c, m.Source, i)
		childwiring.PropagateLabels(c.Labels, a, o.rc.Spec())
		if dedicated {
			p.Apply(a)
		} else {
			p.ApplyWithoutOwnerRef(a)
		}
	}
	return p
}

// BuildArtifact builds the artifact for one missing source (catalogue C5); index is its
// position in the missing list.
func BuildArtifact(c *aimv1.AIMTemplateCache, s aimv1.AIMModelSource, index int) *aimv1.AIMArtifact {
	env := envmerge.Merge(c.Spec.Env, s.Env)
	dedicatedName := ""
	if caching.ModeOf(string(c.Spec.Mode)) == caching.Dedicated {
		dedicatedName = c.Name
	}
	var env4hash []corev1.EnvVar = env
	a := &aimv1.AIMArtifact{
		TypeMeta: metav1.TypeMeta{APIVersion: aimv1.SchemeGroupVersion.String(), Kind: "AIMArtifact"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      naming.ArtifactName(s.SourceURI, env4hash, c.Spec.StorageClassName, dedicatedName),
			Namespace: c.Namespace,
			Labels: map[string]string{
				constants.LabelTemplateMade:  constants.TrueValue,
				constants.LabelTemplateName:  naming.LabelValue(c.Spec.TemplateName),
				constants.LabelTemplateScope: string(c.Spec.TemplateScope),
				constants.LabelTemplateIndex: strconv.Itoa(index),
				constants.LabelTemplateCache: naming.LabelValue(c.Name),
			},
		},
		Spec: aimv1.AIMArtifactSpec{
			SourceURI: s.SourceURI, ModelID: s.ModelID, StorageClassName: c.Spec.StorageClassName,
			RuntimeConfigName: c.Spec.RuntimeConfigName, Env: env,
			// Not in the reference's C5 spec list (its cache controller ignores them), but aimlite's
			// artifact controller uses both for the download Job, so a cache's settings take effect.
			ImagePullSecrets: c.Spec.ImagePullSecrets, ModelDownloadImage: c.Spec.DownloadImage,
		},
	}
	// The size is always sent (catalogue C5): the source size, else zero, which the artifact controller
	// treats as unknown (check-size Job).
	q := resource.Quantity{Format: resource.BinarySI}
	if s.Size != nil {
		q = s.Size.DeepCopy()
	}
	a.Spec.Size = &q
	return a
}

// DecorateStatus writes ArtifactsReady and status.artifacts (catalogue §1.4).
func (r *Reconciler) DecorateStatus(st *aimv1.AIMTemplateCacheStatus, cm *sm.ConditionManager, o Obs) {
	t := constants.ConditionType(constants.ComponentArtifacts)
	if o.arts.HasError() {
		return
	}
	arts := map[string]aimv1.AIMTemplateCacheArtifact{}
	var worst *aimv1.AIMArtifact
	for _, m := range o.matches {
		a := m.Artifact
		if a == nil {
			continue
		}
		arts[a.Name] = aimv1.AIMTemplateCacheArtifact{UID: a.UID, Name: a.Name, Model: a.Spec.ModelID,
			Status: a.Status.Status, PersistentVolumeClaim: a.Status.PersistentVolumeClaim}
		if worst == nil || constants.StatusPriority(orPending(a.Status.Status)) < constants.StatusPriority(orPending(worst.Status.Status)) {
			worst = a
		}
	}
	if len(arts) == 0 {
		arts = nil
	}
	st.Artifacts = arts
	switch {
	case len(o.missing()) > 0:
		cm.MarkFalse(t, ReasonCreatingCaches, MsgCreatingCaches)
	case worst == nil:
		cm.MarkFalse(t, ReasonNoCaches, MsgNoCaches, sm.AsError())
	case string(worst.Status.Status) == constants.StatusReady:
		cm.MarkTrue(t, ReasonAllCachesReady, MsgAllCachesReady)
	default:
		reason, msg := ReasonCachesNotReady, MsgCachesNotReady
		for _, c := range worst.Status.Conditions {
			if c.Type == constants.CondReady {
				reason, msg = c.Reason, fmt.Sprintf("%s: %s", MsgCachesNotReady, c.Message)
			}
		}
		cm.MarkFalse(t, reason, msg)
	}
}

func orPending(s aimv1.AIMStatus) string {
	if s == "" {
		return constants.StatusPending
	}
	return string(s)
}
