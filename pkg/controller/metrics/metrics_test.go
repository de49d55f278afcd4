package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
)

func TestPrometheusCounters(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := New("op", reg)
	p.ObserveReconcile("svc", ResultSuccess, 10*time.Millisecond)
	p.ObserveReconcile("svc", ResultError, time.Millisecond)
	p.ObserveError("svc", "dependency")
	p.ApplySent("svc", "Job")
	p.ApplySkipped("svc", "Job")
	p.ApplySkipped("svc", "Job")
	if v := testutil.ToFloat64(p.reconciles.WithLabelValues("svc", ResultSuccess)); v != 1 {
		t.Fatalf("success = %v", v)
	}
	if v := testutil.ToFloat64(p.errors.WithLabelValues("svc", "dependency")); v != 1 {
		t.Fatalf("errors = %v", v)
	}
	if v := testutil.ToFloat64(p.applies.WithLabelValues("svc", "Job", "skipped")); v != 2 {
		t.Fatalf("skipped = %v", v)
	}
	p.ApplyHook("tmpl")(schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, "deleted")
	if v := testutil.ToFloat64(p.applies.WithLabelValues("tmpl", "jobs", "deleted")); v != 1 {
		t.Fatalf("hook deleted = %v", v)
	}
	if n := testutil.CollectAndCount(p.duration); n != 1 {
		t.Fatalf("duration series = %d", n)
	}
}

// One test for all process-global metrics: only the first RegisterClientGo counts.
func TestClientGoWorkqueueAndLeaderMetrics(t *testing.T) {
	SetLeaderStatus("early", true) // before registration: a no-op, no panic
	reg := prometheus.NewRegistry()
	RegisterClientGo(reg)
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "named"})
	defer q.ShutDown()
	q.Add("a")
	q.Add("b")
	err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP workqueue_adds_total Adds handled by the workqueue.
# TYPE workqueue_adds_total counter
workqueue_adds_total{name="named"} 2
# HELP workqueue_depth Current depth of the workqueue.
# TYPE workqueue_depth gauge
workqueue_depth{name="named"} 2
`), "workqueue_adds_total", "workqueue_depth")
	if err != nil {
		t.Fatal(err)
	}

	SetLeaderStatus("lease-a", true)
	SetLeaderStatus("lease-b", true)
	SetLeaderStatus("lease-b", false)
	err = testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP leader_election_master_status 1 while this process holds the named lease, else 0.
# TYPE leader_election_master_status gauge
leader_election_master_status{name="lease-a"} 1
leader_election_master_status{name="lease-b"} 0
`), "leader_election_master_status")
	if err != nil {
		t.Fatal(err)
	}
}
