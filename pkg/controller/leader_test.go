package controller

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/aimlite/aimlite/pkg/kubeclient/clientsetadapter"
)

// electionTest drives one LeaderElector on a fake clientset and a fake clock.
type electionTest struct {
	t      *testing.T
	client *fake.Clientset
	clock  *clocktesting.FakeClock
	le     *LeaderElector

	mu      sync.Mutex
	changes []bool // OnLeadershipChange calls
}

func newElectionTest(t *testing.T, client *fake.Clientset) *electionTest {
	if client == nil {
		client = fake.NewClientset()
	}
	e := &electionTest{t: t, client: client, clock: clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	o := DefaultLeaderElectionOptions("lease") // 8 s / 6 s / 1.5 s
	o.Enabled, o.Namespace, o.Identity, o.Clock = true, "ns", "me", e.clock
	o.OnLeadershipChange = func(leading bool) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.changes = append(e.changes, leading)
	}
	e.le = NewLeaderElector(clientsetadapter.New(client).CoordinationV1(), o)
	return e
}

func (e *electionTest) leadershipChanges() []bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bool(nil), e.changes...)
}

func (e *electionTest) lease() *coordinationv1.Lease {
	e.t.Helper()
	l, err := e.client.CoordinationV1().Leases("ns").Get(context.Background(), "lease", metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get lease: %v", err)
	}
	return l
}

func (e *electionTest) holder() string { return holderOf(e.lease()) }

// advance waits until the elector is blocked on the clock (its attempt is
// done), then moves the clock by d.
func (e *electionTest) advance(d time.Duration) {
	e.t.Helper()
	eventually(e.t, "elector waits on the clock", e.clock.HasWaiters)
	e.clock.Step(d)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// An empty namespace: the lease is created with the client-go LeaseLock
// fields, renewed every RetryPeriod, and released only after the work drained.
func TestLeaderElectorAcquiresRenewsAndReleasesAfterDrain(t *testing.T) {
	e := newElectionTest(t, nil)
	t0 := e.clock.Now()
	ctx, cancel := context.WithCancel(context.Background())
	started, draining, drained := make(chan struct{}), make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.le.Run(ctx, func(rctx context.Context) {
			close(started)
			<-rctx.Done()
			close(draining)
			<-drained
		})
	}()
	receive(t, started, "leadership")
	l := e.lease()
	if !e.le.IsLeader() || holderOf(l) != "me" || *l.Spec.LeaseDurationSeconds != 8 || *l.Spec.LeaseTransitions != 0 ||
		!l.Spec.AcquireTime.Time.Equal(t0) || !l.Spec.RenewTime.Time.Equal(t0) {
		t.Fatalf("IsLeader=%v lease spec %+v", e.le.IsLeader(), l.Spec)
	}

	e.advance(1500 * time.Millisecond)
	eventually(t, "renewal", func() bool { return e.lease().Spec.RenewTime.Time.Equal(t0.Add(1500 * time.Millisecond)) })
	if l := e.lease(); !l.Spec.AcquireTime.Time.Equal(t0) || *l.Spec.LeaseTransitions != 0 {
		t.Fatalf("renewal changed acquireTime/transitions: %+v", l.Spec)
	}

	cancel()
	receive(t, draining, "work context cancelled")
	// Still draining: renewals go on and the lease stays ours.
	e.advance(1500 * time.Millisecond)
	eventually(t, "renewal while draining", func() bool { return e.lease().Spec.RenewTime.Time.Equal(t0.Add(3 * time.Second)) })
	if h := e.holder(); h != "me" || !e.le.IsLeader() {
		t.Fatalf("during drain holder=%q IsLeader=%v", h, e.le.IsLeader())
	}
	close(drained)
	if err := receive(t, done, "Run to return"); err != nil {
		t.Fatalf("clean shutdown returned %v", err)
	}
	l = e.lease()
	if holderOf(l) != "" || *l.Spec.LeaseDurationSeconds != 1 || *l.Spec.LeaseTransitions != 0 {
		t.Fatalf("lease after shutdown: %+v, want released", l.Spec)
	}
	if e.le.IsLeader() {
		t.Fatal("still leader after Run returned")
	}
	if c := e.leadershipChanges(); len(c) != 2 || !c[0] || c[1] {
		t.Fatalf("leadership changes %v, want [true false]", c)
	}
}

func putLease(t *testing.T, c *fake.Clientset, holder string, at time.Time, transitions int32) {
	t.Helper()
	secs, now := int32(8), metav1.NewMicroTime(at)
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "lease"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs,
			AcquireTime: &now, RenewTime: &now, LeaseTransitions: &transitions}}
	leases := c.CoordinationV1().Leases("ns")
	if cur, err := leases.Get(context.Background(), "lease", metav1.GetOptions{}); err == nil {
		l.ResourceVersion = cur.ResourceVersion
		l.Spec.AcquireTime = cur.Spec.AcquireTime
		if _, err := leases.Update(context.Background(), l, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := leases.Create(context.Background(), l, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Another holder that keeps renewing keeps us standing by far beyond its
// lease duration; once it stops, we take over after its term (as observed on
// our clock) ran out, and count a transition.
func TestLeaderElectorStandsByThenTakesOverExpiredLease(t *testing.T) {
	client := fake.NewClientset()
	e := newElectionTest(t, client)
	putLease(t, client, "other", e.clock.Now(), 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.le.Run(ctx, func(rctx context.Context) { close(started); <-rctx.Done() })
	}()

	// 30 s of fake time in retry steps (≤ 3.3 s with jitter), the other renewing each time.
	for range 10 {
		e.advance(3300 * time.Millisecond)
		putLease(t, client, "other", e.clock.Now(), 3)
	}
	e.advance(0) // let the last attempt finish
	if e.le.IsLeader() || e.holder() != "other" {
		t.Fatalf("took a renewed lease: IsLeader=%v holder=%q", e.le.IsLeader(), e.holder())
	}
	if err := e.le.Check(nil); err != nil {
		t.Fatalf("a standby must be healthy: %v", err)
	}

	// The other stops renewing. Not before 8 s of our clock have passed since
	// we saw its last renewal...
	renewedAt := e.clock.Now()
	for e.clock.Now().Sub(renewedAt) < 7*time.Second {
		e.advance(1 * time.Second) // ≤ one retry per step: each fires at most once
		if e.holder() != "other" {
			t.Fatalf("took over %v after the last renewal, lease is 8 s", e.clock.Now().Sub(renewedAt))
		}
	}
	// ...but within the next retries after it.
	for e.holder() != "me" && e.clock.Now().Sub(renewedAt) < 16*time.Second {
		e.advance(500 * time.Millisecond)
		time.Sleep(2 * time.Millisecond)
	}
	receive(t, started, "takeover")
	l := e.lease()
	if holderOf(l) != "me" || *l.Spec.LeaseTransitions != 4 || l.Spec.AcquireTime.Time.Before(renewedAt.Add(8*time.Second)) {
		t.Fatalf("after takeover: %+v (renewed at %v)", l.Spec, renewedAt)
	}
	cancel()
	if err := receive(t, done, "Run to return"); err != nil {
		t.Fatal(err)
	}
}

// Renewals refused for longer than RenewDeadline: the work context ends, Run
// returns ErrLeadershipLost after the work returned.
func TestLeaderElectorReportsLostLease(t *testing.T) {
	client := fake.NewClientset()
	var refuse atomic.Bool
	// Reactors must be registered before use: the fake is not safe otherwise.
	client.PrependReactor("update", "leases", func(clienttesting.Action) (bool, runtime.Object, error) {
		if refuse.Load() {
			return true, nil, errors.New("renewal refused")
		}
		return false, nil, nil
	})
	e := newElectionTest(t, client)
	started, runCtxDone := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.le.Run(context.Background(), func(rctx context.Context) {
			close(started)
			<-rctx.Done()
			close(runCtxDone)
		})
	}()
	receive(t, started, "leadership")
	// The apiserver refuses every renewal from now on (e.g. a partition or
	// another holder). Attempts at +1.5, +3, +4.5, +6 s fail; the deadline
	// (6 s after the first) passes at +7.5 s.
	refuse.Store(true)
	for range 4 {
		e.advance(1500 * time.Millisecond)
	}
	eventually(t, "the attempt at +6 s to finish", e.clock.HasWaiters)
	select {
	case <-runCtxDone:
		t.Fatal("gave up before the renew deadline (6 s after the first failed renewal)")
	default:
	}
	e.clock.Step(1500 * time.Millisecond)
	receive(t, runCtxDone, "work context cancelled after the renew deadline")
	if err := receive(t, done, "Run to return"); !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("Run returned %v, want ErrLeadershipLost", err)
	}
	if c := e.leadershipChanges(); len(c) != 2 || !c[0] || c[1] {
		t.Fatalf("leadership changes %v, want [true false]", c)
	}
}

// A leader whose renewals hang (here: an apiserver call that never returns)
// fails /healthz once LeaseDuration + 20 s have passed since its last renewal.
func TestLeaderElectorCheckFailsForHungLeader(t *testing.T) {
	client := fake.NewClientset()
	var hang atomic.Bool
	unblock := make(chan struct{})
	client.PrependReactor("update", "leases", func(clienttesting.Action) (bool, runtime.Object, error) {
		if hang.Load() {
			<-unblock
		}
		return false, nil, nil
	})
	e := newElectionTest(t, client)
	if err := e.le.Check(nil); err != nil {
		t.Fatalf("Check before Run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- e.le.Run(ctx, func(rctx context.Context) { close(started); <-rctx.Done() }) }()
	receive(t, started, "leadership")
	if err := e.le.Check(nil); err != nil {
		t.Fatalf("fresh leader unhealthy: %v", err)
	}

	hang.Store(true)
	e.advance(1500 * time.Millisecond) // this renewal hangs
	eventually(t, "renewal in flight", func() bool { return !e.clock.HasWaiters() })
	e.clock.Step(8*time.Second + 20*time.Second - 1500*time.Millisecond)
	if err := e.le.Check(nil); err != nil {
		t.Fatalf("unhealthy at exactly lease+20 s: %v", err)
	}
	e.clock.Step(time.Second)
	if err := e.le.Check(nil); err == nil {
		t.Fatal("hung leader reported healthy")
	}
	hang.Store(false)
	close(unblock)
	cancel()
	<-done
}

func TestLeaderElectorDisabledRunsDirectly(t *testing.T) {
	le := NewLeaderElector(clientsetadapter.New(fake.NewClientset()).CoordinationV1(), LeaderElectionOptions{})
	ran := false
	if err := le.Run(context.Background(), func(context.Context) { ran = le.IsLeader() }); err != nil || !ran {
		t.Fatalf("err=%v ran-as-leader=%v", err, ran)
	}
}

// Wire compatibility: a client-go LeaseLock candidate and ours share one
// Lease (real clocks, short durations). Whoever holds it, the other stands
// by; after the holder releases, the other takes over.
func TestLeaderElectorInteroperatesWithClientGo(t *testing.T) {
	client := fake.NewClientset()
	opts := LeaderElectionOptions{Enabled: true, Namespace: "ns", Name: "lease", Identity: "ours",
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond}
	ours := NewLeaderElector(clientsetadapter.New(client).CoordinationV1(), opts)

	var theirsLeading atomic.Bool
	theirsCtx, stopTheirs := context.WithCancel(context.Background())
	defer stopTheirs()
	theirs, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{LeaseMeta: metav1.ObjectMeta{Namespace: "ns", Name: "lease"},
			Client: client.CoordinationV1(), LockConfig: resourcelock.ResourceLockConfig{Identity: "theirs"}},
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { theirsLeading.Store(true) },
			OnStoppedLeading: func() { theirsLeading.Store(false) },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	theirsDone := make(chan struct{})
	go func() { theirs.Run(theirsCtx); close(theirsDone) }()
	eventually(t, "client-go candidate leads", theirsLeading.Load)

	var overlap atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	oursStarted := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- ours.Run(ctx, func(rctx context.Context) {
			if theirsLeading.Load() {
				overlap.Store(true)
			}
			close(oursStarted)
			<-rctx.Done()
		})
	}()
	time.Sleep(3 * time.Second) // longer than the lease: renewals must hold us off
	if ours.IsLeader() {
		t.Fatal("ours took a lease client-go keeps renewing")
	}
	stopTheirs() // releases the lease
	<-theirsDone
	receive(t, oursStarted, "ours to take over the released lease")
	if overlap.Load() {
		t.Fatal("both led at once")
	}
	l, _ := client.CoordinationV1().Leases("ns").Get(context.Background(), "lease", metav1.GetOptions{})
	if holderOf(l) != "ours" || *l.Spec.LeaseTransitions != 1 {
		t.Fatalf("lease %+v", l.Spec)
	}

	// And the other way round: client-go stands by while we renew.
	theirsCtx2, stopTheirs2 := context.WithCancel(context.Background())
	defer stopTheirs2()
	theirs2, _ := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{LeaseMeta: metav1.ObjectMeta{Namespace: "ns", Name: "lease"},
			Client: client.CoordinationV1(), LockConfig: resourcelock.ResourceLockConfig{Identity: "theirs2"}},
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { theirsLeading.Store(true) },
			OnStoppedLeading: func() {},
		},
	})
	go theirs2.Run(theirsCtx2)
	time.Sleep(3 * time.Second)
	if theirsLeading.Load() {
		t.Fatal("client-go took a lease we keep renewing")
	}
	cancel()
	if err := receive(t, done, "Run to return"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "client-go takes over our released lease", theirsLeading.Load)
}
