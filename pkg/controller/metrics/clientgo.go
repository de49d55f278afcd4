package metrics

import (
	"context"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientmetrics "k8s.io/client-go/tools/metrics"
	"k8s.io/client-go/util/workqueue"
)

// Names follow the ones kube-controller-manager and controller-runtime export,
// so existing dashboards work.
func registerClientGo(reg prometheus.Registerer) {
	wq := &workqueueProvider{
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "workqueue_depth", Help: "Current depth of the workqueue.",
		}, []string{"name"}),
		adds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "workqueue_adds_total", Help: "Adds handled by the workqueue.",
		}, []string{"name"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "workqueue_queue_duration_seconds", Help: "Time an item waits in the workqueue before being processed.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 10, 10),
		}, []string{"name"}),
		workDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "workqueue_work_duration_seconds", Help: "Time processing an item takes.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 10, 10),
		}, []string{"name"}),
		unfinished: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "workqueue_unfinished_work_seconds", Help: "Seconds of work in progress not yet observed by work_duration.",
		}, []string{"name"}),
		longest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "workqueue_longest_running_processor_seconds", Help: "Seconds the longest running processor has been running.",
		}, []string{"name"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "workqueue_retries_total", Help: "Retries handled by the workqueue.",
		}, []string{"name"}),
	}
	leader := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leader_election_master_status", Help: "1 while this process holds the named lease, else 0.",
	}, []string{"name"})
	rest := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rest_client_requests_total", Help: "HTTP requests to the apiserver by status code, method and host.",
	}, []string{"code", "method", "host"})
	restLatency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rest_client_request_duration_seconds", Help: "Apiserver request latency by verb.",
		Buckets: []float64{.005, .025, .1, .25, .5, 1, 2, 4, 8, 15, 30, 60},
	}, []string{"verb"})
	reg.MustRegister(wq.depth, wq.adds, wq.latency, wq.workDuration, wq.unfinished, wq.longest, wq.retries,
		leader, rest, restLatency)

	workqueue.SetProvider(wq)
	leaderStatus.Store(leader)
	clientmetrics.Register(clientmetrics.RegisterOpts{
		RequestResult:  restResult{rest},
		RequestLatency: restLatencyMetric{restLatency},
	})
}

type workqueueProvider struct {
	depth, unfinished, longest *prometheus.GaugeVec
	adds, retries              *prometheus.CounterVec
	latency, workDuration      *prometheus.HistogramVec
}

func (p *workqueueProvider) NewDepthMetric(name string) workqueue.GaugeMetric {
	return p.depth.WithLabelValues(name)
}
func (p *workqueueProvider) NewAddsMetric(name string) workqueue.CounterMetric {
	return p.adds.WithLabelValues(name)
}
func (p *workqueueProvider) NewLatencyMetric(name string) workqueue.HistogramMetric {
	return p.latency.WithLabelValues(name)
}
func (p *workqueueProvider) NewWorkDurationMetric(name string) workqueue.HistogramMetric {
	return p.workDuration.WithLabelValues(name)
}
func (p *workqueueProvider) NewUnfinishedWorkSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return p.unfinished.WithLabelValues(name)
}
func (p *workqueueProvider) NewLongestRunningProcessorSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return p.longest.WithLabelValues(name)
}
func (p *workqueueProvider) NewRetriesMetric(name string) workqueue.CounterMetric {
	return p.retries.WithLabelValues(name)
}

// leaderStatus is leader_election_master_status once RegisterClientGo ran.
// It is process-global like client-go's providers: the leader elector
// (pkg/controller) reports through SetLeaderStatus without being wired to a
// registry, as client-go's leaderelection.SetProvider allowed.
var leaderStatus atomic.Pointer[prometheus.GaugeVec]

// SetLeaderStatus sets leader_election_master_status{name} to 1 while this
// process holds the named lease and to 0 otherwise. Before RegisterClientGo
// it does nothing.
func SetLeaderStatus(name string, leading bool) {
	g := leaderStatus.Load()
	if g == nil {
		return
	}
	v := 0.0
	if leading {
		v = 1
	}
	g.WithLabelValues(name).Set(v)
}

type restResult struct{ c *prometheus.CounterVec }

func (r restResult) Increment(_ context.Context, code, method, host string) {
	r.c.WithLabelValues(code, method, host).Inc()
}

type restLatencyMetric struct{ h *prometheus.HistogramVec }

func (r restLatencyMetric) Observe(_ context.Context, verb string, _ url.URL, d time.Duration) {
	r.h.WithLabelValues(verb).Observe(d.Seconds())
}
