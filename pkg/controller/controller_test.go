package controller

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
)

var deploymentGK = schema.GroupKind{Group: "apps", Kind: "Deployment"}

func noop(context.Context, Key) (Result, error) { return Result{}, nil }

func newTestController(t *testing.T, o Options) *Controller {
	t.Helper()
	if o.Name == "" {
		o.Name = "test"
	}
	if o.Reconcile == nil {
		o.Reconcile = noop
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.queue.ShutDown)
	return c
}

// keys pops everything currently in the queue (without waiting).
func keys(q workqueue.TypedRateLimitingInterface[Key]) []Key {
	var out []Key
	for q.Len() > 0 {
		k, _ := q.Get()
		q.Done(k)
		out = append(out, k)
	}
	return out
}

func waitLen(t *testing.T, q workqueue.TypedInterface[Key], n int) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 5*time.Second, true,
		func(context.Context) (bool, error) { return q.Len() == n, nil })
	if err != nil {
		t.Fatalf("queue length = %d, want %d", q.Len(), n)
	}
}

func startFactory(t *testing.T, f informers.SharedInformerFactory) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("%v did not sync", typ)
		}
	}
}

func ownedPod(name string, ref *metav1.OwnerReference) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: "1"}}
	if ref != nil {
		p.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	return p
}

func controllerRef(apiVersion, kind, name string, uid types.UID) *metav1.OwnerReference {
	yes := true
	return &metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &yes}
}

func TestOwnsEnqueuesControllingOwnerOnlyWithMatchingUID(t *testing.T) {
	web := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "uid-web"}}
	client := fake.NewClientset(web)
	f := informers.NewSharedInformerFactory(client, 0)
	c := newTestController(t, Options{})
	if err := c.For(f.Apps().V1().Deployments().Informer(), deploymentGK, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Owns(f.Core().V1().Pods().Informer()); err != nil {
		t.Fatal(err)
	}
	startFactory(t, f)
	waitLen(t, c.queue, 1) // the primary's initial add
	if got := keys(c.queue); len(got) != 1 || got[0] != NewKey("ns", "web") {
		t.Fatalf("initial keys = %v", got)
	}

	notController := controllerRef("apps/v1", "Deployment", "web", "uid-web")
	notController.Controller = nil
	cases := []struct {
		name string
		ref  *metav1.OwnerReference
		want bool
	}{
		{"matching controller ref", controllerRef("apps/v1", "Deployment", "web", "uid-web"), true},
		{"other API version of the same group", controllerRef("apps/v1beta1", "Deployment", "web", "uid-web"), true},
		{"stale UID (owner re-created under the same name)", controllerRef("apps/v1", "Deployment", "web", "uid-old"), false},
		{"owner not in cache", controllerRef("apps/v1", "Deployment", "gone", "uid-gone"), false},
		{"other kind", controllerRef("apps/v1", "StatefulSet", "web", "uid-web"), false},
		{"other group", controllerRef("example.com/v1", "Deployment", "web", "uid-web"), false},
		{"owner ref without controller=true", notController, false},
		{"no owner", nil, false},
	}
	h := newHandler(c.queue, c.ownerKeys, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.OnAdd(ownedPod("p", tc.ref), false)
			got := keys(c.queue)
			if tc.want != (len(got) == 1 && got[0] == NewKey("ns", "web")) || len(got) > 1 {
				t.Fatalf("keys = %v, want enqueue=%v", got, tc.want)
			}
		})
	}

	// Through the real informer: a created owned pod enqueues its owner.
	_, err := client.CoreV1().Pods("ns").Create(context.Background(),
		ownedPod("real", controllerRef("apps/v1", "Deployment", "web", "uid-web")), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitLen(t, c.queue, 1)
	if got := keys(c.queue); got[0] != NewKey("ns", "web") {
		t.Fatalf("keys = %v", got)
	}
}

func TestOwnsClusterScopedPrimaryUsesEmptyNamespace(t *testing.T) {
	primary := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "owner", UID: "u1"}}
	client := fake.NewClientset(primary)
	f := informers.NewSharedInformerFactory(client, 0)
	c := newTestController(t, Options{})
	if err := c.For(f.Core().V1().Namespaces().Informer(), schema.GroupKind{Kind: "Namespace"}, true); err != nil {
		t.Fatal(err)
	}
	startFactory(t, f)
	keys(c.queue)
	got := c.ownerKeys(ownedPod("p", controllerRef("v1", "Namespace", "owner", "u1")))
	if len(got) != 1 || got[0] != NewKey("", "owner") {
		t.Fatalf("keys = %v, want [owner]", got)
	}
}

func TestOwnsNeedsFor(t *testing.T) {
	c := newTestController(t, Options{})
	f := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	if err := c.Owns(f.Core().V1().Pods().Informer()); err == nil {
		t.Fatal("Owns before For: want error")
	}
}

func TestResyncUpdateIsDropped(t *testing.T) {
	q := workqueue.NewTypedDelayingQueue[Key]()
	defer q.ShutDown()
	h := newHandler(q, func(o metav1.Object) []Key { return []Key{NewKey(o.GetNamespace(), o.GetName())} }, nil)
	old := ownedPod("p", nil)
	same := old.DeepCopy()
	h.OnUpdate(old, same)
	if q.Len() != 0 {
		t.Fatalf("resync (same resourceVersion) enqueued %d keys", q.Len())
	}
	changed := old.DeepCopy()
	changed.ResourceVersion = "2"
	h.OnUpdate(old, changed)
	if q.Len() != 1 {
		t.Fatalf("real update enqueued %d keys, want 1", q.Len())
	}
}

func TestUpdateMapsOldAndNewObject(t *testing.T) {
	q := workqueue.NewTypedDelayingQueue[Key]()
	defer q.ShutDown()
	byLabel := func(o metav1.Object) []Key { return []Key{NewKey(o.GetNamespace(), o.GetLabels()["owner"])} }
	h := newHandler(q, byLabel, nil)
	old := ownedPod("p", nil)
	old.Labels = map[string]string{"owner": "a"}
	moved := old.DeepCopy()
	moved.ResourceVersion, moved.Labels = "2", map[string]string{"owner": "b"}
	h.OnUpdate(old, moved)
	if q.Len() != 2 {
		t.Fatalf("got %d keys, want both the old and the new primary", q.Len())
	}
}

func TestFilters(t *testing.T) {
	q := workqueue.NewTypedDelayingQueue[Key]()
	defer q.ShutDown()
	self := func(o metav1.Object) []Key { return []Key{NewKey(o.GetNamespace(), o.GetName())} }
	h := newHandler(q, self, []WatchOption{
		WithFilter(func(o metav1.Object) bool { return o.GetLabels()["watch"] == "yes" }),
		WithUpdateFilter(func(o, n metav1.Object) bool { return o.GetLabels()["phase"] != n.GetLabels()["phase"] }),
	})
	ignored := ownedPod("ignored", nil)
	h.OnAdd(ignored, false)
	if q.Len() != 0 {
		t.Fatal("filtered-out add was enqueued")
	}
	p := ownedPod("p", nil)
	p.Labels = map[string]string{"watch": "yes", "phase": "a"}
	sameLabels := p.DeepCopy()
	sameLabels.ResourceVersion = "2"
	h.OnUpdate(p, sameLabels)
	if q.Len() != 0 {
		t.Fatal("update rejected by the update filter was enqueued")
	}
	newPhase := sameLabels.DeepCopy()
	newPhase.ResourceVersion, newPhase.Labels["phase"] = "3", "b"
	h.OnUpdate(sameLabels, newPhase)
	if q.Len() != 1 {
		t.Fatalf("phase change enqueued %d keys, want 1", q.Len())
	}
}

func TestDeleteTombstoneIsUnwrapped(t *testing.T) {
	web := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "uid-web"}}
	f := informers.NewSharedInformerFactory(fake.NewClientset(web), 0)
	c := newTestController(t, Options{})
	if err := c.For(f.Apps().V1().Deployments().Informer(), deploymentGK, false); err != nil {
		t.Fatal(err)
	}
	startFactory(t, f)
	keys(c.queue)
	h := newHandler(c.queue, c.ownerKeys, nil)
	pod := ownedPod("p", controllerRef("apps/v1", "Deployment", "web", "uid-web"))
	h.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/p", Obj: pod})
	if got := keys(c.queue); len(got) != 1 || got[0] != NewKey("ns", "web") {
		t.Fatalf("tombstone delete: keys = %v", got)
	}
	h.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/p", Obj: nil}) // must not panic
	if q := c.queue.Len(); q != 0 {
		t.Fatalf("empty tombstone enqueued %d", q)
	}
}

func TestMapByIndex(t *testing.T) {
	// Primaries: ConfigMaps that reference a "template" Pod by name in data.
	const idx = "template"
	cms := []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "svc1"}, Data: map[string]string{"template": "t1"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "svc2"}, Data: map[string]string{"template": "t1"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "svc3"}, Data: map[string]string{"template": "t2"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "svc4"}, Data: map[string]string{"template": "t1"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "svc5"}},
	}
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.ConfigMap{}, 0, cache.Indexers{
		idx: IndexBy(func(o metav1.Object) []string {
			return []string{IndexValue(o.GetNamespace(), o.(*corev1.ConfigMap).Data["template"])}
		}),
	})
	// An empty reference must not be indexed.
	if err := inf.AddIndexers(cache.Indexers{"ref": IndexBy(func(o metav1.Object) []string {
		return []string{o.(*corev1.ConfigMap).Data["template"]}
	})}); err != nil {
		t.Fatal(err)
	}
	for _, cm := range cms {
		if err := inf.GetIndexer().Add(cm); err != nil {
			t.Fatal(err)
		}
	}
	if vals, _ := inf.GetIndexer().IndexKeys("ref", ""); len(vals) != 0 {
		t.Fatalf("empty value indexed: %v", vals)
	}
	mapFn := MapByIndex(inf.GetIndexer(), idx, func(o metav1.Object) []string {
		return []string{IndexValue(o.GetNamespace(), o.GetName())}
	})
	got := mapFn(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "t1"}})
	want := map[Key]bool{NewKey("a", "svc1"): true, NewKey("a", "svc2"): true}
	if len(got) != len(want) {
		t.Fatalf("MapByIndex = %v, want %v", got, want)
	}
	for _, k := range got {
		if !want[k] {
			t.Fatalf("MapByIndex = %v, want %v", got, want)
		}
	}

	all := MapAll(inf.GetIndexer(), true)(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "x"}})
	if len(all) != 1 || all[0] != NewKey("b", "svc4") {
		t.Fatalf("MapAll(sameNamespace) = %v", all)
	}
	if n := len(MapAll(inf.GetIndexer(), false)(&corev1.Pod{})); n != len(cms) {
		t.Fatalf("MapAll = %d keys, want %d", n, len(cms))
	}
	byLabel := MapToKey(func(o metav1.Object) (string, string) { return o.GetNamespace(), o.GetLabels()["svc"] })
	if k := byLabel(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "a"}}); len(k) != 0 {
		t.Fatalf("MapToKey with empty name = %v", k)
	}
}

// recordingMetrics captures what a controller reports.
type recordingMetrics struct {
	mu         sync.Mutex
	results    []string
	categories []string
}

func (r *recordingMetrics) ObserveReconcile(_, result string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, result)
}

func (r *recordingMetrics) ObserveError(_, category string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.categories = append(r.categories, category)
}

type categorized struct{ error }

func (categorized) Category() string { return "dependency" }

func TestResultSemantics(t *testing.T) {
	key := NewKey("ns", "obj")
	cases := []struct {
		name         string
		res          Result
		err          error
		wantRequeues int           // NumRequeues after processing
		wantBackIn   time.Duration // key is back in the queue after this much fake time; 0 = never
		wantResult   string
		wantCategory string
	}{
		{"success forgets", Result{}, nil, 0, 0, "success", ""},
		{"error is rate limited", Result{}, errors.New("boom"), 1, time.Second, "error", "transient"},
		{"error ignores RequeueAfter", Result{RequeueAfter: time.Hour}, errors.New("boom"), 1, time.Second, "error", "transient"},
		{"conflict category", Result{}, apierrors.NewConflict(schema.GroupResource{Resource: "x"}, "obj", errors.New("c")), 1, time.Second, "error", "conflict"},
		{"categorized error", Result{}, categorized{errors.New("dep")}, 1, time.Second, "error", "dependency"},
		{"terminal error forgets", Result{}, Terminal(errors.New("bad spec")), 0, 0, "terminal", "terminal"},
		{"requeue is rate limited", Result{Requeue: true}, nil, 1, time.Second, "requeue", ""},
		{"requeueAfter forgets and delays", Result{RequeueAfter: 5 * time.Second}, nil, 0, 5 * time.Second, "requeue_after", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Now())
			m := &recordingMetrics{}
			c := newTestController(t, Options{
				Clock:       clk,
				Metrics:     m,
				RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[Key](time.Second, time.Minute),
				Reconcile:   func(context.Context, Key) (Result, error) { return tc.res, tc.err },
			})
			c.processKey(context.Background(), key)
			if got := c.queue.NumRequeues(key); got != tc.wantRequeues {
				t.Errorf("NumRequeues = %d, want %d", got, tc.wantRequeues)
			}
			if c.queue.Len() != 0 {
				t.Fatalf("key re-added immediately")
			}
			if tc.wantBackIn > 0 {
				clk.Step(tc.wantBackIn - time.Millisecond)
				time.Sleep(20 * time.Millisecond)
				if c.queue.Len() != 0 {
					t.Fatalf("key back before %v", tc.wantBackIn)
				}
				clk.Step(time.Millisecond)
				waitLen(t, c.queue, 1)
			} else {
				clk.Step(time.Hour)
				time.Sleep(20 * time.Millisecond)
				if c.queue.Len() != 0 {
					t.Fatalf("key re-added, want never")
				}
			}
			if len(m.results) != 1 || m.results[0] != tc.wantResult {
				t.Errorf("results = %v, want %s", m.results, tc.wantResult)
			}
			if tc.wantCategory == "" && len(m.categories) != 0 || tc.wantCategory != "" && (len(m.categories) != 1 || m.categories[0] != tc.wantCategory) {
				t.Errorf("categories = %v, want %q", m.categories, tc.wantCategory)
			}
		})
	}
}

func TestRepeatedErrorsBackOffExponentially(t *testing.T) {
	key := NewKey("", "obj")
	c := newTestController(t, Options{
		RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[Key](time.Second, 4*time.Second),
		Reconcile:   func(context.Context, Key) (Result, error) { return Result{}, errors.New("boom") },
	})
	lim := workqueue.NewTypedItemExponentialFailureRateLimiter[Key](time.Second, 4*time.Second)
	var want []time.Duration
	for range 4 {
		want = append(want, lim.When(key))
	}
	if want[0] != time.Second || want[1] != 2*time.Second || want[2] != 4*time.Second || want[3] != 4*time.Second {
		t.Fatalf("limiter delays = %v", want)
	}
	for i := range 4 {
		c.processKey(context.Background(), key)
		if got := c.queue.NumRequeues(key); got != i+1 {
			t.Fatalf("after %d failures NumRequeues = %d", i+1, got)
		}
	}
}

func TestPanicIsRecoveredAndRetried(t *testing.T) {
	m := &recordingMetrics{}
	c := newTestController(t, Options{Metrics: m, Reconcile: func(context.Context, Key) (Result, error) { panic("oops") }})
	c.processKey(context.Background(), NewKey("", "x"))
	if c.queue.NumRequeues(NewKey("", "x")) != 1 || len(m.categories) != 1 || m.categories[0] != "panic" {
		t.Fatalf("requeues=%d categories=%v", c.queue.NumRequeues(NewKey("", "x")), m.categories)
	}
}

func TestDefaultQueueOptionsLimiterIsMaxOfBoth(t *testing.T) {
	o := QueueOptions{Workers: 1, BaseDelay: time.Millisecond, MaxDelay: time.Second, QPS: 1, Burst: 1}
	lim := o.NewRateLimiter()
	// The bucket allows one item at once, then one per second: the second
	// distinct key waits about a second although its own backoff is 1 ms.
	if d := lim.When(NewKey("", "a")); d > 10*time.Millisecond {
		t.Fatalf("first delay = %v", d)
	}
	if d := lim.When(NewKey("", "b")); d < 500*time.Millisecond {
		t.Fatalf("second key delay = %v, want the token bucket's ~1s", d)
	}
}

func TestShutdownDrainsInFlightReconciles(t *testing.T) {
	started := make(chan Key, 10)
	release := make(chan struct{})
	var mu sync.Mutex
	var finished []Key
	var ctxErrAtEnd error
	c := newTestController(t, Options{
		Queue: QueueOptions{Workers: 1, BaseDelay: time.Millisecond, MaxDelay: time.Second, QPS: 100, Burst: 100},
		Reconcile: func(ctx context.Context, k Key) (Result, error) {
			started <- k
			<-release
			mu.Lock()
			defer mu.Unlock()
			finished = append(finished, k)
			ctxErrAtEnd = ctx.Err()
			return Result{}, nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	c.Enqueue(NewKey("", "first"))
	<-started
	c.Enqueue(NewKey("", "queued")) // waits behind the single worker
	cancel()
	select {
	case err := <-runErr:
		t.Fatalf("Run returned (%v) while a reconcile was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-runErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the in-flight reconcile finished")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(finished) != 1 || finished[0] != NewKey("", "first") {
		t.Fatalf("finished = %v, want only the in-flight key", finished)
	}
	if ctxErrAtEnd != nil {
		t.Fatalf("in-flight reconcile saw a cancelled context: %v", ctxErrAtEnd)
	}
	if !c.queue.ShuttingDown() {
		t.Fatal("queue not shut down")
	}
}

func TestShutdownCancelsReconcilesAfterDrainTimeout(t *testing.T) {
	started := make(chan struct{})
	c := newTestController(t, Options{
		DrainTimeout: 50 * time.Millisecond,
		Reconcile: func(ctx context.Context, _ Key) (Result, error) {
			close(started)
			<-ctx.Done() // a reconcile stuck until cancelled
			return Result{}, ctx.Err()
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	c.Enqueue(NewKey("", "stuck"))
	<-started
	cancel()
	select {
	case <-runErr:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the drain timeout")
	}
}

func TestRunWaitsForCacheSyncAndReconciles(t *testing.T) {
	web := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "u"}}
	f := informers.NewSharedInformerFactory(fake.NewClientset(web), 0)
	got := make(chan Key, 1)
	c := newTestController(t, Options{Reconcile: func(_ context.Context, k Key) (Result, error) { got <- k; return Result{}, nil }})
	if err := c.For(f.Apps().V1().Deployments().Informer(), deploymentGK, false); err != nil {
		t.Fatal(err)
	}
	mgr := NewManager()
	mgr.Add(c)
	mgr.AddInformerFactory(f)
	if mgr.HasSynced() {
		t.Fatal("HasSynced before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()
	select {
	case k := <-got:
		if k != NewKey("ns", "web") {
			t.Fatalf("reconciled %v", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reconcile")
	}
	if !mgr.HasSynced() {
		t.Fatal("HasSynced false after a reconcile")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBatchedStatusUpdates(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Now())
	q := workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[Key]{Clock: clk})
	defer q.ShutDown()
	self := func(o metav1.Object) []Key { return []Key{NewKey(o.GetNamespace(), o.GetName())} }
	h := newHandler(q, self, []WatchOption{WithBatchedStatusUpdates(time.Second)})
	old := ownedPod("p", nil)
	old.Generation = 1
	status := old.DeepCopy()
	status.ResourceVersion = "2"
	for range 5 { // a burst of status-only updates
		h.OnUpdate(old, status)
	}
	if q.Len() != 0 {
		t.Fatal("status-only update enqueued at once")
	}
	clk.Step(time.Second)
	waitLen(t, q, 1)
	k, _ := q.Get()
	q.Done(k)
	spec := status.DeepCopy()
	spec.ResourceVersion, spec.Generation = "3", 2
	h.OnUpdate(status, spec)
	if q.Len() != 1 {
		t.Fatal("spec change not enqueued at once")
	}
}

func TestPartialQueueOptionsTakeDefaults(t *testing.T) {
	c := newTestController(t, Options{Queue: QueueOptions{Workers: 4}})
	if c.workers != 4 {
		t.Fatalf("workers = %d", c.workers)
	}
	got := QueueOptions{Workers: 4}.withDefaults()
	want := DefaultQueueOptions()
	want.Workers = 4
	if got != want {
		t.Fatalf("withDefaults = %+v, want %+v", got, want)
	}
	// A zero QPS taken literally would refuse every retry once the burst is spent.
	lim := QueueOptions{Burst: 1}.NewRateLimiter()
	lim.When(NewKey("", "a"))
	if d := lim.When(NewKey("", "b")); d > time.Second {
		t.Fatalf("second key waits %v", d)
	}
}
