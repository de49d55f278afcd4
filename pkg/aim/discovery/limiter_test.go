package discovery

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	jobs := map[string]bool{}
	var mu sync.Mutex
	now := time.Unix(0, 0)
	l := &Limiter{Cap: 2, Jobs: func() map[string]bool {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]bool{}
		for k, v := range jobs {
			out[k] = v
		}
		return out
	}, Now: func() time.Time { return now }}

	if !l.TryAcquire("a") || !l.TryAcquire("b") {
		t.Fatal("two slots free")
	}
	if l.TryAcquire("c") {
		t.Fatal("cap reached by reservations")
	}
	if !l.TryAcquire("a") {
		t.Fatal("a holder keeps its slot")
	}
	// a's Job appears running: the reservation turns into a cached Job, still two in use.
	mu.Lock()
	jobs["a"] = true
	mu.Unlock()
	if l.TryAcquire("c") {
		t.Fatal("still at cap")
	}
	// a finishes: one slot frees.
	mu.Lock()
	jobs["a"] = false
	mu.Unlock()
	if !l.TryAcquire("c") {
		t.Fatal("slot freed by a finished Job")
	}
	// b's reservation expires (its Job was never created).
	now = now.Add(DefaultReservationTTL + time.Second)
	if !l.TryAcquire("d") {
		t.Fatal("expired reservation frees its slot")
	}
	if got := l.Running(); got != 1 {
		t.Fatalf("running %d", got)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := &Limiter{Cap: 10, Jobs: func() map[string]bool { return nil }}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if l.TryAcquire(fmt.Sprint(i)) {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if granted != 10 {
		t.Fatalf("granted %d, want 10", granted)
	}
}

func TestLimiterWake(t *testing.T) {
	running := map[string]bool{"x": true}
	l := &Limiter{Cap: 1, Jobs: func() map[string]bool { return running }}
	woken := 0
	if l.TryAcquireOrWait("a", func() { woken++ }) || l.TryAcquireOrWait("b", func() { woken++ }) {
		t.Fatal("at cap")
	}
	l.Wake(0)
	if woken != 2 {
		t.Fatalf("woken %d", woken)
	}
	l.Wake(0)
	if woken != 2 {
		t.Fatal("waiters are forgotten once woken")
	}
	running["x"] = false
	if !l.TryAcquireOrWait("a", func() { woken++ }) {
		t.Fatal("slot free")
	}
}
