package controller

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

func holderOf(t *testing.T, c *fake.Clientset) string {
	t.Helper()
	l, err := c.CoordinationV1().Leases("ns").Get(context.Background(), "lease", metav1.GetOptions{})
	if err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// The lease is released only after the work has drained, so a successor never
// overlaps with reconciles still running here.
func TestLeaderElectorReleasesLeaseAfterDrain(t *testing.T) {
	client := fake.NewClientset()
	o := LeaderElectionOptions{Enabled: true, Namespace: "ns", Name: "lease", Identity: "me",
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond}
	le := NewLeaderElector(client, o)
	ctx, cancel := context.WithCancel(context.Background())
	var heldDuringDrain atomic.Bool
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- le.Run(ctx, func(rctx context.Context) {
			close(started)
			<-rctx.Done()
			time.Sleep(300 * time.Millisecond) // draining
			heldDuringDrain.Store(holderOf(t, client) == "me")
		})
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("never became leader")
	}
	if !le.IsLeader() || holderOf(t, client) != "me" {
		t.Fatalf("IsLeader=%v holder=%q", le.IsLeader(), holderOf(t, client))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("clean shutdown returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if !heldDuringDrain.Load() {
		t.Fatal("lease was released before the work drained")
	}
	if h := holderOf(t, client); h != "" {
		t.Fatalf("lease holder after shutdown = %q, want released", h)
	}
	if le.IsLeader() {
		t.Fatal("still leader after Run returned")
	}
}

func TestLeaderElectorDisabledRunsDirectly(t *testing.T) {
	le := NewLeaderElector(fake.NewClientset(), LeaderElectionOptions{})
	ran := false
	if err := le.Run(context.Background(), func(context.Context) { ran = le.IsLeader() }); err != nil || !ran {
		t.Fatalf("err=%v ran-as-leader=%v", err, ran)
	}
}

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
	o := LeaderElectionOptions{Enabled: true, Namespace: "ns", Name: "lease", Identity: "me",
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond}
	le := NewLeaderElector(client, o)
	started := make(chan struct{})
	runCtxDone := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- le.Run(context.Background(), func(rctx context.Context) {
			close(started)
			<-rctx.Done()
			close(runCtxDone)
		})
	}()
	<-started
	// The apiserver refuses every renewal from now on (e.g. a network
	// partition or another holder); after RenewDeadline the lease is lost.
	refuse.Store(true)
	select {
	case err := <-done:
		if err != ErrLeadershipLost {
			t.Fatalf("Run returned %v, want ErrLeadershipLost", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lost lease not noticed")
	}
	select {
	case <-runCtxDone:
	default:
		t.Fatal("work context not cancelled when the lease was lost")
	}
}
