package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/aimlite/aimlite/pkg/kubeclient/clientsetadapter"
)

const controller = "aim.eai.amd.com/test"

type env struct {
	cs    *fake.Clientset
	clock *clocktesting.FakeClock
	b     *Broadcaster
	rec   *Recorder
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	cs := fake.NewClientset()
	// Whole microseconds: eventTime is a MicroTime.
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 26, 9, 0, 0, 123456000, time.UTC))
	if opts.Clock == nil {
		opts.Clock = clk
	}
	if opts.ReportingInstance == "" {
		opts.ReportingInstance = "aimlite-0"
	}
	b := NewBroadcaster(clientsetadapter.New(cs).EventsV1(), opts)
	b.retryDelay = time.Millisecond
	return &env{cs: cs, clock: clk, b: b, rec: b.NewRecorder(scheme, controller)}
}

// flush writes everything queued, as Run would, but synchronously.
func (e *env) flush(t *testing.T) {
	t.Helper()
	for {
		select {
		case ev := <-e.b.queue:
			e.b.record(context.Background(), ev)
		default:
			return
		}
	}
}

// events lists the Events in the fake apiserver, oldest first.
func (e *env) events(t *testing.T) []eventsv1.Event {
	t.Helper()
	l, err := e.cs.EventsV1().Events("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].EventTime.Before(&l.Items[j].EventTime) })
	return l.Items
}

func (e *env) only(t *testing.T) eventsv1.Event {
	t.Helper()
	evs := e.events(t)
	if len(evs) != 1 {
		t.Fatalf("want 1 event, got %d: %+v", len(evs), evs)
	}
	return evs[0]
}

func configMap(rv string) *corev1.ConfigMap {
	// Empty TypeMeta, as objects from a lister have.
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "ns", UID: "uid-cm", ResourceVersion: rv}}
}

func TestTypedObjectResolvedThroughScheme(t *testing.T) {
	e := newEnv(t, Options{})
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "job", Namespace: "ns", UID: "uid-job"}}
	e.rec.Eventf(configMap("7"), job, corev1.EventTypeWarning, "Failed", "Reconcile", "pulled %d of %s", 3, "4")
	e.flush(t)

	ev := e.only(t)
	now := e.clock.Now()
	wantRegarding := corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "cm", UID: "uid-cm", ResourceVersion: "7"}
	if ev.Regarding != wantRegarding {
		t.Errorf("regarding = %+v, want %+v", ev.Regarding, wantRegarding)
	}
	wantRelated := corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: "ns", Name: "job", UID: "uid-job"}
	if ev.Related == nil || *ev.Related != wantRelated {
		t.Errorf("related = %+v, want %+v", ev.Related, wantRelated)
	}
	if want := fmt.Sprintf("cm.%x", now.UnixNano()); ev.Name != want || ev.Namespace != "ns" {
		t.Errorf("event %s/%s, want ns/%s", ev.Namespace, ev.Name, want)
	}
	if ev.Type != corev1.EventTypeWarning || ev.Reason != "Failed" || ev.Action != "Reconcile" || ev.Note != "pulled 3 of 4" {
		t.Errorf("type/reason/action/note = %q/%q/%q/%q", ev.Type, ev.Reason, ev.Action, ev.Note)
	}
	if ev.ReportingController != controller || ev.ReportingInstance != "aimlite-0" {
		t.Errorf("reporting = %q/%q", ev.ReportingController, ev.ReportingInstance)
	}
	if !ev.EventTime.Time.Equal(now) || ev.Series != nil {
		t.Errorf("eventTime = %v (want %v), series = %+v", ev.EventTime, now, ev.Series)
	}
}

func TestObjectWithTypeMetaNeedsNoScheme(t *testing.T) {
	e := newEnv(t, Options{})
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", UID: "uid-d"}}
	e.rec.Eventf(d, nil, corev1.EventTypeNormal, "Scaled", "Reconcile", "ok")
	e.flush(t)
	if ev := e.only(t); ev.Regarding.APIVersion != "apps/v1" || ev.Regarding.Kind != "Deployment" || ev.Related != nil {
		t.Errorf("regarding = %+v, related = %+v", ev.Regarding, ev.Related)
	}
}

func TestClusterScopedObjectEventsGoToDefault(t *testing.T) {
	e := newEnv(t, Options{})
	e.rec.Eventf(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team", UID: "uid-ns"}}, nil,
		corev1.EventTypeNormal, "Seen", "Reconcile", "hello")
	e.flush(t)
	ev := e.only(t)
	if ev.Namespace != metav1.NamespaceDefault || ev.Regarding.Namespace != "" || ev.Regarding.Kind != "Namespace" {
		t.Errorf("event namespace %q, regarding %+v", ev.Namespace, ev.Regarding)
	}
}

func TestRepeatsBecomeASeries(t *testing.T) {
	e := newEnv(t, Options{})
	emit := func(rv string) {
		e.rec.Eventf(configMap(rv), nil, corev1.EventTypeNormal, "Synced", "Reconcile", "all %s", "good")
		e.flush(t)
	}
	emit("1")
	first := e.only(t)

	// A new resourceVersion is still the same object.
	for i, rv := range []string{"2", "3"} {
		e.clock.Step(5 * time.Minute)
		emit(rv)
		ev := e.only(t)
		if ev.Name != first.Name {
			t.Fatalf("repeat %d created %s, want series on %s", i+1, ev.Name, first.Name)
		}
		if want := int32(i + 2); ev.Series == nil || ev.Series.Count != want || !ev.Series.LastObservedTime.Time.Equal(e.clock.Now()) {
			t.Fatalf("repeat %d: series = %+v, want count %d at %v", i+1, ev.Series, want, e.clock.Now())
		}
		if !ev.EventTime.Equal(&first.EventTime) {
			t.Errorf("eventTime changed to %v", ev.EventTime)
		}
	}

	// A different note at the same instant is another Event, with its own name.
	e.rec.Eventf(configMap("3"), nil, corev1.EventTypeNormal, "Synced", "Reconcile", "all bad")
	e.flush(t)
	if n := len(e.events(t)); n != 2 {
		t.Fatalf("different note: %d events, want 2", n)
	}

	// Six minutes after the last occurrence the series is over.
	e.clock.Step(SeriesWindow)
	emit("4")
	evs := e.events(t)
	if len(evs) != 3 {
		t.Fatalf("after the window: %d events, want 3", len(evs))
	}
	if last := evs[2]; last.Series != nil || last.Note != "all good" || last.Name == first.Name {
		t.Errorf("after the window: %s series=%+v note=%q", last.Name, last.Series, last.Note)
	}
}

func TestSeriesOnDeletedEventRecreatesIt(t *testing.T) {
	e := newEnv(t, Options{})
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "Synced", "Reconcile", "x")
	e.flush(t)
	first := e.only(t)
	if err := e.cs.EventsV1().Events("ns").Delete(context.Background(), first.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Step(time.Minute)
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "Synced", "Reconcile", "x")
	e.flush(t)
	ev := e.only(t)
	if ev.Name != first.Name || ev.Series == nil || ev.Series.Count != 2 {
		t.Errorf("recreated %s series %+v, want %s count 2", ev.Name, ev.Series, first.Name)
	}
}

func TestNoteTruncated(t *testing.T) {
	e := newEnv(t, Options{})
	long := strings.Repeat("a", MaxNoteLength-1) + "é" + strings.Repeat("b", 500)
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "Long", "Reconcile", "%s", long)
	e.flush(t)
	note := e.only(t).Note
	if note != long[:MaxNoteLength-1] || !utf8.ValidString(note) {
		t.Errorf("note of %d bytes, valid UTF-8 %v; want the %d bytes before the split rune", len(note), utf8.ValidString(note), MaxNoteLength-1)
	}

	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"}, {"abcd", 3, "abc"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"€", 2, ""},
	} {
		if got := truncate(c.in, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	e := newEnv(t, Options{QueueSize: 2})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5 {
			e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "N", "Reconcile", "n%d", i)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Eventf blocked on a full queue")
	}
	e.flush(t)
	evs := e.events(t)
	if len(evs) != 2 || evs[0].Note != "n0" || evs[1].Note != "n1" {
		t.Errorf("got %d events %+v, want n0 and n1", len(evs), evs)
	}
}

func TestUnrecordableEventsAreDropped(t *testing.T) {
	e := newEnv(t, Options{})
	cm := configMap("1")
	cases := map[string]func(){
		"unknown kind": func() {
			e.rec.Eventf(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns"}}, nil, corev1.EventTypeNormal, "R", "A", "n")
		},
		"bad type":     func() { e.rec.Eventf(cm, nil, "Info", "R", "A", "n") },
		"nil":          func() { e.rec.Eventf(nil, nil, corev1.EventTypeNormal, "R", "A", "n") },
		"typed nil":    func() { e.rec.Eventf((*corev1.ConfigMap)(nil), nil, corev1.EventTypeNormal, "R", "A", "n") },
		"nil recorder": func() { (*Recorder)(nil).Eventf(cm, nil, corev1.EventTypeNormal, "R", "A", "n") },
	}
	for name, emit := range cases {
		emit()
		if n := len(e.b.queue); n != 0 {
			t.Errorf("%s: %d events queued, want 0", name, n)
		}
	}

	// An unresolvable related object is left out, not fatal.
	e.rec.Eventf(cm, &appsv1.Deployment{}, corev1.EventTypeNormal, "R", "A", "n")
	e.flush(t)
	if ev := e.only(t); ev.Related != nil {
		t.Errorf("related = %+v, want nil", ev.Related)
	}
}

// countCalls counts verb calls on events and fails the first `fail` of them with err.
func (e *env) countCalls(verb string, fail int, err error) *int {
	calls := 0
	e.cs.PrependReactor(verb, "events", func(clienttesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls <= fail {
			return true, nil, err
		}
		return false, nil, nil
	})
	return &calls
}

func TestTransientErrorsRetriedAFewTimes(t *testing.T) {
	for name, err := range map[string]error{
		"transport": errors.New("connection refused"),
		"internal":  apierrors.NewInternalError(errors.New("etcd")),
		"throttled": apierrors.NewTooManyRequests("slow down", 1),
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Options{})
			creates := e.countCalls("create", maxAttempts-1, err)
			e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n")
			e.flush(t)
			if e.only(t); *creates != maxAttempts {
				t.Errorf("%d creates, want %d", *creates, maxAttempts)
			}
		})
	}

	e := newEnv(t, Options{})
	creates := e.countCalls("create", 100, errors.New("connection refused"))
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n")
	e.flush(t)
	if n := len(e.events(t)); *creates != maxAttempts || n != 0 || len(e.b.cache) != 0 {
		t.Errorf("always failing: %d creates (want %d), %d events, %d cached", *creates, maxAttempts, n, len(e.b.cache))
	}
}

func TestTerminatingNamespaceDoesNotSpin(t *testing.T) {
	e := newEnv(t, Options{})
	terminating := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
		Message: "namespace ns is being terminated",
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause}}},
	}}
	creates := e.countCalls("create", 100, terminating)
	patches := e.countCalls("patch", 0, nil)
	for range 3 {
		e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n")
		e.flush(t)
	}
	if *creates != 3 || *patches != 0 {
		t.Errorf("%d creates, %d patches; want one create per Eventf and no patch", *creates, *patches)
	}

	// Other rejections are final too.
	e = newEnv(t, Options{})
	creates = e.countCalls("create", 100, apierrors.NewBadRequest("no"))
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n")
	e.flush(t)
	if *creates != 1 {
		t.Errorf("bad request: %d creates, want 1", *creates)
	}
}

func TestSeriesPatchRetried(t *testing.T) {
	e := newEnv(t, Options{})
	patches := e.countCalls("patch", 1, apierrors.NewServiceUnavailable("later"))
	for range 2 {
		e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n")
		e.flush(t)
	}
	if ev := e.only(t); *patches != 2 || ev.Series == nil || ev.Series.Count != 2 {
		t.Errorf("%d patches, series %+v", *patches, ev.Series)
	}
}

func TestCacheBounded(t *testing.T) {
	e := newEnv(t, Options{})
	now := e.clock.Now()
	e.b.lastPurge = now
	for i := range maxCacheEntries {
		e.b.cache[seriesKey{note: fmt.Sprint(i)}] = &seriesEntry{event: &eventsv1.Event{}, lastSeen: now.Add(time.Duration(i) * time.Millisecond)}
	}
	e.clock.Step(time.Second)
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "new")
	e.flush(t)
	if _, ok := e.b.cache[seriesKey{note: "0"}]; ok || len(e.b.cache) != maxCacheEntries {
		t.Errorf("full cache: %d entries, oldest kept %v", len(e.b.cache), ok)
	}

	// Expired entries go at the next sweep.
	e.clock.Step(SeriesWindow + 5*time.Second)
	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "newer")
	e.flush(t)
	if len(e.b.cache) != 1 {
		t.Errorf("after the window: %d entries, want 1", len(e.b.cache))
	}
}

func TestEventNames(t *testing.T) {
	e := newEnv(t, Options{})
	now := e.clock.Now()
	a, b := e.b.eventName("x", now), e.b.eventName("x", now)
	if a != fmt.Sprintf("x.%x", now.UnixNano()) || b != fmt.Sprintf("x.%x", now.UnixNano()+1) {
		t.Errorf("names at one instant: %s, %s", a, b)
	}
	// RBAC objects may have names that are not valid Event names.
	if n := e.b.eventName("system:controller:x", now); strings.Contains(n, ":") || len(n) != 36 {
		t.Errorf("invalid base name gave %q, want a UUID", n)
	}
}

func TestDefaults(t *testing.T) {
	b := NewBroadcaster(clientsetadapter.New(fake.NewClientset()).EventsV1(), Options{})
	h, _ := os.Hostname()
	if cap(b.queue) != DefaultQueueSize || b.instance != h || b.clock == nil {
		t.Errorf("queue %d, instance %q (hostname %q), clock %v", cap(b.queue), b.instance, h, b.clock)
	}
}

func TestRunWritesUntilCancelled(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.b.Run(ctx) }()

	e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n")
	if err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 10*time.Second, true,
		func(context.Context) (bool, error) { return len(e.events(t)) == 1, nil }); err != nil {
		t.Fatalf("event not written: %v", err)
	}

	// A second Run must not share the worker state.
	second := make(chan struct{})
	go func() { defer close(second); e.b.Run(context.Background()) }()
	select {
	case <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("second Run did not return")
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunDrainsQueueOnShutdown(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 3 {
		e.rec.Eventf(configMap("1"), nil, corev1.EventTypeNormal, "R", "A", "n%d", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.b.Run(ctx)
	if n := len(e.events(t)); n != 3 {
		t.Errorf("%d events written on shutdown, want 3", n)
	}
}
