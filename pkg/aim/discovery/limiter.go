package discovery

import (
	"sync"
	"time"
)

// DefaultReservationTTL bounds how long a granted slot waits for its Job to appear in the cache.
const DefaultReservationTTL = 30 * time.Second

// Limiter caps the number of discovery Jobs running at once across all template controllers of this
// process. Running Jobs are counted from the informer cache (ActiveJobs); a slot granted to a template
// is reserved until its Job shows up in the cache, so two reconciles racing on a stale cache cannot
// both take the last slot. No API call and no Lease are involved (only the leader reconciles).
type Limiter struct {
	// Cap is the maximum number of running discovery Jobs (<= 0: unlimited).
	Cap int
	// Jobs returns, from the cache, the key of every discovery Job and whether it is still running.
	Jobs func() map[string]bool
	// Now and TTL tune reservation expiry (defaults: time.Now, DefaultReservationTTL).
	Now func() time.Time
	TTL time.Duration

	mu       sync.Mutex
	reserved map[string]time.Time
	waiting  map[string]func()
}

// TryAcquireOrWait is TryAcquire that, when refused, remembers wake (e.g. an enqueue of the template) to
// be called by Wake when a slot may have freed up, instead of leaving the waiter to poll.
func (l *Limiter) TryAcquireOrWait(key string, wake func()) bool {
	if l.TryAcquire(key) {
		l.mu.Lock()
		delete(l.waiting, key)
		l.mu.Unlock()
		return true
	}
	if wake != nil {
		l.mu.Lock()
		if l.waiting == nil {
			l.waiting = map[string]func(){}
		}
		l.waiting[key] = wake
		l.mu.Unlock()
	}
	return false
}

// Wake calls the wake functions of up to n waiters (n <= 0: all) and forgets them; call it when a
// discovery Job finishes or disappears.
func (l *Limiter) Wake(n int) {
	l.mu.Lock()
	var fns []func()
	for k, f := range l.waiting {
		if n > 0 && len(fns) >= n {
			break
		}
		fns = append(fns, f)
		delete(l.waiting, k)
	}
	l.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// TryAcquire grants key a slot if it holds one already or fewer than Cap Jobs run or are reserved.
func (l *Limiter) TryAcquire(key string) bool {
	if l.Cap <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reserved == nil {
		l.reserved = map[string]time.Time{}
	}
	jobs := l.prune()
	if _, ok := l.reserved[key]; ok {
		return true
	}
	running := len(l.reserved)
	for _, active := range jobs {
		if active {
			running++
		}
	}
	if running >= l.Cap {
		return false
	}
	l.reserved[key] = l.now()
	return true
}

// prune drops reservations whose Job is in the cache (it counts there now) or that expired (the Job was
// never created); it returns the cached Jobs. Call with mu held.
func (l *Limiter) prune() map[string]bool {
	jobs := l.Jobs()
	ttl := l.TTL
	if ttl <= 0 {
		ttl = DefaultReservationTTL
	}
	now := l.now()
	for k, at := range l.reserved {
		if _, seen := jobs[k]; seen || now.Sub(at) > ttl {
			delete(l.reserved, k)
		}
	}
	return jobs
}

// Release drops key's reservation (its Job will not be created after all).
func (l *Limiter) Release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.reserved, key)
}

// Running returns the number of running Jobs plus outstanding reservations.
func (l *Limiter) Running() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	jobs := l.prune()
	n := len(l.reserved)
	for _, active := range jobs {
		if active {
			n++
		}
	}
	return n
}
