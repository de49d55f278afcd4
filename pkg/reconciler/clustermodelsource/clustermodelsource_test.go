package clustermodelsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/registry"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	aimlisters "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func ip(i int) *int { return &i }

func TestModelName(t *testing.T) {
	// Expected values computed independently: sha256 of the JSON-encoded inputs joined with "|" (§3.1).
	cases := []struct {
		img  registry.Image
		want string
	}{
		{registry.Image{Registry: "docker.io", Repository: "silogen/aim-llama", Tag: "0.8.5"}, "silogen-aim-llama-0-8-5-a92e98"},
		{registry.Image{Registry: "ghcr.io", Repository: "silogen/aim-meta-llama-llama-3-1-70b-instruct-and-some-very-long-suffix", Tag: "0.8.5-rc.1"},
			"silogen-aim-meta-llama-llama-3-1-70b-instruct-0-8-5-rc-1-8e07d6"},
	}
	for _, c := range cases {
		if got := ModelName(c.img); got != c.want {
			t.Errorf("ModelName(%+v) = %q, want %q", c.img, got, c.want)
		}
	}
}

func TestDesiredModel(t *testing.T) {
	src := &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: "src", Labels: map[string]string{
		"aim.eai.amd.com/team": "a", "team-x": "1", "other": "no"}},
		Spec: aimv1.AIMClusterModelSourceSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "regcred"}}}}
	cfg := &aimv1.AIMRuntimeConfigSpec{}
	cfg.LabelPropagation = &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"team-*"}}
	for _, c := range []struct {
		img   registry.Image
		image string
	}{
		{registry.Image{Registry: "docker.io", Repository: "silogen/aim-llama", Tag: "0.8.5"}, "silogen/aim-llama:0.8.5"},
		{registry.Image{Registry: "ghcr.io", Repository: "silogen/aim-llama", Tag: "1.0.0"}, "ghcr.io/silogen/aim-llama:1.0.0"},
	} {
		m := DesiredModel(src, c.img, cfg)
		b, _ := json.Marshal(m)
		var got struct {
			APIVersion, Kind string
			Metadata         metav1.ObjectMeta
			Spec             map[string]any
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Kind != "AIMClusterModel" || got.APIVersion != "aim.eai.amd.com/v1alpha1" || got.Metadata.Name != ModelName(c.img) || got.Metadata.Namespace != "" {
			t.Errorf("identity: %s", b)
		}
		wantLabels := map[string]string{
			"aim.eai.amd.com/model-source": "src", "aim.eai.amd.com/origin": "auto-generated",
			"app.kubernetes.io/managed-by": "aim-cluster-model-source-controller", "aim.eai.amd.com/cluster-model-source.name": "src",
			"aim.eai.amd.com/team": "a", "team-x": "1"}
		if !reflect.DeepEqual(got.Metadata.Labels, wantLabels) {
			t.Errorf("labels = %v, want %v", got.Metadata.Labels, wantLabels)
		}
		wantAnn := map[string]string{"aim.eai.amd.com/source-registry": c.img.Registry,
			"aim.eai.amd.com/source-repository": c.img.Repository, "aim.eai.amd.com/source-tag": c.img.Tag}
		if !reflect.DeepEqual(got.Metadata.Annotations, wantAnn) {
			t.Errorf("annotations = %v", got.Metadata.Annotations)
		}
		// Only the fields we mean are sent (apply configuration): no zero-valued extras.
		wantSpec := map[string]any{"image": c.image, "imagePullSecrets": []any{map[string]any{"name": "regcred"}}}
		if !reflect.DeepEqual(got.Spec, wantSpec) {
			t.Errorf("spec = %v, want %v", got.Spec, wantSpec)
		}
	}
}

func TestSyncDue(t *testing.T) {
	synced := metav1.NewTime(t0)
	okFilters := metav1.Condition{Type: "FiltersReady", Status: "True", Reason: ReasonAllFiltersSucceeded}
	base := func() *aimv1.AIMClusterModelSource {
		return &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: "s", Generation: 2},
			Spec: aimv1.AIMClusterModelSourceSpec{SyncInterval: &metav1.Duration{Duration: time.Hour}},
			Status: aimv1.AIMClusterModelSourceStatus{ObservedGeneration: 2, LastSyncTime: &synced,
				Conditions: []metav1.Condition{okFilters}}}
	}
	cases := []struct {
		name   string
		mutate func(*aimv1.AIMClusterModelSource)
		now    time.Time
		due    bool
		reason string
	}{
		{"fresh", nil, t0.Add(59 * time.Minute), false, ""},
		{"interval elapsed", nil, t0.Add(time.Hour), true, "sync interval elapsed"},
		{"never synced", func(s *aimv1.AIMClusterModelSource) { s.Status.LastSyncTime = nil }, t0, true, "never synced"},
		{"spec changed", func(s *aimv1.AIMClusterModelSource) { s.Generation = 3 }, t0, true, "spec changed"},
		{"no filters condition", func(s *aimv1.AIMClusterModelSource) { s.Status.Conditions = nil }, t0, true, "no sync result in status"},
		{"last reconcile decided nothing", func(s *aimv1.AIMClusterModelSource) { s.Status.Conditions[0].Reason = "ListFailed" }, t0, true,
			"last sync did not complete (ListFailed)"},
		{"degraded sync still counts", func(s *aimv1.AIMClusterModelSource) { s.Status.Conditions[0].Reason = ReasonSomeFiltersFailed }, t0, false, ""},
		{"apply failed", func(s *aimv1.AIMClusterModelSource) {
			s.Status.Conditions = append(s.Status.Conditions, metav1.Condition{Type: "DependenciesReachable", Status: "False", Reason: "InfrastructureError"})
		}, t0, true, "last apply failed"},
		{"default interval 1h", func(s *aimv1.AIMClusterModelSource) { s.Spec.SyncInterval = nil }, t0.Add(59 * time.Minute), false, ""},
		{"interval below minimum is clamped", func(s *aimv1.AIMClusterModelSource) { s.Spec.SyncInterval.Duration = time.Second },
			t0.Add(30 * time.Second), false, ""},
		{"clamped interval elapses", func(s *aimv1.AIMClusterModelSource) { s.Spec.SyncInterval.Duration = 0 }, t0.Add(time.Minute), true, "sync interval elapsed"},
	}
	for _, c := range cases {
		s := base()
		if c.mutate != nil {
			c.mutate(s)
		}
		due, reason := SyncDue(s, c.now)
		if due != c.due || reason != c.reason {
			t.Errorf("%s: SyncDue = %v %q, want %v %q", c.name, due, reason, c.due, c.reason)
		}
	}
}

func img(repo, tag string) registry.Image {
	return registry.Image{Registry: "r.io", Repository: repo, Tag: tag}
}

func model(name, image string) *aimv1.AIMClusterModel {
	return &aimv1.AIMClusterModel{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: aimv1.AIMModelSpec{Image: image}}
}

func TestNewImages(t *testing.T) {
	imgs := []registry.Image{img("a", "3"), img("a", "2"), img("a", "1"), img("b", "1")}
	cases := []struct {
		name     string
		existing []*aimv1.AIMClusterModel
		foreign  map[string]bool
		limit    int
		want     []string
	}{
		{"all new", nil, nil, 100, []string{"a:3", "a:2", "a:1", "b:1"}},
		{"capped keeps order", nil, nil, 2, []string{"a:3", "a:2"}},
		{"existing by image", []*aimv1.AIMClusterModel{model("x", "r.io/a:3")}, nil, 100, []string{"a:2", "a:1", "b:1"}},
		{"existing by name", []*aimv1.AIMClusterModel{model(ModelName(img("a", "2")), "other")}, nil, 100, []string{"a:3", "a:1", "b:1"}},
		{"foreign name skipped", nil, map[string]bool{ModelName(img("b", "1")): true}, 100, []string{"a:3", "a:2", "a:1"}},
		{"limit reached", nil, nil, 0, nil},
		{"over the limit", nil, nil, -3, nil},
	}
	for _, c := range cases {
		var got []string
		for _, i := range NewImages(imgs, c.existing, c.foreign, c.limit) {
			got = append(got, i.Repository+":"+i.Tag)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSync(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/a": {"1.0.0", "2.0.0", "3.0.0-rc.1"}, "q.io/x/a": {"1.0.0", "2.5.0"}}}
	src := source(
		aimv1.AIMModelSourceFilter{Image: "x/a"},                                     // source-wide versions
		aimv1.AIMModelSourceFilter{Image: "x/a", Versions: []string{"<2"}},           // own versions replace them
		aimv1.AIMModelSourceFilter{Image: "q.io/x/a"},                                // other registry
		aimv1.AIMModelSourceFilter{Image: "x/a", Versions: []string{">=3.0.0-rc.1"}}, // pre-release asked for
		aimv1.AIMModelSourceFilter{Image: "x/a@sha256:00"},                           // invalid
	)
	src.Spec.Versions = []string{">=2"}
	res := Sync(context.Background(), &registry.Lister{Client: reg}, src)
	var got []string
	for _, i := range res.Images {
		got = append(got, i.URI())
	}
	// Duplicates across filters count once, in filter order.
	want := []string{"r.io/x/a:2.0.0", "r.io/x/a:1.0.0", "q.io/x/a:2.5.0", "r.io/x/a:3.0.0-rc.1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("images %v, want %v", got, want)
	}
	if res.Filters != 5 || res.FailedCount() != 1 || res.Failed[4] == nil || !strings.Contains(res.Failed[4].Error(), "digest") {
		t.Errorf("failures: %v", res.Failed)
	}
}

func TestFiltersHealth(t *testing.T) {
	cases := []struct {
		n, failed int
		state     statemachine.State
		reason    string
		message   string
	}{
		{0, 0, statemachine.StateProgressing, "NoFilters", "No filters configured"},
		{3, 0, statemachine.StateReady, "AllFiltersSucceeded", "All 3 filters succeeded"},
		{3, 1, statemachine.StateDegraded, "SomeFiltersFailed", "1 of 3 filters had errors"},
		{3, 3, statemachine.StateFailed, "AllFiltersFailed", "All 3 filters failed"},
	}
	for _, c := range cases {
		h := FiltersHealth(c.n, c.failed)
		if h.Component != "Filters" || h.State != c.state || h.Reason != c.reason || h.Message != c.message || len(h.Errors) != 0 {
			t.Errorf("FiltersHealth(%d, %d) = %+v", c.n, c.failed, h)
		}
	}
}

// fakeRegistry serves "registry/repo" → tags and counts calls.
type fakeRegistry struct {
	mu    sync.Mutex
	repos map[string][]string
	fail  map[string]bool
	// creds["reg/repo"] = "user:pass" makes the repo private: other credentials get UNAUTHORIZED.
	creds map[string]string
	calls int
	auth  []authn.Keychain
}

func (f *fakeRegistry) Tags(_ context.Context, reg, repo string, kc authn.Keychain) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.auth = append(f.auth, kc)
	if f.fail[reg+"/"+repo] {
		return nil, errors.New("UNAUTHORIZED")
	}
	if want, ok := f.creds[reg+"/"+repo]; ok {
		r, err := name.NewRepository(reg + "/" + repo)
		if err != nil {
			return nil, err
		}
		a, err := kc.Resolve(r)
		if err != nil {
			return nil, err
		}
		cfg, _ := a.Authorization()
		if cfg.Username+":"+cfg.Password != want {
			return nil, errors.New("UNAUTHORIZED: authentication required")
		}
	}
	tags, ok := f.repos[reg+"/"+repo]
	if !ok {
		return nil, errors.New("NAME_UNKNOWN: repository name not known to registry")
	}
	return tags, nil
}

func (f *fakeRegistry) Catalog(_ context.Context, reg string, _ authn.Keychain) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var out []string
	for k := range f.repos {
		if r, ok := strings.CutPrefix(k, reg+"/"); ok {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (f *fakeRegistry) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// harness runs the real pipeline: models live in an indexer (the "cache"), applies are recorded and
// added to it, status writes replace the stored source.
type harness struct {
	t       *testing.T
	reg     *fakeRegistry
	models  cache.Indexer
	clock   *clocktesting.FakeClock
	src     *aimv1.AIMClusterModelSource
	writes  int
	applied []string
	secrets map[string]*corev1.Secret
	// secretErr, when set, is returned by every secret read.
	secretErr error
	recorder  *record.FakeRecorder
	pipe      *Pipeline
}

func newHarness(t *testing.T, src *aimv1.AIMClusterModelSource, reg *fakeRegistry) *harness {
	h := &harness{t: t, reg: reg, models: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}),
		clock: clocktesting.NewFakeClock(t0), src: src, secrets: map[string]*corev1.Secret{},
		recorder: record.NewFakeRecorder(100)}
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	dyn.PrependReactor("patch", "aimclustermodels", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchAction)
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(p.GetPatch(), &u.Object); err != nil {
			return true, nil, err
		}
		u.SetResourceVersion("1")
		h.applied = append(h.applied, u.GetName())
		var m aimv1.AIMClusterModel
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &m); err != nil {
			return true, nil, err
		}
		_ = h.models.Add(&m)
		return true, u, nil
	})
	r := &Reconciler{Registry: reg, Models: aimlisters.NewAIMClusterModelLister(h.models), Clock: h.clock,
		SystemNamespace: "aim-system",
		Secrets: func(_ context.Context, ns, name string) (*corev1.Secret, error) {
			if h.secretErr != nil {
				return nil, h.secretErr
			}
			if s, ok := h.secrets[ns+"/"+name]; ok {
				return s, nil
			}
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
		}}
	applier := statemachine.NewApplier(dyn, wiring.Resolver(nil), constants.FieldManager(Name))
	h.pipe = NewPipeline(r, nil, applier, h.recorder)
	h.pipe.Clock = h.clock
	h.pipe.UpdateStatus = func(_ context.Context, o *aimv1.AIMClusterModelSource) error {
		h.writes++
		h.src = o.DeepCopy()
		return nil
	}
	return h
}

func (h *harness) run() statemachine.Result {
	h.t.Helper()
	res, err := h.pipe.Run(context.Background(), h.src)
	if err != nil {
		h.t.Fatalf("Run: %v", err)
	}
	return res
}

func (h *harness) cond(t string) string {
	c := meta.FindStatusCondition(h.src.Status.Conditions, t)
	if c == nil {
		return "<none>"
	}
	return fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
}

func source(filters ...aimv1.AIMModelSourceFilter) *aimv1.AIMClusterModelSource {
	return &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: "src", UID: "uid-1", Generation: 1},
		Spec: aimv1.AIMClusterModelSourceSpec{Registry: "r.io", Filters: filters, MaxModels: ip(100),
			SyncInterval: &metav1.Duration{Duration: time.Hour}}}
}

func TestPipelineSyncThenQuietUntilInterval(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{
		"r.io/team/aim-a": {"1.0.0", "0.9.0", "latest"},
		"r.io/team/aim-b": {"2.0.0"},
		"r.io/team/base":  {"1.0.0"},
	}}
	src := source(aimv1.AIMModelSourceFilter{Image: "team/aim-*", Versions: []string{">=0.9"}})
	h := newHarness(t, src, reg)

	res := h.run()
	if res.RequeueAfter != time.Hour {
		t.Errorf("RequeueAfter = %v, want 1h", res.RequeueAfter)
	}
	wantApplied := []string{ModelName(img("team/aim-a", "0.9.0")), ModelName(img("team/aim-a", "1.0.0")), ModelName(img("team/aim-b", "2.0.0"))}
	sort.Strings(wantApplied)
	got := append([]string(nil), h.applied...)
	sort.Strings(got)
	if !reflect.DeepEqual(got, wantApplied) {
		t.Fatalf("applied %v, want %v", got, wantApplied)
	}
	st := h.src.Status
	if st.Status != "Ready" || st.AvailableModels != 3 || st.DiscoveredModels != 3 || st.ModelsLimitReached ||
		st.LastSyncTime == nil || !st.LastSyncTime.Time.Equal(t0) || st.ObservedGeneration != 1 {
		t.Errorf("status after sync: %+v", st)
	}
	for typ, want := range map[string]string{
		"ExistingModelsReady":   "True/Listed/Found 0 existing models",
		"FiltersReady":          "True/AllFiltersSucceeded/All 1 filters succeeded",
		"MaxModelsLimitReached": "False/WithinLimit/Created 3 models, within limit",
		"Ready":                 "True/AllComponentsReady/All components are ready",
	} {
		if got := h.cond(typ); got != want {
			t.Errorf("%s = %s, want %s", typ, got, want)
		}
	}
	calls := reg.callCount()

	// The model events come back: counts are refreshed from the cache, the registry is not read.
	h.clock.Step(10 * time.Minute)
	res = h.run()
	if reg.callCount() != calls {
		t.Errorf("registry read between syncs")
	}
	if got := h.cond("ExistingModelsReady"); got != "True/Listed/Found 3 existing models" {
		t.Errorf("ExistingModelsReady = %s", got)
	}
	if res.RequeueAfter != 50*time.Minute {
		t.Errorf("RequeueAfter = %v, want the 50m left until the next sync", res.RequeueAfter)
	}
	if !h.src.Status.LastSyncTime.Time.Equal(t0) {
		t.Errorf("lastSyncTime moved without a sync: %v", h.src.Status.LastSyncTime)
	}
	// Nothing changed: no status write at all.
	writes := h.writes
	h.clock.Step(10 * time.Minute)
	h.run()
	if h.writes != writes || reg.callCount() != calls {
		t.Errorf("idle reconcile wrote status (%d→%d) or read the registry", writes, h.writes)
	}

	// A new tag appears; it is picked up only once the interval has passed.
	reg.repos["r.io/team/aim-b"] = append(reg.repos["r.io/team/aim-b"], "2.1.0")
	h.clock.Step(40 * time.Minute)
	h.applied = nil
	h.run()
	if !reflect.DeepEqual(h.applied, []string{ModelName(img("team/aim-b", "2.1.0"))}) {
		t.Errorf("second sync applied %v", h.applied)
	}
	if st := h.src.Status; st.AvailableModels != 4 || st.DiscoveredModels != 4 || !st.LastSyncTime.Time.Equal(t0.Add(time.Hour)) {
		t.Errorf("status after second sync: %+v", st)
	}
}

func TestPipelineMaxModels(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0", "1.1.0", "1.2.0", "1.3.0"}}}
	src := source(aimv1.AIMModelSourceFilter{Image: "x/m"})
	src.Spec.MaxModels = ip(2)
	h := newHarness(t, src, reg)
	h.run()
	want := []string{ModelName(img("x/m", "1.2.0")), ModelName(img("x/m", "1.3.0"))}
	got := append([]string(nil), h.applied...)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("applied %v, want the two newest %v", got, want)
	}
	st := h.src.Status
	if !st.ModelsLimitReached || st.DiscoveredModels != 2 || st.AvailableModels != 4 {
		t.Errorf("status: %+v", st)
	}
	if c := h.cond("MaxModelsLimitReached"); c != "True/LimitReached/Limit reached: 2 created, 4 available" {
		t.Errorf("MaxModelsLimitReached = %s", c)
	}
	// Raising the limit (a spec change) syncs at once and fills up to it; nothing is deleted.
	h.src.Spec.MaxModels = ip(3)
	h.src.Generation = 2
	h.applied = nil
	h.run()
	if !reflect.DeepEqual(h.applied, []string{ModelName(img("x/m", "1.1.0"))}) {
		t.Errorf("after raising the limit applied %v", h.applied)
	}
	// Lowering it below the existing count creates nothing and deletes nothing.
	h.src.Spec.MaxModels = ip(1)
	h.src.Generation = 3
	h.applied = nil
	h.run()
	if len(h.applied) != 0 || len(h.models.List()) != 3 || h.src.Status.DiscoveredModels != 3 {
		t.Errorf("lowering the limit: applied %v, models %d, status %+v", h.applied, len(h.models.List()), h.src.Status)
	}
}

func TestPipelineFilterHealth(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/ok/a": {"1.0.0"}, "r.io/locked/b": {"1.0.0"}},
		fail: map[string]bool{"r.io/locked/b": true}}
	cases := []struct {
		name    string
		filters []aimv1.AIMModelSourceFilter
		status  string
		filter  string
		ready   string
		applied int
	}{
		{"some failed", []aimv1.AIMModelSourceFilter{{Image: "ok/a"}, {Image: "locked/b"}}, "Degraded",
			"False/SomeFiltersFailed/1 of 2 filters had errors", "False/SomeFiltersFailed/Component Filters is not ready: 1 of 2 filters had errors", 1},
		{"all failed", []aimv1.AIMModelSourceFilter{{Image: "locked/b"}, {Image: "missing/c"}, {Image: "ok/a", Versions: []string{"nope"}}}, "Failed",
			"False/AllFiltersFailed/All 3 filters failed", "False/AllFiltersFailed/Component Filters is not ready: All 3 filters failed", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, source(c.filters...), reg)
			res := h.run()
			if string(h.src.Status.Status) != c.status || h.cond("FiltersReady") != c.filter || h.cond("Ready") != c.ready {
				t.Errorf("status %s, FiltersReady %s, Ready %s", h.src.Status.Status, h.cond("FiltersReady"), h.cond("Ready"))
			}
			if len(h.applied) != c.applied {
				t.Errorf("applied %v", h.applied)
			}
			// Explicit states, not errors: no DependenciesReachable, no backoff, next try at the interval.
			if h.cond("DependenciesReachable") != "<none>" || res.RequeueAfter != time.Hour {
				t.Errorf("DependenciesReachable %s, RequeueAfter %v", h.cond("DependenciesReachable"), res.RequeueAfter)
			}
			// Events come from conditions only (catalogue §5): the FiltersReady verdict, no per-filter event.
			wantEvent := "Warning " + strings.Split(c.filter, "/")[1] + " " + strings.Split(c.filter, "/")[2]
			var found bool
			for len(h.recorder.Events) > 0 {
				ev := <-h.recorder.Events
				if strings.Contains(ev, "FilterFailed") {
					t.Errorf("event outside the contract: %s", ev)
				}
				found = found || ev == wantEvent
			}
			if !found {
				t.Errorf("no %q event", wantEvent)
			}
			// Between syncs the verdict is kept from status, without reading the registry.
			calls := reg.callCount()
			h.clock.Step(time.Minute)
			h.run()
			if reg.callCount() != calls || h.cond("FiltersReady") != c.filter || string(h.src.Status.Status) != c.status {
				t.Errorf("between syncs: calls %d→%d, FiltersReady %s", calls, reg.callCount(), h.cond("FiltersReady"))
			}
		})
	}
}

func regcred(data string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcred", Namespace: "aim-system"},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(data)}}
}

// A missing pull secret is skipped, as k8schain does: the registry is read anonymously, and the outcome is
// the filters' own (here a public repository: Ready; a private one: AllFiltersFailed). Never a
// SecretNotFound reason, ConfigValid=False or backoff.
func TestPipelineMissingPullSecretIsAnonymous(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0"}, "r.io/p/m": {"1.0.0"}},
		creds: map[string]string{"r.io/p/m": "u:p"}}
	src := source(aimv1.AIMModelSourceFilter{Image: "x/m"})
	src.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	h := newHarness(t, src, reg)
	res := h.run()
	if reg.callCount() == 0 || len(h.applied) != 1 || string(h.src.Status.Status) != "Ready" || h.src.Status.LastSyncTime == nil ||
		h.cond("FiltersReady") != "True/AllFiltersSucceeded/All 1 filters succeeded" ||
		strings.HasPrefix(h.cond("ConfigValid"), "False") || res.RequeueAfter != time.Hour {
		t.Errorf("public repo without the secret: calls %d applied %v status %s FiltersReady %s ConfigValid %s requeue %v",
			reg.callCount(), h.applied, h.src.Status.Status, h.cond("FiltersReady"), h.cond("ConfigValid"), res.RequeueAfter)
	}

	// A private repository: the anonymous read is refused, so the filter fails like any other.
	src = source(aimv1.AIMModelSourceFilter{Image: "p/m"})
	src.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	h = newHarness(t, src, reg)
	res = h.run()
	if len(h.applied) != 0 || string(h.src.Status.Status) != "Failed" ||
		h.cond("FiltersReady") != "False/AllFiltersFailed/All 1 filters failed" ||
		h.cond("Ready") != "False/AllFiltersFailed/Component Filters is not ready: All 1 filters failed" ||
		strings.HasPrefix(h.cond("ConfigValid"), "False") || h.cond("DependenciesReachable") != "<none>" ||
		res.RequeueAfter != time.Hour || h.src.Status.LastSyncTime == nil {
		t.Errorf("private repo without the secret: applied %v status %s FiltersReady %s Ready %s ConfigValid %s DependenciesReachable %s requeue %v",
			h.applied, h.src.Status.Status, h.cond("FiltersReady"), h.cond("Ready"), h.cond("ConfigValid"), h.cond("DependenciesReachable"), res.RequeueAfter)
	}
	// The secret appears; the next sync (at the interval) authenticates with it.
	h.secrets["aim-system/regcred"] = regcred(`{"auths":{"r.io":{"username":"u","password":"p"}}}`)
	h.clock.Step(time.Hour)
	h.run()
	if len(h.applied) != 1 || string(h.src.Status.Status) != "Ready" {
		t.Errorf("after the secret appeared: applied %v status %s FiltersReady %s", h.applied, h.src.Status.Status, h.cond("FiltersReady"))
	}
}

// A secret that cannot be read or parsed fails the keychain, and so every filter: AllFiltersFailed, the
// registry untouched, next try at the interval.
func TestPipelineBrokenPullSecretFailsEveryFilter(t *testing.T) {
	for _, c := range []struct {
		name   string
		secret *corev1.Secret
		err    error
	}{
		{"malformed", regcred(`{"auths":"x"}`), nil}, // valid JSON (the API server checks that), wrong shape
		{"unreadable", nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "regcred", errors.New("rbac"))},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0"}, "r.io/x/n": {"1.0.0"}}}
			src := source(aimv1.AIMModelSourceFilter{Image: "x/m"}, aimv1.AIMModelSourceFilter{Image: "x/n"})
			src.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
			h := newHarness(t, src, reg)
			if c.secret != nil {
				h.secrets["aim-system/regcred"] = c.secret
			}
			h.secretErr = c.err
			res := h.run()
			if reg.callCount() != 0 || len(h.applied) != 0 {
				t.Errorf("registry read (%d) or models applied (%v) with a broken keychain", reg.callCount(), h.applied)
			}
			if string(h.src.Status.Status) != "Failed" || h.cond("FiltersReady") != "False/AllFiltersFailed/All 2 filters failed" ||
				h.cond("Ready") != "False/AllFiltersFailed/Component Filters is not ready: All 2 filters failed" ||
				strings.HasPrefix(h.cond("ConfigValid"), "False") || h.cond("DependenciesReachable") != "<none>" ||
				h.src.Status.LastSyncTime == nil || res.RequeueAfter != time.Hour {
				t.Errorf("status %s FiltersReady %s Ready %s ConfigValid %s DependenciesReachable %s lastSync %v requeue %v", h.src.Status.Status,
					h.cond("FiltersReady"), h.cond("Ready"), h.cond("ConfigValid"), h.cond("DependenciesReachable"), h.src.Status.LastSyncTime, res.RequeueAfter)
			}
		})
	}
}

func TestPipelinePullSecretCredentials(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0"}}, creds: map[string]string{"r.io/x/m": "u:p"}}
	src := source(aimv1.AIMModelSourceFilter{Image: "x/m"})
	src.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "missing"}, {Name: "regcred"}}
	h := newHarness(t, src, reg)
	h.secrets["aim-system/regcred"] = regcred(`{"auths":{"r.io":{"username":"u","password":"p"}}}`)
	h.run()
	if len(h.applied) != 1 || string(h.src.Status.Status) != "Ready" {
		t.Errorf("applied %v status %s FiltersReady %s", h.applied, h.src.Status.Status, h.cond("FiltersReady"))
	}
}

func TestPipelineForeignModelIsLeftAlone(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0", "2.0.0"}}}
	h := newHarness(t, source(aimv1.AIMModelSourceFilter{Image: "x/m"}), reg)
	// Another source already made the model of x/m:1.0.0 (same name, different owner label).
	other := model(ModelName(img("x/m", "1.0.0")), "r.io/x/m:1.0.0")
	other.Labels = map[string]string{constants.LabelModelSource: "other"}
	_ = h.models.Add(other)
	h.run()
	if !reflect.DeepEqual(h.applied, []string{ModelName(img("x/m", "2.0.0"))}) {
		t.Errorf("applied %v, want only the free name", h.applied)
	}
	// The other source's model is neither counted nor available to this one.
	if st := h.src.Status; st.AvailableModels != 1 || st.DiscoveredModels != 1 || st.ModelsLimitReached {
		t.Errorf("status %+v", st)
	}
}

func TestPipelinePaused(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0"}}}
	src := source(aimv1.AIMModelSourceFilter{Image: "x/m"})
	src.Annotations = map[string]string{constants.AnnotationReconciliationPaused: "true"}
	h := newHarness(t, src, reg)
	h.run()
	if reg.callCount() != 0 || h.writes != 0 || len(h.applied) != 0 {
		t.Errorf("paused source was reconciled")
	}
}

// A deleted generated model comes back at once (the reference re-applies every listed image on every
// reconcile), from the remembered listing: no registry read, no lastSyncTime change.
func TestPipelineDeletedModelComesBackAtOnce(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0", "2.0.0"}}}
	h := newHarness(t, source(aimv1.AIMModelSourceFilter{Image: "x/m"}), reg)
	h.run()
	calls, synced := reg.callCount(), h.src.Status.LastSyncTime
	gone := ModelName(img("x/m", "1.0.0"))
	del := func() {
		t.Helper()
		obj, _, _ := h.models.GetByKey(gone)
		if err := h.models.Delete(obj); err != nil {
			t.Fatal(err)
		}
		h.applied = nil
	}
	del()
	h.clock.Step(time.Minute)
	res := h.run()
	if !reflect.DeepEqual(h.applied, []string{gone}) || reg.callCount() != calls || !h.src.Status.LastSyncTime.Equal(synced) {
		t.Errorf("after the delete: applied %v, registry calls %d→%d, lastSyncTime %v", h.applied, calls, reg.callCount(), h.src.Status.LastSyncTime)
	}
	if st := h.src.Status; st.DiscoveredModels != 2 || st.AvailableModels != 2 || st.ModelsLimitReached || string(st.Status) != "Ready" {
		t.Errorf("status %+v", st)
	}
	if res.RequeueAfter != 59*time.Minute {
		t.Errorf("RequeueAfter = %v, want the time left until the next sync", res.RequeueAfter)
	}

	// After an operator restart nothing is remembered: the missing model costs one sync.
	h.pipe.Reconciler.(*Reconciler).Forget("src")
	del()
	h.clock.Step(time.Minute)
	h.run()
	if !reflect.DeepEqual(h.applied, []string{gone}) || reg.callCount() == calls || !h.src.Status.LastSyncTime.Time.Equal(h.clock.Now()) {
		t.Errorf("after a restart: applied %v, registry calls %d→%d, lastSyncTime %v", h.applied, calls, reg.callCount(), h.src.Status.LastSyncTime)
	}

	// A model taken away from the source (relabelled) is foreign now: one reconcile settles the count, no
	// re-apply, and no sync loop.
	obj, _, _ := h.models.GetByKey(gone)
	m := obj.(*aimv1.AIMClusterModel).DeepCopy()
	m.Labels = map[string]string{constants.LabelModelSource: "someone-else"}
	if err := h.models.Update(m); err != nil {
		t.Fatal(err)
	}
	h.applied = nil
	calls = reg.callCount()
	h.run()
	h.run()
	if len(h.applied) != 0 || reg.callCount() != calls || h.src.Status.DiscoveredModels != 1 || h.src.Status.AvailableModels != 2 {
		t.Errorf("after relabelling: applied %v, registry calls %d→%d, status %+v", h.applied, calls, reg.callCount(), h.src.Status)
	}
}

// The cache may not hold a just-created model yet when the next reconcile runs: the remembered listing
// re-applies it (an idempotent apply) instead of reading the registry again.
func TestPipelineCacheLagDoesNotResync(t *testing.T) {
	reg := &fakeRegistry{repos: map[string][]string{"r.io/x/m": {"1.0.0", "2.0.0"}}}
	h := newHarness(t, source(aimv1.AIMModelSourceFilter{Image: "x/m"}), reg)
	h.run()
	calls := reg.callCount()
	obj, _, _ := h.models.GetByKey(ModelName(img("x/m", "2.0.0")))
	_ = h.models.Delete(obj) // as if its add event had not arrived yet
	h.run()
	if reg.callCount() != calls || len(h.models.List()) != 2 {
		t.Errorf("registry calls %d→%d, models %d", calls, reg.callCount(), len(h.models.List()))
	}
}

func TestStaleGuard(t *testing.T) {
	g := &staleGuard{written: map[types.UID]string{}}
	src := &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: "s", UID: "u1", ResourceVersion: "10"}}
	if g.stale(src) {
		t.Error("stale before any write")
	}
	g.wrote(src) // a write based on version 10
	if !g.stale(src) {
		t.Error("the cache still at version 10 is not stale")
	}
	newer := src.DeepCopy()
	newer.ResourceVersion = "11"
	if g.stale(newer) {
		t.Error("version 11 reported stale")
	}
	recreated := src.DeepCopy()
	recreated.UID = "u2"
	if g.stale(recreated) {
		t.Error("a recreated source (new UID) reported stale")
	}
	g.forget("s")
	if g.stale(src) || len(g.written) != 0 {
		t.Error("forget kept state")
	}
}
