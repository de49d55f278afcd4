package controller

import (
	"context"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/kubeclient"
)

// leaseLock is the election state machine of client-go's
// tools/leaderelection over a coordination.k8s.io/v1 Lease, written against
// kubeclient so the binary does not link client-go's kubernetes/scheme. The
// Lease fields it reads and writes (holderIdentity, leaseDurationSeconds,
// acquireTime, renewTime, leaseTransitions) are those of client-go's LeaseLock,
// so candidates built on either respect each other.
//
// Expiry is judged as client-go does: by the local time at which we last saw
// the record change (observedTime) plus the holder's leaseDurationSeconds,
// never by the renewTime written by another host's clock.
//
// tryAcquireOrRenew and release are called from one goroutine at a time;
// the mutex only guards what lastRenewal reads from probe handlers.
type leaseLock struct {
	client    kubeclient.Client[*coordinationv1.Lease, *coordinationv1.LeaseList]
	namespace string
	name      string
	identity  string
	duration  time.Duration
	clock     clock.Clock

	mu           sync.RWMutex
	observed     *coordinationv1.Lease // last object read or written; carries resourceVersion
	observedTime time.Time             // local time when observed's spec last changed
	reported     string                // last holder logged
}

func holderOf(l *coordinationv1.Lease) string {
	if l == nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

func durationOf(l *coordinationv1.Lease) time.Duration {
	if l == nil || l.Spec.LeaseDurationSeconds == nil {
		return 0
	}
	return time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
}

func transitionsOf(l *coordinationv1.Lease) int32 {
	if l == nil || l.Spec.LeaseTransitions == nil {
		return 0
	}
	return *l.Spec.LeaseTransitions
}

// sameRecord compares the election record of two Leases (client-go compares
// the serialized record; the fields are the same).
func sameRecord(a, b *coordinationv1.Lease) bool {
	if a == nil || b == nil {
		return a == b
	}
	t := func(m *metav1.MicroTime) time.Time {
		if m == nil {
			return time.Time{}
		}
		return m.Time
	}
	return holderOf(a) == holderOf(b) && durationOf(a) == durationOf(b) && transitionsOf(a) == transitionsOf(b) &&
		t(a.Spec.AcquireTime).Equal(t(b.Spec.AcquireTime)) && t(a.Spec.RenewTime).Equal(t(b.Spec.RenewTime))
}

// setObserved records l; observedTime moves only when the record changed
// (or always, for our own writes: force).
func (k *leaseLock) setObserved(ctx context.Context, l *coordinationv1.Lease, force bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if force || !sameRecord(k.observed, l) {
		k.observedTime = k.clock.Now()
	}
	k.observed = l
	if h := holderOf(l); h != k.reported {
		k.reported = h
		if h != "" && h != k.identity {
			klog.FromContext(ctx).Info("New leader elected", "leader", h)
		}
	}
}

func (k *leaseLock) snapshot() (*coordinationv1.Lease, time.Time) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.observed, k.observedTime
}

// lastRenewal is when we last observed (or wrote) the record.
func (k *leaseLock) lastRenewal() time.Time {
	_, t := k.snapshot()
	return t
}

// validAt: the observed holder's term has not run out at now.
func (k *leaseLock) validAt(now time.Time) bool {
	l, t := k.snapshot()
	return t.Add(durationOf(l)).After(now)
}

// heldByUs: the last observed record names us (client-go's IsLeader).
func (k *leaseLock) heldByUs() bool {
	l, _ := k.snapshot()
	return holderOf(l) == k.identity
}

func (k *leaseLock) spec(now time.Time, acquire *metav1.MicroTime, transitions int32) coordinationv1.LeaseSpec {
	id := k.identity
	secs := int32(k.duration / time.Second)
	n := metav1.NewMicroTime(now)
	if acquire == nil {
		acquire = &n
	}
	return coordinationv1.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &secs,
		AcquireTime: acquire, RenewTime: &n, LeaseTransitions: &transitions}
}

// tryAcquireOrRenew makes one attempt to take or extend the lease and reports
// whether we hold it afterwards.
func (k *leaseLock) tryAcquireOrRenew(ctx context.Context) bool {
	logger := klog.FromContext(ctx)
	leases := k.client
	now := k.clock.Now()

	// 1. Fast path: the leader updates the object it wrote last.
	if old, _ := k.snapshot(); holderOf(old) == k.identity && k.validAt(now) {
		l := old.DeepCopy()
		l.Spec = k.spec(now, old.Spec.AcquireTime, transitionsOf(old))
		if got, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err == nil {
			k.setObserved(ctx, got, true)
			return true
		} else {
			logger.V(2).Info("Failed to renew the lease optimistically, falling back to a read", "err", err)
		}
	}

	// 2. Read, or create if there is none.
	cur, err := leases.Get(ctx, k.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: k.namespace, Name: k.name},
			Spec: k.spec(now, nil, 0)}
		got, err := leases.Create(ctx, l, metav1.CreateOptions{})
		if err != nil {
			logger.Error(err, "Creating the lease failed")
			return false
		}
		k.setObserved(ctx, got, true)
		return true
	}
	if err != nil {
		logger.Error(err, "Reading the lease failed")
		return false
	}

	// 3. Someone else holds an unexpired term: wait.
	k.setObserved(ctx, cur, false)
	if holderOf(cur) != "" && holderOf(cur) != k.identity && k.validAt(now) {
		logger.V(4).Info("Lease is held by another candidate and has not expired", "holder", holderOf(cur))
		return false
	}

	// 4. Take it (or renew on the slow path), optimistic on resourceVersion.
	l := cur.DeepCopy()
	if holderOf(cur) == k.identity {
		l.Spec = k.spec(now, cur.Spec.AcquireTime, transitionsOf(cur))
	} else {
		l.Spec = k.spec(now, nil, transitionsOf(cur)+1)
	}
	got, err := leases.Update(ctx, l, metav1.UpdateOptions{})
	if err != nil {
		logger.Error(err, "Updating the lease failed")
		return false
	}
	k.setObserved(ctx, got, true)
	return true
}

// release hands the lease back (holder empty, 1 s duration, transitions kept)
// if the apiserver still names us, so a standby takes over at its next retry
// instead of waiting out the term. Conflicts (a renewal racing the release)
// are retried.
func (k *leaseLock) release(ctx context.Context) bool {
	logger := klog.FromContext(ctx)
	for ctx.Err() == nil {
		cur, err := k.client.Get(ctx, k.name, metav1.GetOptions{})
		if err != nil {
			logger.Error(err, "Reading the lease to release it failed")
			return false
		}
		if holderOf(cur) != k.identity {
			return true // someone else's now: nothing to release
		}
		l := cur.DeepCopy()
		empty, one, n := "", int32(1), metav1.NewMicroTime(k.clock.Now())
		l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds = &empty, &one
		l.Spec.AcquireTime, l.Spec.RenewTime = &n, &n
		got, err := k.client.Update(ctx, l, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			logger.Error(err, "Releasing the lease failed")
			return false
		}
		k.setObserved(ctx, got, true)
		return true
	}
	return false
}
