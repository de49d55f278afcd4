// Package clustermodelsource is the integration test of the AIMClusterModelSource reconciler on a real
// local control plane (internal/testenv), against in-process OCI registries
// (go-containerregistry's pkg/registry) holding random images pushed with remote.Write: one anonymous
// registry with the v2 catalog (wildcard filters), and one that requires basic auth (pull secret in the
// operator namespace). The controller runs in-process with testenv's rest.Config.
package clustermodelsource

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/aimlite/aimlite/internal/testenv"
	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/registry"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	"github.com/aimlite/aimlite/pkg/kubeclient/clientsetadapter"
	"github.com/aimlite/aimlite/pkg/reconciler/clustermodelsource"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) { env.Main(m) }

var bg = context.Background()

// fakeRegistry is an in-process OCI registry that counts the requests it serves.
type fakeRegistry struct {
	srv      *httptest.Server
	host     string
	requests atomic.Int64
	catalogs atomic.Int64 // one per sync of a wildcard filter
}

func newRegistry(t *testing.T, user, pass string) *fakeRegistry {
	t.Helper()
	r := &fakeRegistry{}
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if strings.HasSuffix(req.URL.Path, "/_catalog") {
			r.catalogs.Add(1)
		}
		if user != "" {
			if u, p, ok := req.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

// push writes a small random image to repo:tag.
func (r *fakeRegistry) push(t *testing.T, kc authn.Keychain, repo string, tags ...string) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		ref, err := name.NewTag(r.host + "/" + repo + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img, remote.WithAuthFromKeychain(kc)); err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
	}
}

type staticKeychain struct{ user, pass string }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return &authn.Basic{Username: k.user, Password: k.pass}, nil
}

const systemNS = "aim-system"

type operator struct {
	client     versioned.Interface // the test's own client
	kube       kubernetes.Interface
	muts       *testenv.Mutations // the operator's mutating requests
	reconciles atomic.Int64
}

// statusWrites is the number of the operator's status writes to the AIMClusterModelSource name.
func (o *operator) statusWrites(name string) int {
	return o.muts.OfObject("PUT aimclustermodelsources/status", name)
}

// reconcileCounter counts finished reconciles (controller metrics hook).
type reconcileCounter struct{ o *operator }

func (c reconcileCounter) ObserveReconcile(string, string, time.Duration) { c.o.reconciles.Add(1) }
func (c reconcileCounter) ObserveError(string, string)                    {}

var (
	opOnce sync.Once
	op     *operator
)

func startOperator(t *testing.T) *operator {
	t.Helper()
	opOnce.Do(func() {
		if _, err := env.Client.CoreV1().Namespaces().Create(bg, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("system namespace: %v", err)
		}
		o := &operator{client: versioned.NewForConfigOrDie(env.Config), kube: env.Client}
		cfg, muts := testenv.CountMutations(env.Config)
		o.muts = muts
		client := aimclient.NewForConfigOrDie(cfg)
		factory := aimclient.NewInformerFactory(client, controller.CacheOptions{})
		mgr := controller.NewManager()
		mgr.SetReconcileObserver(reconcileCounter{o})
		kube := kubernetes.NewForConfigOrDie(cfg)
		scheme := runtime.NewScheme()
		if err := aimv1.AddToScheme(scheme); err != nil {
			t.Fatal(err)
		}
		events := record.NewBroadcaster()
		events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
		recorder := func(controllerName string) statemachine.Recorder {
			return events.NewRecorder(scheme, corev1.EventSource{Component: constants.FieldManager(controllerName)})
		}
		if _, err := clustermodelsource.Register(clustermodelsource.Deps{Manager: mgr, Informers: factory, Client: client,
			Kube: clientsetadapter.New(kube), Dynamic: dynamic.NewForConfigOrDie(cfg), Recorder: recorder,
			Registry: registry.Remote{}, SystemNamespace: systemNS}); err != nil {
			t.Fatal(err)
		}
		mgr.AddInformerFactory(factory)
		go func() { _ = mgr.Run(context.Background()) }()
		if err := wait.PollUntilContextTimeout(bg, 50*time.Millisecond, 30*time.Second, true,
			func(context.Context) (bool, error) { return mgr.HasSynced(), nil }); err != nil {
			t.Fatalf("caches did not sync: %v", err)
		}
		op = o
	})
	if op == nil {
		t.Fatal("operator failed to start")
	}
	return op
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(bg, 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, msg := cond()
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not reached in %s; last: %s", what, timeout, last)
	}
}

func condStr(conds []metav1.Condition, typ string) string {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil {
		return "<none>"
	}
	return fmt.Sprintf("%s/%s/%s", c.Status, c.Reason, c.Message)
}

// uniq suffixes cluster-scoped names, so a shared KUBECONFIG cluster's objects are never touched.
func uniq(s string) string { return fmt.Sprintf("%s-%04x", s, rand.IntN(0xffff)) }

func (o *operator) models(t *testing.T, source string) []aimv1.AIMClusterModel {
	t.Helper()
	l, err := o.client.AimV1alpha1().AIMClusterModels().List(bg, metav1.ListOptions{LabelSelector: constants.LabelModelSource + "=" + source})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].Spec.Image < l.Items[j].Spec.Image })
	return l.Items
}

func (o *operator) waitSource(t *testing.T, name, what string, ok func(*aimv1.AIMClusterModelSource) bool) *aimv1.AIMClusterModelSource {
	t.Helper()
	var s *aimv1.AIMClusterModelSource
	eventually(t, 30*time.Second, name+" "+what, func() (bool, string) {
		var err error
		s, err = o.client.AimV1alpha1().AIMClusterModelSources().Get(bg, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return ok(s), fmt.Sprintf("status=%+v", s.Status)
	})
	return s
}

// A wildcard source on a catalog-capable registry lists the tags of the matching repositories, creates
// owned AIMClusterModels for the selected versions up to maxModels, reports counts and conditions, then
// stays quiet (no registry requests, no status writes) until its interval passes or its spec changes.
func TestWildcardSourceCreatesModels(t *testing.T) {
	o := startOperator(t)
	reg := newRegistry(t, "", "")
	reg.push(t, nil, "team/aim-a", "0.9.0", "1.0.0", "1.1.0-rc.1", "latest")
	reg.push(t, nil, "team/aim-b", "2.0.0")
	reg.push(t, nil, "team/base", "1.0.0")
	reg.push(t, nil, "team/aim-old", "1.5.0")

	pushRequests := reg.requests.Load()
	name := uniq("wild")
	src := &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"aim.eai.amd.com/team": "a"}},
		Spec: aimv1.AIMClusterModelSourceSpec{Registry: reg.host, MaxModels: ip(2),
			Versions: []string{">=1.0"},
			Filters:  []aimv1.AIMModelSourceFilter{{Image: "team/aim-*", Exclude: []string{"team/aim-old"}}}}}
	created, err := o.client.AimV1alpha1().AIMClusterModelSources().Create(bg, src, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.client.AimV1alpha1().AIMClusterModelSources().Delete(bg, name, metav1.DeleteOptions{}) })
	// The CRD defaults apply.
	if created.Spec.SyncInterval == nil || created.Spec.SyncInterval.Duration != time.Hour {
		t.Errorf("syncInterval default: %v", created.Spec.SyncInterval)
	}

	// Selected: aim-a:1.0.0 and aim-b:2.0.0 (0.9.0, the rc, latest, base and the excluded aim-old are not).
	s := o.waitSource(t, name, "Ready with 2 models", func(s *aimv1.AIMClusterModelSource) bool {
		return s.Status.Status == "Ready" && s.Status.DiscoveredModels == 2 &&
			condStr(s.Status.Conditions, "ExistingModelsReady") == "True/Listed/Found 2 existing models"
	})
	if s.Status.AvailableModels != 2 || s.Status.ModelsLimitReached || s.Status.LastSyncTime == nil || s.Status.ObservedGeneration != s.Generation {
		t.Errorf("status: %+v", s.Status)
	}
	for typ, want := range map[string]string{
		"FiltersReady":          "True/AllFiltersSucceeded/All 1 filters succeeded",
		"MaxModelsLimitReached": "False/WithinLimit/Created 2 models, within limit",
		"Ready":                 "True/AllComponentsReady/All components are ready",
	} {
		if got := condStr(s.Status.Conditions, typ); got != want {
			t.Errorf("%s = %s, want %s", typ, got, want)
		}
	}
	models := o.models(t, name)
	var images []string
	for _, m := range models {
		images = append(images, m.Spec.Image)
		ref := metav1.GetControllerOf(&m)
		if ref == nil || ref.Kind != "AIMClusterModelSource" || ref.Name != name || ref.UID != s.UID {
			t.Errorf("model %s owner: %+v", m.Name, m.OwnerReferences)
		}
		img := registry.Image{Registry: reg.host, Repository: m.Annotations[constants.AnnotationSourceRepository], Tag: m.Annotations[constants.AnnotationSourceTag]}
		if m.Name != clustermodelsource.ModelName(img) || m.Annotations[constants.AnnotationSourceRegistry] != reg.host {
			t.Errorf("model %s name/annotations: %v", m.Name, m.Annotations)
		}
		for k, v := range map[string]string{constants.LabelOrigin: "auto-generated", "aim.eai.amd.com/team": "a",
			constants.LabelK8sManagedBy: "aim-cluster-model-source-controller", "aim.eai.amd.com/cluster-model-source.name": name} {
			if m.Labels[k] != v {
				t.Errorf("model %s label %s = %q, want %q", m.Name, k, m.Labels[k], v)
			}
		}
	}
	want := []string{reg.host + "/team/aim-a:1.0.0", reg.host + "/team/aim-b:2.0.0"}
	if strings.Join(images, ",") != strings.Join(want, ",") {
		t.Errorf("model images %v, want %v", images, want)
	}

	// Quiet between syncs: a reconcile (here from a metadata-only change of the source) reads neither the
	// registry nor writes status; model status/label churn does not even reconcile.
	time.Sleep(time.Second) // let the post-sync model events settle
	requests, writes, reconciles := reg.requests.Load(), o.statusWrites(name), o.reconciles.Load()
	patch := []byte(`{"metadata":{"labels":{"touched":"yes"}}}`)
	if _, err := o.client.AimV1alpha1().AIMClusterModels().Patch(bg, models[0].Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.client.AimV1alpha1().AIMClusterModelSources().Patch(bg, name, types.MergePatchType, []byte(`{"metadata":{"annotations":{"note":"x"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a reconcile after the source annotation", func() (bool, string) {
		return o.reconciles.Load() > reconciles, ""
	})
	time.Sleep(time.Second)
	if reg.requests.Load() != requests || o.statusWrites(name) != writes {
		t.Errorf("between syncs: registry requests %d→%d, status writes %d→%d", requests, reg.requests.Load(), writes, o.statusWrites(name))
	}
	if n := reg.catalogs.Load(); n != 1 {
		t.Errorf("the registry catalog was read %d times, want exactly one sync", n)
	}
	t.Logf("first sync: %d registry requests, %d status writes; %d reconciles since the annotation",
		requests-pushRequests, writes, o.reconciles.Load()-reconciles)

	// A deleted generated model comes back at once (the source owns and watches its models), re-applied
	// from the remembered listing: no registry request, lastSyncTime unchanged.
	synced := s.Status.LastSyncTime
	deleted := models[1]
	if err := o.client.AimV1alpha1().AIMClusterModels().Delete(bg, deleted.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, 10*time.Second, "deleted model recreated", func() (bool, string) {
		m, err := o.client.AimV1alpha1().AIMClusterModels().Get(bg, deleted.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return m.UID != deleted.UID, "same UID"
	})
	t.Logf("deleted model recreated in %s", time.Since(start).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	s, _ = o.client.AimV1alpha1().AIMClusterModelSources().Get(bg, name, metav1.GetOptions{})
	if reg.requests.Load() != requests || !s.Status.LastSyncTime.Equal(synced) || s.Status.DiscoveredModels != 2 ||
		len(o.models(t, name)) != 2 {
		t.Errorf("recreate: registry requests %d→%d, lastSyncTime %v→%v, status %+v", requests, reg.requests.Load(),
			synced, s.Status.LastSyncTime, s.Status)
	}

	// A new version appears and the limit is raised: the spec change syncs at once; the new version is
	// preferred over older ones, and the limit holds.
	reg.push(t, nil, "team/aim-a", "1.2.0", "1.3.0")
	cur, _ := o.client.AimV1alpha1().AIMClusterModelSources().Get(bg, name, metav1.GetOptions{})
	cur.Spec.MaxModels = ip(3)
	if _, err := o.client.AimV1alpha1().AIMClusterModelSources().Update(bg, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s = o.waitSource(t, name, "limit reached at 3", func(s *aimv1.AIMClusterModelSource) bool {
		return s.Status.ObservedGeneration == s.Generation && s.Status.ModelsLimitReached && s.Status.DiscoveredModels == 3
	})
	if got := condStr(s.Status.Conditions, "MaxModelsLimitReached"); got != "True/LimitReached/Limit reached: 3 created, 4 available" {
		t.Errorf("MaxModelsLimitReached = %s", got)
	}
	images = nil
	for _, m := range o.models(t, name) {
		images = append(images, m.Spec.Image)
	}
	want = []string{reg.host + "/team/aim-a:1.0.0", reg.host + "/team/aim-a:1.3.0", reg.host + "/team/aim-b:2.0.0"}
	if strings.Join(images, ",") != strings.Join(want, ",") {
		t.Errorf("after the second sync: %v, want %v", images, want)
	}

	// Deleting the source garbage-collects its models (they are owned).
	if err := o.client.AimV1alpha1().AIMClusterModelSources().Delete(bg, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "models garbage-collected", func() (bool, string) {
		n := len(o.models(t, name))
		return n == 0, fmt.Sprintf("%d models left", n)
	})
}

// A private registry. A missing pull secret is skipped (as k8schain does): the registry is read anonymously,
// refuses, and every filter fails (AllFiltersFailed, an explicit state: no SecretNotFound, no
// ConfigValid=False). Once the secret exists in the operator namespace, the next sync (triggered here by a
// spec change) authenticates and creates the model; the filter the registry rejects degrades the source.
// A malformed secret fails every filter without a registry request.
func TestPullSecretAndFilterFailures(t *testing.T) {
	o := startOperator(t)
	reg := newRegistry(t, "robot", "s3cret")
	kc := staticKeychain{"robot", "s3cret"}
	reg.push(t, kc, "private/model", "1.0.0")
	secret := uniq("regcred")

	name := uniq("private")
	src := &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: aimv1.AIMClusterModelSourceSpec{Registry: reg.host,
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: secret}},
			Filters:          []aimv1.AIMModelSourceFilter{{Image: "private/model"}, {Image: "private/missing"}}}}
	if _, err := o.client.AimV1alpha1().AIMClusterModelSources().Create(bg, src, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.client.AimV1alpha1().AIMClusterModelSources().Delete(bg, name, metav1.DeleteOptions{}) })
	before := reg.requests.Load()
	s := o.waitSource(t, name, "Failed without the secret", func(s *aimv1.AIMClusterModelSource) bool {
		return s.Status.Status == "Failed"
	})
	for typ, want := range map[string]string{
		"FiltersReady": "False/AllFiltersFailed/All 2 filters failed",
		"Ready":        "False/AllFiltersFailed/Component Filters is not ready: All 2 filters failed",
	} {
		if got := condStr(s.Status.Conditions, typ); got != want {
			t.Errorf("%s = %s, want %s", typ, got, want)
		}
	}
	for _, typ := range []string{"ConfigValid", "DependenciesReachable"} {
		if got := condStr(s.Status.Conditions, typ); strings.HasPrefix(got, "False") {
			t.Errorf("%s = %s", typ, got)
		}
	}
	if s.Status.LastSyncTime == nil || reg.requests.Load() == before || len(o.models(t, name)) != 0 {
		t.Errorf("the anonymous sync: lastSyncTime %v, requests %d→%d", s.Status.LastSyncTime, before, reg.requests.Load())
	}

	cfgJSON := fmt.Sprintf(`{"auths":{%q:{"username":"robot","password":"s3cret"}}}`, reg.host)
	if _, err := o.kube.CoreV1().Secrets(systemNS).Create(bg, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secret},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(cfgJSON)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.kube.CoreV1().Secrets(systemNS).Delete(bg, secret, metav1.DeleteOptions{}) })
	// Secrets are not watched (not cached); a spec change syncs now instead of at the interval.
	patch := []byte(`{"spec":{"maxModels":5}}`)
	if _, err := o.client.AimV1alpha1().AIMClusterModelSources().Patch(bg, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	s = o.waitSource(t, name, "Degraded after the authenticated sync", func(s *aimv1.AIMClusterModelSource) bool {
		return s.Status.Status == "Degraded" && s.Status.LastSyncTime != nil && s.Status.DiscoveredModels == 1
	})
	for typ, want := range map[string]string{
		"FiltersReady": "False/SomeFiltersFailed/1 of 2 filters had errors",
		"Ready":        "False/SomeFiltersFailed/Component Filters is not ready: 1 of 2 filters had errors",
	} {
		if got := condStr(s.Status.Conditions, typ); got != want {
			t.Errorf("%s = %s, want %s", typ, got, want)
		}
	}
	models := o.models(t, name)
	if len(models) != 1 || models[0].Spec.Image != reg.host+"/private/model:1.0.0" ||
		len(models[0].Spec.ImagePullSecrets) != 1 || models[0].Spec.ImagePullSecrets[0].Name != secret {
		t.Errorf("models: %+v", models)
	}
	// Events come from the conditions only (catalogue §5): the FiltersReady verdicts, Warning.
	eventually(t, 10*time.Second, "condition events", func() (bool, string) {
		evs, err := o.kube.CoreV1().Events("").List(bg, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return false, err.Error()
		}
		seen := map[string]bool{}
		var all []string
		for _, e := range evs.Items {
			seen[e.Type+"/"+e.Reason] = true
			all = append(all, e.Type+"/"+e.Reason)
			if e.Reason == "FilterFailed" || e.Reason == "SecretNotFound" {
				t.Errorf("event outside the contract: %s %s", e.Reason, e.Message)
			}
		}
		return seen["Warning/AllFiltersFailed"] && seen["Warning/SomeFiltersFailed"], strings.Join(all, ",")
	})

	// A malformed secret: every filter fails, the registry is not contacted.
	bad := uniq("badcred")
	if _, err := o.kube.CoreV1().Secrets(systemNS).Create(bg, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: bad},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":"x"}`)}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.kube.CoreV1().Secrets(systemNS).Delete(bg, bad, metav1.DeleteOptions{}) })
	name2 := uniq("malformed")
	src2 := &aimv1.AIMClusterModelSource{ObjectMeta: metav1.ObjectMeta{Name: name2},
		Spec: aimv1.AIMClusterModelSourceSpec{Registry: reg.host, ImagePullSecrets: []corev1.LocalObjectReference{{Name: bad}},
			Filters: []aimv1.AIMModelSourceFilter{{Image: "private/model"}}}}
	before = reg.requests.Load()
	if _, err := o.client.AimV1alpha1().AIMClusterModelSources().Create(bg, src2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.client.AimV1alpha1().AIMClusterModelSources().Delete(bg, name2, metav1.DeleteOptions{}) })
	s = o.waitSource(t, name2, "Failed on the malformed secret", func(s *aimv1.AIMClusterModelSource) bool {
		return s.Status.Status == "Failed" && s.Status.LastSyncTime != nil
	})
	if got := condStr(s.Status.Conditions, "FiltersReady"); got != "False/AllFiltersFailed/All 1 filters failed" {
		t.Errorf("FiltersReady = %s", got)
	}
	if got := condStr(s.Status.Conditions, "ConfigValid"); strings.HasPrefix(got, "False") {
		t.Errorf("ConfigValid = %s", got)
	}
	if reg.requests.Load() != before {
		t.Errorf("registry contacted with a malformed secret: %d→%d", before, reg.requests.Load())
	}
}

func ip(i int) *int { return &i }
