package controller

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/controller/metrics"
	"github.com/aimlite/aimlite/pkg/kubeclient"
)

// LeaderElectionOptions configure lease-based leader election.
type LeaderElectionOptions struct {
	Enabled   bool
	Namespace string
	Name      string
	// Identity defaults to $POD_NAME, else hostname; a random suffix keeps two
	// processes on one host distinct.
	Identity      string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// OnLeadershipChange, if set, is called with true when the lease is
	// acquired and false when it is lost or given up. The
	// leader_election_master_status gauge is updated either way.
	OnLeadershipChange func(leading bool)
	// Clock defaults to the real clock (tests inject a fake one).
	Clock clock.WithTicker
}

// DefaultLeaderElectionOptions: lease 8 s, renew deadline 6 s, retry 1.5 s.
// A killed leader is replaced after at most LeaseDuration + 3.4 × RetryPeriod
// (the standby notices renewals and retries with up to 1.2 jitter), i.e. about
// 13 s, typically 10 s. RenewDeadline exceeds 1.2 × RetryPeriod as client-go
// requires and stays below LeaseDuration, so a leader that cannot renew stops
// working before anyone else may start.
func DefaultLeaderElectionOptions(name string) LeaderElectionOptions {
	return LeaderElectionOptions{Name: name, LeaseDuration: 8 * time.Second, RenewDeadline: 6 * time.Second, RetryPeriod: 1500 * time.Millisecond}
}

// BindFlags registers the --leader-elect* flags.
func (o *LeaderElectionOptions) BindFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "leader-elect", o.Enabled, "Run controllers only while holding a Lease, so replicas can stand by.")
	fs.StringVar(&o.Namespace, "leader-elect-namespace", o.Namespace, "Namespace of the Lease (default: the operator namespace).")
	fs.StringVar(&o.Name, "leader-elect-name", o.Name, "Name of the Lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", o.LeaseDuration, "How long a lease is valid without renewal.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", o.RenewDeadline, "How long the leader retries renewing before giving up.")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", o.RetryPeriod, "Interval between acquire/renew attempts.")
}

// validate applies client-go's constraints, which keep a leader that cannot
// renew from overlapping with its successor.
func (o *LeaderElectionOptions) validate() error {
	switch {
	case o.Namespace == "" || o.Name == "":
		return errors.New("leader election needs a lease namespace and name")
	case o.LeaseDuration < time.Second:
		return errors.New("leader election: lease duration must be at least 1s")
	case o.RetryPeriod <= 0:
		return errors.New("leader election: retry period must be positive")
	case o.LeaseDuration <= o.RenewDeadline:
		return errors.New("leader election: lease duration must exceed the renew deadline")
	case o.RenewDeadline <= time.Duration(jitterFactor*float64(o.RetryPeriod)):
		return fmt.Errorf("leader election: renew deadline must exceed %v × retry period", jitterFactor)
	}
	return nil
}

// jitterFactor spreads candidates' retries as client-go does.
const jitterFactor = 1.2

// healthzTolerance is how long past LeaseDuration a leader may go without
// renewing before Check reports it hung (client-go's HealthzAdaptor timeout).
const healthzTolerance = 20 * time.Second

// ErrLeadershipLost is returned by LeaderElector.Run when the lease was lost
// while leading. The process should exit: its informers cannot restart, and a
// fresh process rejoins as a candidate.
var ErrLeadershipLost = errors.New("leader election lost")

// LeaderElector runs a function while holding a Lease.
type LeaderElector struct {
	opts    LeaderElectionOptions
	client  kubeclient.CoordinationV1Interface
	clock   clock.WithTicker
	leading atomic.Bool               // run is running
	lock    atomic.Pointer[leaseLock] // set by Run
}

// NewLeaderElector prepares leader election. With Enabled false, Run simply
// calls the function and IsLeader is true.
func NewLeaderElector(client kubeclient.CoordinationV1Interface, o LeaderElectionOptions) *LeaderElector {
	if o.Identity == "" {
		o.Identity = defaultIdentity()
	}
	c := o.Clock
	if c == nil {
		c = clock.RealClock{}
	}
	return &LeaderElector{opts: o, client: client, clock: c}
}

func defaultIdentity() string {
	id := os.Getenv("POD_NAME")
	if id == "" {
		id, _ = os.Hostname()
	}
	return id + "_" + string(uuid.NewUUID())
}

// Identity returns the identity written into the Lease.
func (l *LeaderElector) Identity() string { return l.opts.Identity }

// IsLeader reports whether this process currently runs the controllers.
func (l *LeaderElector) IsLeader() bool { return l.leading.Load() }

// Check is a /healthz check: it fails if we lead but have not renewed the lease
// for longer than the lease duration plus 20 s (a hung leader).
func (l *LeaderElector) Check(*http.Request) error {
	k := l.lock.Load()
	if !l.leading.Load() || k == nil {
		return nil
	}
	if l.clock.Since(k.lastRenewal()) > l.opts.LeaseDuration+healthzTolerance {
		return fmt.Errorf("leader has not renewed lease %s/%s since %v", l.opts.Namespace, l.opts.Name, k.lastRenewal())
	}
	return nil
}

func (l *LeaderElector) holding(leading bool) {
	metrics.SetLeaderStatus(l.opts.Name, leading)
	if l.opts.OnLeadershipChange != nil {
		l.opts.OnLeadershipChange(leading)
	}
}

// Run calls run once this process holds the lease, with a context that ends
// when ctx ends or the lease is lost. The lease is released only after run has
// returned (drained), so a successor never overlaps with in-flight work.
// It returns nil after a clean shutdown and ErrLeadershipLost if the lease was lost.
func (l *LeaderElector) Run(ctx context.Context, run func(ctx context.Context)) error {
	if !l.opts.Enabled {
		l.leading.Store(true)
		defer l.leading.Store(false)
		run(ctx)
		return nil
	}
	if err := l.opts.validate(); err != nil {
		return err
	}
	logger := klog.FromContext(ctx).WithValues("lease", l.opts.Namespace+"/"+l.opts.Name, "identity", l.opts.Identity)
	ctx = klog.NewContext(ctx, logger)
	k := &leaseLock{client: l.client.Leases(l.opts.Namespace), namespace: l.opts.Namespace, name: l.opts.Name,
		identity: l.opts.Identity, duration: l.opts.LeaseDuration, clock: l.clock}
	l.lock.Store(k)
	// Lease calls outlive ctx: renewals continue while run drains, and the
	// release follows it.
	bg := context.WithoutCancel(ctx)

	logger.Info("Waiting to acquire the lease")
	if !l.acquire(ctx, k) {
		return nil // ctx ended while a candidate
	}
	l.holding(true)
	logger.Info("Became leader")
	if ctx.Err() != nil { // acquired just as we were asked to stop
		l.release(bg, k)
		return nil
	}

	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	renewCtx, stopRenewing := context.WithCancel(bg)
	renewDone := make(chan bool, 1) // true: lost
	go func() {
		lost := l.renewLoop(renewCtx, k)
		if lost {
			l.holding(false)
			logger.Info("Lost the lease: stopping the work")
			stopWork()
		}
		renewDone <- lost
	}()

	l.leading.Store(true)
	run(workCtx)
	l.leading.Store(false)
	stopWork()
	stopRenewing()
	lost := <-renewDone
	if !lost {
		l.holding(false)
	}
	l.release(bg, k)
	logger.Info("Stopped leading")
	if lost && ctx.Err() == nil {
		return ErrLeadershipLost
	}
	return nil
}

// acquire retries every RetryPeriod (jittered) until we hold the lease or ctx ends.
func (l *LeaderElector) acquire(ctx context.Context, k *leaseLock) bool {
	for {
		if k.tryAcquireOrRenew(ctx) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-l.clock.After(wait.Jitter(l.opts.RetryPeriod, jitterFactor)):
		}
	}
}

// renewLoop renews every RetryPeriod until ctx ends (false) or a renewal has
// not succeeded within RenewDeadline (true: lost).
func (l *LeaderElector) renewLoop(ctx context.Context, k *leaseLock) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-l.clock.After(l.opts.RetryPeriod):
		}
		if !l.renew(ctx, k) {
			return ctx.Err() == nil
		}
	}
}

// renew retries one renewal every RetryPeriod until it succeeds or
// RenewDeadline has passed. Each request is bounded by the remaining time so
// a hung apiserver connection cannot stretch the deadline.
func (l *LeaderElector) renew(ctx context.Context, k *leaseLock) bool {
	deadline := l.clock.Now().Add(l.opts.RenewDeadline)
	for {
		left := deadline.Sub(l.clock.Now())
		if left <= 0 || ctx.Err() != nil {
			return false
		}
		actx, cancel := context.WithTimeout(ctx, left)
		ok := k.tryAcquireOrRenew(actx)
		cancel()
		if ok {
			return true
		}
		left = deadline.Sub(l.clock.Now())
		select {
		case <-ctx.Done():
			return false
		case <-l.clock.After(min(l.opts.RetryPeriod, max(left, 0))):
		}
	}
}

func (l *LeaderElector) release(ctx context.Context, k *leaseLock) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.RenewDeadline)
	defer cancel()
	if k.release(ctx) {
		klog.FromContext(ctx).Info("Released the lease")
	}
}
