package services

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// After 100 services converge, a further idle period sends no mutating request, and each
// InferenceService is applied exactly once per real change.
// AIMLITE_IDLE_SECONDS overrides the idle period (default 60).
func TestIdleAfterConvergence(t *testing.T) {
	if testing.Short() {
		t.Skip("long test")
	}
	o := startOperator(t)
	ns := env.Namespace(t)
	const n = 100
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8", source{"hf://org/idle", "org/idle", "1Gi"})
	isvcApplies := func() int { return o.Muts.Snapshot()["PATCH inferenceservices"] }
	before := isvcApplies()
	startMuts := o.Muts.Snapshot()

	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%03d", i)},
				Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}}})
		}()
	}
	wg.Wait()
	c := aimClient(t)
	countStatus := func(status string) int {
		l, err := c.AimV1alpha1().AIMServices(ns).List(bg, metav1.ListOptions{})
		if err != nil {
			return -1
		}
		k := 0
		for _, s := range l.Items {
			if string(s.Status.Status) == status {
				k++
			}
		}
		return k
	}
	eventually(t, 3*time.Minute, "all services Starting with an InferenceService", func() error {
		if k := countStatus("Starting"); k != n {
			return fmt.Errorf("%d/%d Starting", k, n)
		}
		return nil
	})
	for i := 0; i < n; i++ {
		isvc, _ := naming.InferenceServiceName(fmt.Sprintf("svc-%03d", i), ns)
		setISVCReady(t, ns, isvc)
	}
	eventually(t, 3*time.Minute, "all services Running", func() error {
		if k := countStatus("Running"); k != n {
			return fmt.Errorf("%d/%d Running", k, n)
		}
		return nil
	})
	converged := time.Since(start)
	applied := isvcApplies() - before
	var conv []string
	for k, v := range o.Muts.Snapshot() {
		if d := v - startMuts[k]; d != 0 {
			conv = append(conv, fmt.Sprintf("%s: %d", k, d))
		}
	}
	sort.Strings(conv)
	t.Logf("mutating requests during convergence: %v", conv)
	if applied != n {
		t.Errorf("InferenceService applies during convergence = %d, want exactly %d (one per service)", applied, n)
	}

	idle := 60 * time.Second
	if s, err := strconv.Atoi(os.Getenv("AIMLITE_IDLE_SECONDS")); err == nil {
		idle = time.Duration(s) * time.Second
	}
	// Idle means idle: let the namespaces of earlier tests finish terminating (their teardown
	// legitimately touches our children), and the last status writes drain.
	eventually(t, 2*time.Minute, "other test namespaces gone", func() error {
		l, err := env.Client.CoreV1().Namespaces().List(bg, metav1.ListOptions{LabelSelector: "aimlite.dev/test=true"})
		if err != nil {
			return err
		}
		for _, n := range l.Items {
			if n.Name != ns {
				return fmt.Errorf("namespace %s still %s", n.Name, n.Status.Phase)
			}
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	snap := o.Muts.Snapshot()
	time.Sleep(idle)
	after := o.Muts.Snapshot()
	var delta []string
	total := 0
	for k, v := range after {
		if d := v - snap[k]; d != 0 {
			delta = append(delta, fmt.Sprintf("%s: %d", k, d))
			total += d
		}
	}
	t.Logf("converged %d services in %s; InferenceService applies %d; mutating requests during %s idle: %d %v",
		n, converged.Round(time.Millisecond), applied, idle, total, delta)
	if total != 0 {
		t.Errorf("idle reconciling sent %d mutating requests: %v", total, delta)
	}

	// A real change (the service's env) re-applies that service's InferenceService exactly once.
	beforeChange := isvcApplies()
	eventually(t, 10*time.Second, "update service env", func() error {
		s, err := c.AimV1alpha1().AIMServices(ns).Get(bg, "svc-007", metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Spec.Env = append(s.Spec.Env, corev1.EnvVar{Name: "EXTRA", Value: "1"})
		_, err = c.AimV1alpha1().AIMServices(ns).Update(bg, s, metav1.UpdateOptions{})
		return err
	})
	eventually(t, 30*time.Second, "re-applied InferenceService", func() error {
		if d := isvcApplies() - beforeChange; d != 1 {
			return fmt.Errorf("%d applies", d)
		}
		return nil
	})
	time.Sleep(3 * time.Second)
	if d := isvcApplies() - beforeChange; d != 1 {
		t.Errorf("InferenceService applies after one spec change = %d, want 1", d)
	}
	for name, a := range o.Appliers {
		st := a.Stats()
		t.Logf("applier %s: sent %d skipped %d", name, st.Sent, st.Skipped)
	}
}
