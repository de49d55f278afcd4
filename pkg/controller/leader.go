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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
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

// ErrLeadershipLost is returned by LeaderElector.Run when the lease was lost
// while leading. The process should exit: its informers cannot restart, and a
// fresh process rejoins as a candidate.
var ErrLeadershipLost = errors.New("leader election lost")

// LeaderElector runs a function while holding a Lease.
type LeaderElector struct {
	opts     LeaderElectionOptions
	client   kubernetes.Interface
	leading  atomic.Bool
	watchdog *leaderelection.HealthzAdaptor
}

// NewLeaderElector prepares leader election. With Enabled false, Run simply
// calls the function and IsLeader is true.
func NewLeaderElector(client kubernetes.Interface, o LeaderElectionOptions) *LeaderElector {
	if o.Identity == "" {
		o.Identity = defaultIdentity()
	}
	return &LeaderElector{opts: o, client: client, watchdog: leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)}
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
func (l *LeaderElector) Check(r *http.Request) error { return l.watchdog.Check(r) }

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
	if l.opts.Namespace == "" || l.opts.Name == "" {
		return errors.New("leader election needs a lease namespace and name")
	}
	logger := klog.FromContext(ctx).WithValues("lease", l.opts.Namespace+"/"+l.opts.Name, "identity", l.opts.Identity)
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: l.opts.Namespace, Name: l.opts.Name},
		Client:     l.client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: l.opts.Identity},
	}
	// leCtx is not a child of ctx: on shutdown we stop the work first and end
	// the election (releasing the lease) only after it has drained.
	leCtx, leCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer leCancel()
	var (
		ranOnce   atomic.Bool
		runCancel atomic.Pointer[context.CancelFunc]
	)
	stopAfter := context.AfterFunc(ctx, func() {
		if c := runCancel.Load(); c != nil {
			(*c)() // leading: stop the work; leCancel follows when it returns
		} else {
			leCancel() // still a candidate: stop trying
		}
	})
	defer stopAfter()

	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   l.opts.LeaseDuration,
		RenewDeadline:   l.opts.RenewDeadline,
		RetryPeriod:     l.opts.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            l.opts.Name,
		WatchDog:        l.watchdog,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				rctx, cancel := context.WithCancel(lctx)
				runCancel.Store(&cancel)
				if ctx.Err() != nil {
					cancel()
				}
				logger.Info("Became leader")
				l.leading.Store(true)
				ranOnce.Store(true)
				run(rctx)
				l.leading.Store(false)
				cancel()
				leCancel() // ends renewals and releases the lease
			},
			OnStoppedLeading: func() { logger.Info("Stopped leading") },
			OnNewLeader: func(id string) {
				if id != l.opts.Identity {
					logger.Info("New leader elected", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	logger.Info("Waiting to acquire the lease")
	le.Run(leCtx)
	// le.Run returns when renewal fails or leCtx ends; in both cases wait for
	// run to return before reporting.
	for l.leading.Load() {
		time.Sleep(50 * time.Millisecond)
	}
	if ctx.Err() == nil && ranOnce.Load() {
		return ErrLeadershipLost
	}
	return nil
}
