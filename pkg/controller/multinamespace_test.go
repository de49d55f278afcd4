package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/fake"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

func testPod(ns, name, app string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}}}
}

// podInformers returns a fake clientset holding pods in a, b and c, and an
// informer constructor over it that records the namespaces asked for.
func podInformers(t *testing.T) (*fake.Clientset, func(string) cache.SharedIndexInformer, *[]string) {
	t.Helper()
	client := fake.NewClientset(
		testPod("a", "x", "web"), testPod("a", "y", "db"), testPod("b", "x", "web"), testPod("c", "x", "web"))
	var asked []string
	return client, func(ns string) cache.SharedIndexInformer {
		asked = append(asked, ns)
		return NewInformer[*corev1.PodList](client.CoreV1().Pods(ns), &corev1.Pod{}, CacheOptions{Clientset: client})
	}, &asked
}

// recorder is an event handler that records the keys of added objects.
type recorder struct {
	mu    sync.Mutex
	added []string
}

func (r *recorder) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		k, _ := cache.MetaNamespaceKeyFunc(obj)
		r.mu.Lock()
		r.added = append(r.added, k)
		r.mu.Unlock()
	}}
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.added)
	slices.Sort(out)
	return out
}

func sortedKeys(items []any) []string {
	var out []string
	for _, it := range items {
		k, _ := cache.MetaNamespaceKeyFunc(it)
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mnEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const byApp = "byApp"

func appIndex(obj any) ([]string, error) {
	return []string{obj.(*corev1.Pod).Labels["app"]}, nil
}

func TestMultiNamespaceInformerReadsOnlyItsNamespaces(t *testing.T) {
	client, newInf, asked := podInformers(t)
	inf := NewMultiNamespaceInformer([]string{"a", "b", "a"}, newInf)
	if !slices.Equal(*asked, []string{"a", "b"}) {
		t.Fatalf("members built for %v, want [a b]", *asked)
	}
	if err := inf.AddIndexers(cache.Indexers{byApp: appIndex}); err != nil {
		t.Fatal(err)
	}
	if err := inf.SetTransform(func(obj any) (any, error) {
		p := obj.(*corev1.Pod)
		p.Annotations = map[string]string{"transformed": "yes"}
		return p, nil
	}); err != nil {
		t.Fatal(err)
	}
	var watchErrs atomic.Int32
	if err := inf.SetWatchErrorHandler(func(*cache.Reflector, error) { watchErrs.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := inf.SetWatchErrorHandlerWithContext(func(context.Context, *cache.Reflector, error) { watchErrs.Add(1) }); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	reg, err := inf.AddEventHandler(rec.handler())
	if err != nil {
		t.Fatal(err)
	}
	if inf.HasSynced() || reg.HasSynced() || inf.GetController().HasSynced() {
		t.Fatal("synced before running")
	}

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { inf.RunWithContext(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	if !cache.WaitFor(ctx, "pods", inf.HasSyncedChecker(), reg.HasSyncedChecker()) {
		t.Fatal("no sync")
	}
	if !inf.HasSynced() || !reg.HasSynced() || !inf.GetController().HasSynced() {
		t.Fatal("HasSynced false after WaitFor")
	}
	if n := inf.HasSyncedChecker().Name(); !strings.Contains(n, "a,b") {
		t.Fatalf("checker name %q does not name the namespaces", n)
	}
	if inf.IsStopped() {
		t.Fatal("stopped while running")
	}

	want := []string{"a/x", "a/y", "b/x"}
	store := inf.GetStore()
	if got := sortedKeys(store.List()); !slices.Equal(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	keys := store.ListKeys()
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Fatalf("ListKeys = %v, want %v", keys, want)
	}
	if obj, ok, err := store.GetByKey("a/x"); err != nil || !ok || obj.(*corev1.Pod).Annotations["transformed"] != "yes" {
		t.Fatalf("GetByKey(a/x) = %v, %v, %v; want the transformed pod", obj, ok, err)
	}
	if _, ok, err := store.GetByKey("c/x"); ok || err != nil {
		t.Fatalf("GetByKey(c/x) = %v, %v; want not found", ok, err)
	}
	if _, _, err := store.GetByKey("a/b/c"); err == nil {
		t.Fatal("GetByKey of a malformed key did not fail")
	}
	if _, ok, err := store.Get(testPod("b", "x", "")); !ok || err != nil {
		t.Fatalf("Get(b/x) = %v, %v", ok, err)
	}
	if _, ok, err := store.Get(testPod("c", "x", "")); ok || err != nil {
		t.Fatalf("Get(c/x) = %v, %v; want not found", ok, err)
	}
	if _, _, err := store.Get("not an object"); err == nil {
		t.Fatal("Get of a non-object did not fail")
	}

	idx := inf.GetIndexer()
	if got, err := idx.ByIndex(cache.NamespaceIndex, "b"); err != nil || !slices.Equal(sortedKeys(got), []string{"b/x"}) {
		t.Fatalf("ByIndex(namespace, b) = %v, %v", sortedKeys(got), err)
	}
	if got, err := idx.ByIndex(cache.NamespaceIndex, "c"); err != nil || len(got) != 0 {
		t.Fatalf("ByIndex(namespace, c) = %v, %v; want nothing", got, err)
	}
	if got, err := idx.IndexKeys(cache.NamespaceIndex, "a"); err != nil || len(got) != 2 {
		t.Fatalf("IndexKeys(namespace, a) = %v, %v", got, err)
	}
	if got, err := idx.IndexKeys(cache.NamespaceIndex, "c"); err != nil || len(got) != 0 {
		t.Fatalf("IndexKeys(namespace, c) = %v, %v", got, err)
	}
	if got, err := idx.ByIndex(byApp, "web"); err != nil || !slices.Equal(sortedKeys(got), []string{"a/x", "b/x"}) {
		t.Fatalf("ByIndex(byApp, web) = %v, %v; want a/x and b/x", sortedKeys(got), err)
	}
	if got, err := idx.IndexKeys(byApp, "web"); err != nil || len(got) != 2 {
		t.Fatalf("IndexKeys(byApp, web) = %v, %v", got, err)
	}
	if got, err := idx.Index(byApp, testPod("z", "z", "web")); err != nil || !slices.Equal(sortedKeys(got), []string{"a/x", "b/x"}) {
		t.Fatalf("Index(byApp, web pod) = %v, %v", sortedKeys(got), err)
	}
	vals := idx.ListIndexFuncValues(byApp)
	slices.Sort(vals)
	if !slices.Equal(vals, []string{"db", "web"}) {
		t.Fatalf("ListIndexFuncValues(byApp) = %v, want [db web] without duplicates", vals)
	}
	if _, ok := idx.GetIndexers()[byApp]; !ok {
		t.Fatal("GetIndexers lacks the added index")
	}
	for name, call := range map[string]func() error{
		"ByIndex":           func() error { _, err := idx.ByIndex("nope", "v"); return err },
		"IndexKeys":         func() error { _, err := idx.IndexKeys("nope", "v"); return err },
		"Index":             func() error { _, err := idx.Index("nope", testPod("a", "x", "")); return err },
		"ByIndex routed":    func() error { _, err := inf.GetIndexer().ByIndex(cache.NamespaceIndex, "c"); return err },
		"store AddIndexers": func() error { return idx.AddIndexers(cache.Indexers{"byName": cache.MetaNamespaceIndexFunc}) },
	} {
		err := call()
		if wantErr := name != "ByIndex routed" && name != "store AddIndexers"; (err != nil) != wantErr {
			t.Errorf("%s: err = %v, want error %v", name, err, wantErr)
		}
	}

	lister := corev1listers.NewPodLister(inf.GetIndexer())
	if p, err := lister.Pods("a").Get("y"); err != nil || p.Name != "y" {
		t.Fatalf("lister a/y = %v, %v", p, err)
	}
	if _, err := lister.Pods("c").Get("x"); !apierrors.IsNotFound(err) {
		t.Fatalf("lister c/x err = %v, want NotFound", err)
	}
	if ps, err := lister.Pods("b").List(labels.Everything()); err != nil || len(ps) != 1 {
		t.Fatalf("lister b list = %v, %v", ps, err)
	}
	if ps, err := lister.List(labels.SelectorFromSet(labels.Set{"app": "web"})); err != nil || len(ps) != 2 {
		t.Fatalf("lister list app=web = %v, %v", ps, err)
	}

	mnEventually(t, "initial adds", func() bool { return slices.Equal(rec.keys(), want) })

	// Later adds arrive from both namespaces, never from c.
	for _, p := range []*corev1.Pod{testPod("c", "new", ""), testPod("b", "new", "")} {
		if _, err := client.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mnEventually(t, "b/new", func() bool { return slices.Contains(rec.keys(), "b/new") })
	if slices.Contains(rec.keys(), "c/new") || slices.Contains(store.ListKeys(), "c/new") {
		t.Fatal("an object of the unwatched namespace c reached the cache or the handler")
	}

	// After the handler is shut down it sees nothing more; another one still does.
	other := &recorder{}
	reg2, err := inf.AddEventHandlerWithResyncPeriod(other.handler(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.ShutDownEventHandler(inf, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Pods("a").Create(ctx, testPod("a", "late", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mnEventually(t, "a/late at the other handler", func() bool { return slices.Contains(other.keys(), "a/late") })
	if slices.Contains(rec.keys(), "a/late") {
		t.Fatal("removed handler still received events")
	}
	if err := inf.RemoveEventHandler(reg); err != nil {
		t.Fatalf("second removal not idempotent: %v", err)
	}
	if err := inf.RemoveEventHandler(reg2); err != nil {
		t.Fatal(err)
	}
	if err := inf.SetTransform(nil); err == nil {
		t.Fatal("SetTransform after start did not fail")
	}
	if err := inf.SetWatchErrorHandler(nil); err == nil {
		t.Fatal("SetWatchErrorHandler after start did not fail")
	}
	if n := watchErrs.Load(); n != 0 {
		t.Fatalf("%d watch errors against the fake clientset", n)
	}

	cancel()
	<-stopped
	if !inf.IsStopped() {
		t.Fatal("IsStopped false after Run returned")
	}
	if _, err := inf.AddEventHandlerWithOptions(rec.handler(), cache.HandlerOptions{}); err == nil {
		t.Fatal("AddEventHandler on a stopped informer did not fail")
	}
	if err := inf.AddIndexers(cache.Indexers{"late": appIndex}); err == nil {
		t.Fatal("AddIndexers on a stopped informer did not fail")
	}
}

func TestMultiNamespaceInformerOneOrAllNamespaces(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a", "", "b"}, ""}, {[]string{"a"}, "a"}, {[]string{"a", "a"}, "a"}} {
		_, newInf, asked := podInformers(t)
		var built cache.SharedIndexInformer
		got := NewMultiNamespaceInformer(tc.in, func(ns string) cache.SharedIndexInformer {
			built = newInf(ns)
			return built
		})
		if got != built || !slices.Equal(*asked, []string{tc.want}) {
			t.Errorf("%q: built %q, returned the member itself: %v", tc.in, *asked, got == built)
		}
	}
}

func TestMultiNamespaceInformerRunStopChannel(t *testing.T) {
	_, newInf, _ := podInformers(t)
	inf := NewMultiNamespaceInformer([]string{"a", "b"}, newInf)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { inf.Run(stop); close(done) }()
	mnEventually(t, "sync", inf.HasSynced)
	ctrl := inf.GetController()
	ctrl.Run(stop) // deprecated no-op: must not block or start anything
	ctrl.RunWithContext(context.Background())
	if !cache.IsDone(ctrl.HasSyncedChecker()) || ctrl.LastSyncResourceVersion() != "" || inf.LastSyncResourceVersion() != "" {
		t.Fatal("controller view disagrees with the informer")
	}
	close(stop)
	<-done
}

func TestMultiNamespaceStoreWritesRouteByNamespace(t *testing.T) {
	_, newInf, _ := podInformers(t)
	inf := NewMultiNamespaceInformer([]string{"a", "b"}, newInf)
	m := inf.(*multiNamespaceInformer)
	store := inf.GetStore()

	if err := store.Add(testPod("a", "p", "v1")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.members["a"].GetStore().GetByKey("a/p"); !ok {
		t.Fatal("Add did not reach the member of namespace a")
	}
	if err := store.Update(testPod("a", "p", "v2")); err != nil {
		t.Fatal(err)
	}
	if obj, _, _ := store.GetByKey("a/p"); obj.(*corev1.Pod).Labels["app"] != "v2" {
		t.Fatal("Update not applied")
	}
	if err := store.Add(testPod("c", "p", "")); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Fatalf("Add in an unwatched namespace: err = %v", err)
	}
	if err := store.Add(42); err == nil {
		t.Fatal("Add of a non-object did not fail")
	}
	if err := store.Delete(cache.DeletedFinalStateUnknown{Key: "a/p", Obj: testPod("a", "p", "")}); err != nil {
		t.Fatal(err)
	}
	if len(store.List()) != 0 {
		t.Fatal("Delete did not remove the object")
	}

	if err := store.Replace([]any{testPod("a", "1", ""), testPod("b", "2", "")}, "7"); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(store.List()); !slices.Equal(got, []string{"a/1", "b/2"}) {
		t.Fatalf("after Replace: %v", got)
	}
	if err := store.Replace([]any{testPod("b", "3", ""), testPod("c", "4", "")}, "8"); err == nil {
		t.Fatal("Replace with an unwatched namespace did not fail")
	}
	if err := store.Replace([]any{"junk"}, "8"); err == nil {
		t.Fatal("Replace with a non-object did not fail")
	}
	if got := sortedKeys(store.List()); !slices.Equal(got, []string{"a/1", "b/2"}) {
		t.Fatalf("a failed Replace changed the cache: %v", got)
	}
	if err := store.Replace([]any{testPod("b", "3", "")}, "9"); err != nil {
		t.Fatal(err)
	}
	if got := store.ListKeys(); !slices.Equal(got, []string{"b/3"}) {
		t.Fatalf("Replace did not empty namespace a: %v", got)
	}
	if err := store.Resync(); err != nil {
		t.Fatal(err)
	}
	store.Bookmark("10")
	if rv := store.LastStoreSyncResourceVersion(); rv != "" {
		t.Fatalf("LastStoreSyncResourceVersion = %q", rv)
	}
}

// failingInformer fails AddEventHandler and counts removals, to check that a
// handler is registered on all members or none.
type failingInformer struct {
	cache.SharedIndexInformer
	fail    bool
	removed int
}

func (f *failingInformer) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	if f.fail {
		return nil, errors.New("refused")
	}
	return f.SharedIndexInformer.AddEventHandler(h)
}

func (f *failingInformer) RemoveEventHandler(r cache.ResourceEventHandlerRegistration) error {
	f.removed++
	return f.SharedIndexInformer.RemoveEventHandler(r)
}

func TestMultiNamespaceInformerHandlerAllOrNothing(t *testing.T) {
	_, newInf, _ := podInformers(t)
	members := map[string]*failingInformer{}
	inf := NewMultiNamespaceInformer([]string{"a", "b"}, func(ns string) cache.SharedIndexInformer {
		members[ns] = &failingInformer{SharedIndexInformer: newInf(ns), fail: ns == "b"}
		return members[ns]
	})
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{}); err == nil {
		t.Fatal("AddEventHandler did not report the member's failure")
	}
	if members["a"].removed != 1 {
		t.Fatalf("the registration on a was removed %d times, want 1", members["a"].removed)
	}

	other := NewMultiNamespaceInformer([]string{"a", "b"}, newInf)
	reg, err := other.AddEventHandler(cache.ResourceEventHandlerFuncs{})
	if err != nil {
		t.Fatal(err)
	}
	if err := inf.RemoveEventHandler(reg); err == nil {
		t.Fatal("removing another informer's registration did not fail")
	}
	single := newInf("a")
	sreg, _ := single.AddEventHandler(cache.ResourceEventHandlerFuncs{})
	if err := inf.RemoveEventHandler(sreg); err == nil {
		t.Fatal("removing a plain informer's registration did not fail")
	}
}

func TestMultiNamespaceIndexerWithoutNamespaceIndex(t *testing.T) {
	client := fake.NewClientset()
	inf := NewMultiNamespaceInformer([]string{"a", "b"}, func(ns string) cache.SharedIndexInformer {
		lw := cache.NewListWatchFromClient(client.CoreV1().RESTClient(), "pods", ns, nil)
		return cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})
	})
	idx := inf.GetIndexer()
	// A routed query for an unwatched namespace still reports the missing index.
	if _, err := idx.ByIndex(cache.NamespaceIndex, "c"); err == nil {
		t.Fatal("ByIndex on a missing namespace index did not fail")
	}
	if _, err := idx.IndexKeys(cache.NamespaceIndex, "c"); err == nil {
		t.Fatal("IndexKeys on a missing namespace index did not fail")
	}
	if _, _, err := idx.Get(cache.DeletedFinalStateUnknown{Key: "a/b/c"}); err == nil {
		t.Fatal("Get with a malformed tombstone key did not fail")
	}
}
