// Package clustermodelsource reconciles AIMClusterModelSource: it lists a registry's images through the
// source's filters and creates one AIMClusterModel (owned by the source) per new image, up to maxModels in
// total. Models are never deleted.
//
// Unlike the reference, the registry is read at most once per spec.syncInterval: a sync runs when the
// source was never synced, its spec changed (generation ≠ observedGeneration), its last reconcile could not
// sync or apply, or lastSyncTime + syncInterval has passed. Reconciles in between (model events) only
// recount the existing models, so they neither hit the registry nor rewrite status; lastSyncTime moves only
// when a sync ran. One exception keeps the reference's visible behaviour (every reconcile re-applies every
// listed image): when fewer owned models exist than status.discoveredModels says, a generated model was
// deleted, and it is re-applied at once from the images the last sync listed (remembered in memory), or,
// when those are unknown (operator restart), by a sync.
//
// Pull secrets are read like go-containerregistry's k8schain: a missing secret is skipped (the registry is
// then read anonymously); a secret that cannot be read or parsed fails the keychain, and with it every
// filter (AllFiltersFailed). Filter outcomes are explicit states, never categorized errors.
package clustermodelsource

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/imagemeta"
	aimlabels "github.com/aimlite/aimlite/pkg/aim/labels"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/registry"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	aimlisters "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// Name is the controller name; the field manager is aim-cluster-model-source-controller.
const Name = constants.ControllerClusterModelSource

// Defaults and limits.
const (
	DefaultSyncInterval = time.Hour
	// MinSyncInterval bounds how often a source may hit its registry, whatever spec.syncInterval says.
	MinSyncInterval  = time.Minute
	DefaultMaxModels = 100
	// SyncTimeout bounds one registry sync (all filters).
	SyncTimeout = 2 * time.Minute
)

// Component reasons and messages (catalogue §1.6, §2.13).
const (
	ReasonListed              = "Listed"
	ReasonNoFilters           = "NoFilters"
	ReasonAllFiltersSucceeded = "AllFiltersSucceeded"
	ReasonSomeFiltersFailed   = "SomeFiltersFailed"
	ReasonAllFiltersFailed    = "AllFiltersFailed"
	ReasonLimitReached        = "LimitReached"
	ReasonWithinLimit         = "WithinLimit"
)

// SecretGetter reads a pull secret (a live read: secrets are not cached).
type SecretGetter func(ctx context.Context, namespace, name string) (*corev1.Secret, error)

// Reconciler is the AIMClusterModelSource domain reconciler.
type Reconciler struct {
	Registry registry.Client
	Models   aimlisters.AIMClusterModelLister
	Secrets  SecretGetter
	// RuntimeConfig returns the cluster runtime config `default` (label propagation); nil means none.
	RuntimeConfig func() *aimv1.AIMRuntimeConfigSpec
	// SystemNamespace holds the pull secrets.
	SystemNamespace string
	Clock           clock.PassiveClock

	// known is each source's last registry listing, so a deleted model can be re-applied without a sync.
	known knownImages
}

// knownImages remembers, per source name, the images of its last sync at one UID and generation.
type knownImages struct {
	mu sync.Mutex
	m  map[string]knownEntry
}

type knownEntry struct {
	uid        types.UID
	generation int64
	images     []registry.Image
}

func (k *knownImages) put(src *aimv1.AIMClusterModelSource, imgs []registry.Image) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]knownEntry{}
	}
	k.m[src.Name] = knownEntry{uid: src.UID, generation: src.Generation, images: imgs}
}

// get returns the remembered listing, if it belongs to this very source and spec.
func (k *knownImages) get(src *aimv1.AIMClusterModelSource) ([]registry.Image, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[src.Name]
	if !ok || e.uid != src.UID || e.generation != src.Generation {
		return nil, false
	}
	return e.images, true
}

// Forget drops what is remembered about a deleted source.
func (r *Reconciler) Forget(name string) {
	r.known.mu.Lock()
	defer r.known.mu.Unlock()
	delete(r.known.m, name)
}

// Fetched is what FetchRemoteState read.
type Fetched struct {
	Now      time.Time
	Existing statemachine.FetchResult[[]*aimv1.AIMClusterModel]
	// Due says whether a sync was due, and why (for logs).
	Due    bool
	Reason string
	// Sync is the registry listing; nil when no sync ran.
	Sync *SyncResult
	// Known is the last sync's listing, set without a sync when owned models are missing: its missing
	// images are re-applied.
	Known []registry.Image
	// Foreign are names of candidate models that exist but do not belong to this source.
	Foreign       map[string]bool
	RuntimeConfig *aimv1.AIMRuntimeConfigSpec
}

// SyncResult is one registry listing.
type SyncResult struct {
	Filters int
	// Failed[i] is the error of filter i, nil when it succeeded.
	Failed []error
	// Images are the selected images of all filters, deduplicated, in filter order.
	Images []registry.Image
}

// FailedCount returns the number of filters with errors.
func (s *SyncResult) FailedCount() int {
	n := 0
	for _, e := range s.Failed {
		if e != nil {
			n++
		}
	}
	return n
}

func (r *Reconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

// SyncInterval returns spec.syncInterval, defaulted and bounded below by MinSyncInterval.
func SyncInterval(src *aimv1.AIMClusterModelSource) time.Duration {
	d := DefaultSyncInterval
	if src.Spec.SyncInterval != nil {
		d = src.Spec.SyncInterval.Duration
	}
	if d < MinSyncInterval {
		d = MinSyncInterval
	}
	return d
}

// MaxModels returns spec.maxModels, defaulted.
func MaxModels(src *aimv1.AIMClusterModelSource) int {
	if src.Spec.MaxModels == nil || *src.Spec.MaxModels < 1 {
		return DefaultMaxModels
	}
	return *src.Spec.MaxModels
}

// syncReasons are the FiltersReady reasons only a completed sync writes.
var syncReasons = map[string]statemachine.State{
	ReasonAllFiltersSucceeded: statemachine.StateReady,
	ReasonSomeFiltersFailed:   statemachine.StateDegraded,
	ReasonAllFiltersFailed:    statemachine.StateFailed,
	ReasonNoFilters:           statemachine.StateProgressing,
}

// SyncDue decides whether this reconcile reads the registry, from the stored status alone.
func SyncDue(src *aimv1.AIMClusterModelSource, now time.Time) (bool, string) {
	st := &src.Status
	filters := meta.FindStatusCondition(st.Conditions, constants.ConditionType(constants.ComponentFilters))
	switch {
	case st.LastSyncTime == nil:
		return true, "never synced"
	case st.ObservedGeneration != src.Generation:
		return true, "spec changed"
	case filters == nil:
		return true, "no sync result in status"
	case syncReasons[filters.Reason] == "":
		return true, "last sync did not complete (" + filters.Reason + ")"
	case meta.IsStatusConditionFalse(st.Conditions, constants.CondDependenciesReachable):
		return true, "last apply failed"
	case !now.Before(st.LastSyncTime.Add(SyncInterval(src))):
		return true, "sync interval elapsed"
	}
	return false, ""
}

// FetchRemoteState lists this source's models and, when a sync is due, the registry.
func (r *Reconciler) FetchRemoteState(ctx context.Context, rc statemachine.ReconcileContext[*aimv1.AIMClusterModelSource]) *Fetched {
	src := rc.Object
	f := &Fetched{Now: r.now(), Foreign: map[string]bool{}}
	if r.RuntimeConfig != nil {
		f.RuntimeConfig = r.RuntimeConfig()
	}
	sel := labels.SelectorFromSet(labels.Set{constants.LabelModelSource: naming.LabelValue(src.Name)})
	f.Existing.Value, f.Existing.Error = r.Models.List(sel)
	if f.Existing.Error != nil {
		return f
	}
	f.Due, f.Reason = SyncDue(src, f.Now)
	if !f.Due && len(f.Existing.Value) < src.Status.DiscoveredModels {
		// A model this source made is gone (deleted, or relabelled away): the reference re-applies every
		// listed image on every reconcile, so it comes back at once. Re-apply from the last listing when
		// it is known (a sync would list the same images until the interval); otherwise sync now.
		if imgs, ok := r.known.get(src); ok {
			r.markForeign(f, imgs)
			f.Known = imgs
			return f
		}
		f.Due, f.Reason = true, "owned model missing"
	}
	if !f.Due {
		return f
	}
	logger := klog.FromContext(ctx).WithValues("source", src.Name)
	logger.V(1).Info("Syncing model source", "reason", f.Reason)
	if kc, err := r.keychain(ctx, src); err != nil {
		// The reference builds the keychain per filter: every filter fails, the registry is not read.
		f.Sync = &SyncResult{Filters: len(src.Spec.Filters), Failed: make([]error, len(src.Spec.Filters))}
		for i := range f.Sync.Failed {
			f.Sync.Failed[i] = err
		}
	} else {
		ctx, cancel := context.WithTimeout(ctx, SyncTimeout)
		defer cancel()
		f.Sync = Sync(ctx, &registry.Lister{Client: r.Registry, Keychain: kc}, src)
	}
	for i, err := range f.Sync.Failed {
		if err != nil {
			// Logged only: the contract has no event of its own for a filter (catalogue §5); the
			// FiltersReady condition carries the count.
			logger.Error(err, "Model source filter failed", "filter", i, "image", src.Spec.Filters[i].Image)
		}
	}
	r.known.put(src, f.Sync.Images)
	r.markForeign(f, f.Sync.Images)
	return f
}

// markForeign records the images whose model name exists but does not belong to this source: applying
// them would fight another source (or a user) over the object.
func (r *Reconciler) markForeign(f *Fetched, imgs []registry.Image) {
	ours := map[string]bool{}
	for _, m := range f.Existing.Value {
		ours[m.Name] = true
	}
	for _, img := range imgs {
		n := ModelName(img)
		if ours[n] {
			continue
		}
		if _, err := r.Models.Get(n); err == nil {
			f.Foreign[n] = true
		}
	}
}

// keychain reads the source's pull secrets from the operator namespace, as k8schain.New does: a missing
// secret is skipped with a log line (the registry is then read anonymously), any other read error or a
// malformed secret fails the keychain.
func (r *Reconciler) keychain(ctx context.Context, src *aimv1.AIMClusterModelSource) (authn.Keychain, error) {
	var secrets []*corev1.Secret
	for _, ref := range src.Spec.ImagePullSecrets {
		if ref.Name == "" {
			continue
		}
		if r.Secrets == nil {
			return nil, fmt.Errorf("failed to create k8s keychain: no secret reader configured")
		}
		s, err := r.Secrets(ctx, r.SystemNamespace, ref.Name)
		switch {
		case apierrors.IsNotFound(err):
			klog.FromContext(ctx).Info("Pull secret not found; ignoring", "source", src.Name,
				"secret", klog.KRef(r.SystemNamespace, ref.Name))
			continue
		case err != nil:
			return nil, fmt.Errorf("failed to create k8s keychain: %w", err)
		}
		secrets = append(secrets, s)
	}
	kc, err := imagemeta.KeychainFromSecrets(secrets)
	if err != nil {
		return nil, fmt.Errorf("failed to create k8s keychain: %w", err)
	}
	return kc, nil
}

// Sync resolves every filter of src. Filter versions replace the source-wide spec.versions.
func Sync(ctx context.Context, l *registry.Lister, src *aimv1.AIMClusterModelSource) *SyncResult {
	res := &SyncResult{Filters: len(src.Spec.Filters), Failed: make([]error, len(src.Spec.Filters))}
	seen := map[string]bool{}
	for i, fs := range src.Spec.Filters {
		versions := fs.Versions
		if len(versions) == 0 {
			versions = src.Spec.Versions
		}
		f, err := registry.ParseFilter(fs.Image, src.Spec.Registry, fs.Exclude, versions)
		if err != nil {
			res.Failed[i] = err
			continue
		}
		if l.Client == nil {
			res.Failed[i] = fmt.Errorf("no registry client configured")
			continue
		}
		imgs, err := l.List(ctx, f)
		res.Failed[i] = err
		for _, img := range imgs {
			if uri := img.URI(); !seen[uri] {
				seen[uri] = true
				res.Images = append(res.Images, img)
			}
		}
	}
	return res
}

// Observation is the pure input of planning, health and status.
type Observation struct {
	*Fetched
	SourceName string
	Filters    int
	// Stored is the FiltersReady condition from status, reused between syncs.
	Stored *metav1.Condition
	// New are the images to create, already capped by maxModels.
	New          []registry.Image
	Available    int
	Discovered   int
	LimitReached bool
	RequeueAfter time.Duration
}

// ComposeState decides which images are new and what the counts are.
func (r *Reconciler) ComposeState(_ context.Context, rc statemachine.ReconcileContext[*aimv1.AIMClusterModelSource], f *Fetched) Observation {
	src := rc.Object
	o := Observation{Fetched: f, SourceName: src.Name, Filters: len(src.Spec.Filters),
		Stored: meta.FindStatusCondition(src.Status.Conditions, constants.ConditionType(constants.ComponentFilters))}
	existing := len(f.Existing.Value)
	interval := SyncInterval(src)
	o.RequeueAfter = interval
	if f.Sync == nil {
		o.Available = src.Status.AvailableModels
		if !f.Due && src.Status.LastSyncTime != nil {
			if left := src.Status.LastSyncTime.Add(interval).Sub(f.Now); left < interval {
				o.RequeueAfter = max(left, time.Second)
			}
		}
		// Deleted models come back from the last listing.
		o.New = NewImages(f.Known, f.Existing.Value, f.Foreign, MaxModels(src)-existing)
	} else {
		// Images whose model name another owner holds are not available to this source.
		o.Available = len(f.Sync.Images) - len(f.Foreign)
		o.New = NewImages(f.Sync.Images, f.Existing.Value, f.Foreign, MaxModels(src)-existing)
	}
	o.Discovered = existing + len(o.New)
	o.LimitReached = o.Available > o.Discovered
	return o
}

// NewImages returns the images that no existing model serves (by image URI or name) and whose name is
// free, at most limit of them, in order.
func NewImages(imgs []registry.Image, existing []*aimv1.AIMClusterModel, foreign map[string]bool, limit int) []registry.Image {
	have := map[string]bool{}
	for _, m := range existing {
		have[m.Spec.Image] = true
		have["name:"+m.Name] = true
	}
	var out []registry.Image
	for _, img := range imgs {
		if len(out) >= limit {
			break
		}
		n := ModelName(img)
		if have[img.URI()] || have["name:"+n] || foreign[n] {
			continue
		}
		have["name:"+n] = true
		out = append(out, img)
	}
	return out
}

// GetComponentHealth reports ExistingModels and Filters.
func (o Observation) GetComponentHealth() []statemachine.ComponentHealth {
	em := statemachine.ComponentHealth{Component: constants.ComponentExistingModels}
	if o.Existing.Error != nil {
		em.Errors = []error{o.Existing.Error}
	} else {
		em.State, em.Reason = statemachine.StateReady, ReasonListed
		em.Message = fmt.Sprintf("Found %d existing models", len(o.Existing.Value))
	}
	return []statemachine.ComponentHealth{em, o.filtersHealth()}
}

func (o Observation) filtersHealth() statemachine.ComponentHealth {
	h := statemachine.ComponentHealth{Component: constants.ComponentFilters}
	switch {
	case o.Sync != nil:
		return FiltersHealth(o.Sync.Filters, o.Sync.FailedCount())
	case o.Existing.Error != nil:
		// Nothing was decided this time; keep the stored result if there is one.
		if o.Stored != nil && syncReasons[o.Stored.Reason] != "" {
			h.State, h.Reason, h.Message = syncReasons[o.Stored.Reason], o.Stored.Reason, o.Stored.Message
		} else {
			return statemachine.ComponentHealth{} // unnamed: not reported
		}
	case o.Stored != nil:
		// Between syncs the last sync's verdict stands (SyncDue guarantees a sync reason here).
		h.State, h.Reason, h.Message = syncReasons[o.Stored.Reason], o.Stored.Reason, o.Stored.Message
	}
	return h
}

// FiltersHealth is the Filters component of a sync with n filters of which failed had errors.
func FiltersHealth(n, failed int) statemachine.ComponentHealth {
	h := statemachine.ComponentHealth{Component: constants.ComponentFilters}
	switch {
	case n == 0:
		h.State, h.Reason, h.Message = statemachine.StateProgressing, ReasonNoFilters, "No filters configured"
	case failed == 0:
		h.State, h.Reason, h.Message = statemachine.StateReady, ReasonAllFiltersSucceeded, fmt.Sprintf("All %d filters succeeded", n)
	case failed < n:
		h.State, h.Reason, h.Message = statemachine.StateDegraded, ReasonSomeFiltersFailed, fmt.Sprintf("%d of %d filters had errors", failed, n)
	default:
		h.State, h.Reason, h.Message = statemachine.StateFailed, ReasonAllFiltersFailed, fmt.Sprintf("All %d filters failed", n)
	}
	return h
}

// PlanResources applies one owned AIMClusterModel per new image; nothing is ever deleted.
func (r *Reconciler) PlanResources(_ context.Context, rc statemachine.ReconcileContext[*aimv1.AIMClusterModelSource], o Observation) statemachine.PlanResult {
	p := statemachine.PlanResult{RequeueAfter: o.RequeueAfter}
	for _, img := range o.New {
		p.Apply(DesiredModel(rc.Object, img, o.RuntimeConfig))
	}
	return p
}

// DesiredModel is the AIMClusterModel of one image (catalogue C16), as unstructured holding exactly the
// fields we own: a typed AIMClusterModel would also send its zero values (status: {}, ...), and the
// generated apply configurations link client-go's kubernetes/scheme (every API group) into the binary.
func DesiredModel(src *aimv1.AIMClusterModelSource, img registry.Image, cfg *aimv1.AIMRuntimeConfigSpec) *unstructured.Unstructured {
	source := naming.LabelValue(src.Name)
	own := map[string]string{constants.LabelModelSource: source, constants.LabelOrigin: constants.OriginAutoGenerated}
	l := aimlabels.ForChild(src, own, cfg, Name)
	l[constants.DomainLabelKey(Name)] = source // the raw name may be too long for a label value
	spec := map[string]any{"image": img.URI()}
	var secrets []any
	for _, s := range src.Spec.ImagePullSecrets {
		secrets = append(secrets, map[string]any{"name": s.Name})
	}
	if len(secrets) > 0 {
		spec["imagePullSecrets"] = secrets
	}
	md := map[string]any{
		"name": ModelName(img),
		"annotations": map[string]any{
			constants.AnnotationSourceRegistry:   img.Registry,
			constants.AnnotationSourceRepository: img.Repository,
			constants.AnnotationSourceTag:        img.Tag,
		},
	}
	if len(l) > 0 {
		lm := make(map[string]any, len(l))
		for k, v := range l {
			lm[k] = v
		}
		md["labels"] = lm
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": aimv1.SchemeGroupVersion.String(),
		"kind":       "AIMClusterModel",
		"metadata":   md,
		"spec":       spec,
	}}
}

// ModelName is `GenerateDerivedName([repository, tag], hash6 of [registry, repository, tag])` (C16).
func ModelName(img registry.Image) string {
	return naming.MustGenerateDerivedName([]string{img.Repository, img.Tag},
		naming.WithHashSource(img.Registry, img.Repository, img.Tag), naming.WithHashLength(constants.ModelSourceHashLength))
}

// DecorateStatus writes the counts, lastSyncTime (only after a sync) and MaxModelsLimitReached.
func (r *Reconciler) DecorateStatus(st *aimv1.AIMClusterModelSourceStatus, cm *statemachine.ConditionManager, o Observation) {
	if o.Existing.Error != nil {
		return // counts unknown: keep the stored ones
	}
	if o.Sync != nil {
		t := metav1.NewTime(o.Now).Rfc3339Copy()
		st.LastSyncTime = &t
		st.AvailableModels = o.Available
	}
	st.DiscoveredModels = o.Discovered
	st.ModelsLimitReached = o.LimitReached
	if o.LimitReached {
		cm.MarkTrue(constants.CondMaxModelsLimitReached, ReasonLimitReached,
			fmt.Sprintf("Limit reached: %d created, %d available", o.Discovered, o.Available), statemachine.AsInfo())
	} else {
		cm.MarkFalse(constants.CondMaxModelsLimitReached, ReasonWithinLimit,
			fmt.Sprintf("Created %d models, within limit", o.Discovered), statemachine.AsInfo())
	}
}
