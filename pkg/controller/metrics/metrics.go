// Package metrics defines the small interfaces through which controllers and the
// reconcile engine report what they do, and a Prometheus implementation of them.
//
// Metric names (with the namespace given to New as prefix, e.g. "aimlite_"):
//
//	<ns>_reconcile_total{controller,result}            result: success|requeue|requeue_after|error|terminal
//	<ns>_reconcile_duration_seconds{controller}        histogram
//	<ns>_reconcile_errors_total{controller,category}   category: from the error (see controller.Categorized)
//	<ns>_apply_total{controller,kind,outcome}          outcome: sent|skipped (ApplyHook: also deleted|delete-skipped)
//
// RegisterClientGo adds client-go's workqueue (workqueue_*{name}) and REST client
// (rest_client_requests_total) metrics and the leader election gauge
// (leader_election_master_status{name}, set by pkg/controller's LeaderElector
// through SetLeaderStatus) to a registry. They are process-global, so the first
// call wins.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Reconcile results as reported in <ns>_reconcile_total.
const (
	ResultSuccess      = "success"
	ResultRequeue      = "requeue"
	ResultRequeueAfter = "requeue_after"
	ResultError        = "error"
	ResultTerminal     = "terminal"
)

// ReconcileObserver is told about every reconcile a controller runs.
type ReconcileObserver interface {
	ObserveReconcile(controller, result string, d time.Duration)
	ObserveError(controller, category string)
}

// ApplyCounter is incremented by the apply engine: Sent when a server-side apply
// went to the apiserver, Skipped when it was detected as a no-op and not sent.
type ApplyCounter interface {
	ApplySent(controller, kind string)
	ApplySkipped(controller, kind string)
}

// Noop implements ReconcileObserver and ApplyCounter and records nothing.
type Noop struct{}

func (Noop) ObserveReconcile(string, string, time.Duration) {}
func (Noop) ObserveError(string, string)                    {}
func (Noop) ApplySent(string, string)                       {}
func (Noop) ApplySkipped(string, string)                    {}

// Prometheus implements ReconcileObserver and ApplyCounter.
type Prometheus struct {
	reconciles *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	applies    *prometheus.CounterVec
}

var (
	_ ReconcileObserver = (*Prometheus)(nil)
	_ ApplyCounter      = (*Prometheus)(nil)
)

// New creates the controller metrics with the given name prefix (may be empty)
// and registers them on reg.
func New(namespace string, reg prometheus.Registerer) *Prometheus {
	p := &Prometheus{
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "reconcile_total",
			Help: "Reconciles per controller and result.",
		}, []string{"controller", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "reconcile_duration_seconds",
			Help:    "Time spent in one reconcile.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"controller"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "reconcile_errors_total",
			Help: "Reconcile errors per controller and category.",
		}, []string{"controller", "category"}),
		applies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "apply_total",
			Help: "Server-side applies per controller, kind and outcome (sent or skipped as no-op).",
		}, []string{"controller", "kind", "outcome"}),
	}
	reg.MustRegister(p.reconciles, p.duration, p.errors, p.applies)
	return p
}

func (p *Prometheus) ObserveReconcile(controller, result string, d time.Duration) {
	p.reconciles.WithLabelValues(controller, result).Inc()
	p.duration.WithLabelValues(controller).Observe(d.Seconds())
}

func (p *Prometheus) ObserveError(controller, category string) {
	p.errors.WithLabelValues(controller, category).Inc()
}

func (p *Prometheus) ApplySent(controller, kind string) {
	p.applies.WithLabelValues(controller, kind, "sent").Inc()
}

func (p *Prometheus) ApplySkipped(controller, kind string) {
	p.applies.WithLabelValues(controller, kind, "skipped").Inc()
}

// ApplyHook returns a function for the reconcile engine's per-apply callback
// (statemachine.Applier.OnApply): it counts every outcome ("sent", "skipped",
// "deleted", "delete-skipped") in <ns>_apply_total{controller, kind=resource, outcome}.
func (p *Prometheus) ApplyHook(controller string) func(gvr schema.GroupVersionResource, outcome string) {
	return func(gvr schema.GroupVersionResource, outcome string) {
		p.applies.WithLabelValues(controller, gvr.Resource, outcome).Inc()
	}
}

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

var clientGoOnce sync.Once

// RegisterClientGo installs Prometheus providers for client-go's workqueue and
// REST client metrics and the leader election gauge, registered on reg.
// client-go keeps these providers globally and accepts only the first one, so
// only the first call has an effect.
func RegisterClientGo(reg prometheus.Registerer) {
	clientGoOnce.Do(func() { registerClientGo(reg) })
}
