package models

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// idleWindow is how long the converged operator is watched for mutating requests.
const idleWindow = time.Minute

// After convergence, a further minute of reconciling (Job TTL deletions, pod GC, informer events) sends
// no mutating request at all. Runs last (file order) so the other tests' namespaces are gone.
func TestZeroMutationsWhenIdle(t *testing.T) {
	o := startOperator(t)
	ns := env.Namespace(t)
	create(t, op.client.AimV1alpha1().AIMModels(ns).Create, metadataModel(ns, "idle",
		aimv1.RecommendedDeployment{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"}))
	create(t, op.client.AimV1alpha1().AIMClusterRuntimeConfigs().Create, &aimv1.AIMClusterRuntimeConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "default"}})
	t.Cleanup(func() {
		_ = op.client.AimV1alpha1().AIMClusterRuntimeConfigs().Delete(bg, "default", metav1.DeleteOptions{})
	})
	waitModel(t, ns, "idle", "Ready", 90*time.Second)
	// The implicit `default` fans out: the model and its template (both with an empty runtimeConfigName)
	// see the cluster config without any change of their own.
	eventually(t, 30*time.Second, "implicit default config seen by dependents", func() (bool, string) {
		m := getModel(t, ns, "idle")
		tpls, _ := op.client.AimV1alpha1().AIMServiceTemplates(ns).List(bg, metav1.ListOptions{})
		mc := cond(m.Status.Conditions, "RuntimeConfigReady")
		ok := mc != nil && mc.Reason == "ConfigFound" && len(tpls.Items) == 1 &&
			m.Status.ResolvedRuntimeConfig != nil && m.Status.ResolvedRuntimeConfig.Scope == "Cluster"
		msg := "model " + condStr(mc)
		for _, tp := range tpls.Items {
			c := cond(tp.Status.Conditions, "RuntimeConfigReady")
			ok = ok && c != nil && c.Reason == "ConfigFound"
			msg += " template " + condStr(c)
		}
		return ok, msg
	})

	eventually(t, 30*time.Second, "cluster runtime config status", func() (bool, string) {
		r, err := op.client.AimV1alpha1().AIMClusterRuntimeConfigs().Get(bg, "default", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := cond(r.Status.Conditions, "Ready")
		return c != nil && c.Status == "True" && r.Status.ObservedGeneration == r.Generation, condStr(c)
	})
	eventually(t, 120*time.Second, "other tests' namespaces gone and no discovery running", func() (bool, string) {
		list, err := op.kube.CoreV1().Namespaces().List(bg, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var terminating []string
		for _, n := range list.Items {
			if n.Status.Phase == corev1.NamespaceTerminating {
				terminating = append(terminating, n.Name)
			}
		}
		running := o.tpl.Limiter.Running()
		return len(terminating) == 0 && running == 0, fmt.Sprintf("terminating %v, running %d", terminating, running)
	})
	time.Sleep(3 * time.Second) // let the last status writes of the convergence land
	before, start := o.muts.Snapshot(), o.muts.Total()
	time.Sleep(idleWindow)
	after, end := o.muts.Snapshot(), o.muts.Total()
	delta := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			delta[k] = d
		}
	}
	t.Logf("mutating requests during %s idle: %d %v (total since start: %d)", idleWindow, end-start, delta, end)
	t.Logf("all mutating requests of the suite by verb and resource: %v", after)
	if end != start {
		t.Errorf("idle operator sent %d mutating requests: %v", end-start, delta)
	}
}
