package controller

import (
	"flag"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
)

// QueueOptions are the per-controller worker and retry settings. They are
// usually bound to flags once (BindFlags) and shared by every controller.
type QueueOptions struct {
	// Workers is the number of reconciles of one controller that run at once.
	Workers int
	// BaseDelay and MaxDelay bound the per-item exponential backoff of failed keys.
	BaseDelay, MaxDelay time.Duration
	// QPS and Burst configure the controller-wide token bucket that spaces
	// rate-limited re-adds, so a burst of failures cannot hammer the apiserver.
	QPS   float64
	Burst int
}

// DefaultQueueOptions matches sample-controller / controller-runtime defaults,
// with 2 workers.
func DefaultQueueOptions() QueueOptions {
	return QueueOptions{Workers: 2, BaseDelay: 5 * time.Millisecond, MaxDelay: 1000 * time.Second, QPS: 10, Burst: 100}
}

// withDefaults fills zero (or invalid) fields from DefaultQueueOptions: a zero
// QPS would make the token bucket refuse every retry forever.
func (o QueueOptions) withDefaults() QueueOptions {
	d := DefaultQueueOptions()
	if o.Workers < 1 {
		o.Workers = d.Workers
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = d.BaseDelay
	}
	if o.MaxDelay < o.BaseDelay {
		o.MaxDelay = max(d.MaxDelay, o.BaseDelay)
	}
	if o.QPS <= 0 {
		o.QPS = d.QPS
	}
	if o.Burst < 1 {
		o.Burst = d.Burst
	}
	return o
}

// BindFlags registers the options on fs, using the current values as defaults.
func (o *QueueOptions) BindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Workers, "workers", o.Workers, "Concurrent reconciles per controller.")
	fs.DurationVar(&o.BaseDelay, "retry-base-delay", o.BaseDelay, "First retry delay of a failing key (doubles per failure).")
	fs.DurationVar(&o.MaxDelay, "retry-max-delay", o.MaxDelay, "Upper bound of the per-key retry delay.")
	fs.Float64Var(&o.QPS, "retry-qps", o.QPS, "Controller-wide rate of rate-limited re-adds (token bucket).")
	fs.IntVar(&o.Burst, "retry-burst", o.Burst, "Burst of the controller-wide retry token bucket.")
}

// NewRateLimiter returns max(per-item exponential, token bucket); zero fields
// take the defaults.
func (o QueueOptions) NewRateLimiter() workqueue.TypedRateLimiter[Key] {
	o = o.withDefaults()
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[Key](o.BaseDelay, o.MaxDelay),
		&workqueue.TypedBucketRateLimiter[Key]{Limiter: rate.NewLimiter(rate.Limit(o.QPS), o.Burst)},
	)
}

// NewQueue builds a named queue (the name enables workqueue_* metrics) with the
// given limiter and clock. A nil clock means the real one.
func NewQueue(name string, limiter workqueue.TypedRateLimiter[Key], clk clock.WithTicker) workqueue.TypedRateLimitingInterface[Key] {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[Key]{
		Name:  name,
		Clock: clk,
	})
}
