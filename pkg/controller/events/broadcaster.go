// Package events records events.k8s.io/v1 Events for an operator. It replaces
// client-go's k8s.io/client-go/tools/events broadcaster, which imports
// k8s.io/client-go/kubernetes/scheme and so links every API group of
// k8s.io/api into the binary; this package needs only a
// kubeclient.EventsV1Interface and the caller's own scheme.
//
// A Recorder builds the Event and hands it to its Broadcaster's bounded queue
// (Eventf never blocks; a full queue drops). The Broadcaster's single worker
// (Run) writes Events to the apiserver and, like client-go, turns isomorphic
// repeats within six minutes into a series on the first Event instead of new
// objects.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/aimlite/aimlite/pkg/kubeclient"
)

const (
	// DefaultQueueSize is the number of Events waiting to be written before
	// Eventf starts dropping (client-go uses the same bound).
	DefaultQueueSize = 1000
	// SeriesWindow is how long after its last occurrence an Event can still be
	// continued as a series (client-go's finishTime).
	SeriesWindow = 6 * time.Minute

	// maxCacheEntries bounds the series cache; beyond it the least recently
	// seen entry is forgotten (a later repeat then creates a new Event).
	maxCacheEntries = 4096
	// purgeInterval is how often expired series entries are swept.
	purgeInterval = time.Minute
	// maxAttempts bounds writes of one Event on transient errors; an Event is
	// not worth holding the queue up for long.
	maxAttempts = 3
)

// Options configures a Broadcaster. The zero value is usable.
type Options struct {
	// QueueSize is the capacity of the queue between Eventf and the worker;
	// default DefaultQueueSize.
	QueueSize int
	// Clock stamps Events and measures series windows; default the real clock.
	Clock clock.PassiveClock
	// ReportingInstance is stored on every Event; default the hostname.
	ReportingInstance string
}

// Broadcaster queues Events from its Recorders and writes them in Run.
type Broadcaster struct {
	client   kubeclient.EventsV1Interface
	queue    chan *eventsv1.Event
	clock    clock.PassiveClock
	instance string
	running  atomic.Bool

	// retryDelay is the pause before retrying a transient write error, and
	// drainTimeout how long Run keeps writing queued Events after its context
	// ends; fields so tests can shorten them.
	retryDelay   time.Duration
	drainTimeout time.Duration

	// Worker state, touched only by Run's goroutine.
	cache     map[seriesKey]*seriesEntry
	lastPurge time.Time
	lastNanos int64
}

// NewBroadcaster returns a Broadcaster writing through client. Call Run to
// start writing.
func NewBroadcaster(client kubeclient.EventsV1Interface, opts Options) *Broadcaster {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.ReportingInstance == "" {
		opts.ReportingInstance = hostname()
	}
	return &Broadcaster{
		client:       client,
		queue:        make(chan *eventsv1.Event, opts.QueueSize),
		clock:        opts.Clock,
		instance:     opts.ReportingInstance,
		retryDelay:   time.Second,
		drainTimeout: 2 * time.Second,
		cache:        map[seriesKey]*seriesEntry{},
	}
}

// hostname is the default reporting instance; the apiserver requires one.
func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}

// NewRecorder returns a Recorder stamping reportingController on its Events
// and resolving the apiVersion/kind of typed objects through scheme.
func (b *Broadcaster) NewRecorder(scheme *runtime.Scheme, reportingController string) *Recorder {
	return &Recorder{b: b, scheme: scheme, controller: reportingController}
}

// enqueue hands ev to the worker without blocking.
func (b *Broadcaster) enqueue(ev *eventsv1.Event) {
	select {
	case b.queue <- ev:
	default:
		klog.Background().V(2).Info("Event queue full, dropping event",
			"object", klog.KRef(ev.Regarding.Namespace, ev.Regarding.Name), "kind", ev.Regarding.Kind,
			"type", ev.Type, "reason", ev.Reason, "note", ev.Note)
	}
}

// Run writes queued Events until ctx ends, then keeps writing what is already
// queued for a short grace period and returns. Call it once; a second
// concurrent call logs an error and returns.
func (b *Broadcaster) Run(ctx context.Context) {
	logger := klog.FromContext(ctx)
	if !b.running.CompareAndSwap(false, true) {
		logger.Error(nil, "events.Broadcaster.Run called while already running")
		return
	}
	defer b.running.Store(false)

	// Writes use work, which outlives ctx by drainTimeout so that an Event in
	// flight and those already queued still reach the apiserver on shutdown.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(b.drainTimeout, cancel) })
	defer stop()

	for {
		select {
		case ev := <-b.queue:
			b.record(work, ev)
		case <-ctx.Done():
			for work.Err() == nil {
				select {
				case ev := <-b.queue:
					b.record(work, ev)
				default:
					return
				}
			}
			if n := len(b.queue); n > 0 {
				logger.V(2).Info("Dropping queued events on shutdown", "count", n)
			}
			return
		}
	}
}

// objectKey identifies an object an Event refers to; resourceVersion is left
// out on purpose, since it changes with every status write.
type objectKey struct {
	apiVersion, kind, namespace, name string
	uid                               types.UID
}

func objectKeyOf(r *corev1.ObjectReference) objectKey {
	if r == nil {
		return objectKey{}
	}
	return objectKey{apiVersion: r.APIVersion, kind: r.Kind, namespace: r.Namespace, name: r.Name, uid: r.UID}
}

// seriesKey is what makes two Events isomorphic.
type seriesKey struct {
	regarding, related                          objectKey
	eventType, reason, action, note, controller string
}

func keyOf(ev *eventsv1.Event) seriesKey {
	return seriesKey{
		regarding:  objectKeyOf(&ev.Regarding),
		related:    objectKeyOf(ev.Related),
		eventType:  ev.Type,
		reason:     ev.Reason,
		action:     ev.Action,
		note:       ev.Note,
		controller: ev.ReportingController,
	}
}

// seriesEntry is the last Event written for a key and when it last occurred.
type seriesEntry struct {
	event    *eventsv1.Event
	lastSeen time.Time
}

// record writes ev, or continues the series of an isomorphic recent Event.
func (b *Broadcaster) record(ctx context.Context, ev *eventsv1.Event) {
	now := ev.EventTime.Time
	b.purge(now, false)
	key := keyOf(ev)
	if e, ok := b.cache[key]; ok && now.Sub(e.lastSeen) < SeriesWindow {
		count := int32(2)
		if e.event.Series != nil {
			count = e.event.Series.Count + 1
		}
		e.event.Series = &eventsv1.EventSeries{Count: count, LastObservedTime: metav1.MicroTime{Time: now}}
		e.lastSeen = now
		if !b.write(ctx, e.event) {
			// Next time start afresh rather than patch a missing Event again.
			delete(b.cache, key)
		}
		return
	}
	ev.Name = b.eventName(ev.Regarding.Name, now)
	if len(b.cache) >= maxCacheEntries {
		b.purge(now, true)
	}
	b.cache[key] = &seriesEntry{event: ev, lastSeen: now}
	if !b.write(ctx, ev) {
		delete(b.cache, key)
	}
}

// purge forgets series older than SeriesWindow, at most once per
// purgeInterval unless full; if the cache is still full it forgets the least
// recently seen entry.
func (b *Broadcaster) purge(now time.Time, full bool) {
	if !full && now.Sub(b.lastPurge) < purgeInterval {
		return
	}
	b.lastPurge = now
	var oldestKey seriesKey
	var oldest *seriesEntry
	for k, e := range b.cache {
		if now.Sub(e.lastSeen) >= SeriesWindow {
			delete(b.cache, k)
		} else if oldest == nil || e.lastSeen.Before(oldest.lastSeen) {
			oldestKey, oldest = k, e
		}
	}
	if full && len(b.cache) >= maxCacheEntries && oldest != nil {
		delete(b.cache, oldestKey)
	}
}

// eventName is client-go's "<regarding name>.<hex unix nanos>", with the
// nanos kept strictly increasing so that two Events stamped in the same
// instant do not collide; a UUID when that is not a valid object name.
func (b *Broadcaster) eventName(refName string, t time.Time) string {
	nanos := t.UnixNano()
	if nanos <= b.lastNanos {
		nanos = b.lastNanos + 1
	}
	b.lastNanos = nanos
	name := fmt.Sprintf("%s.%x", refName, nanos)
	if len(validation.NameIsDNSSubdomain(name, false)) > 0 {
		name = string(uuid.NewUUID())
	}
	return name
}

// write creates ev, or patches its series if it has one (creating it if it
// has gone), retrying transient errors a few times. It reports success.
func (b *Broadcaster) write(ctx context.Context, ev *eventsv1.Event) bool {
	for attempt := 1; ; attempt++ {
		err := b.writeOnce(ctx, ev)
		if err == nil {
			return true
		}
		if !transient(err) || attempt >= maxAttempts || !b.sleep(ctx) {
			logWriteError(klog.FromContext(ctx), ev, err)
			return false
		}
	}
}

func (b *Broadcaster) writeOnce(ctx context.Context, ev *eventsv1.Event) error {
	client := b.client.Events(ev.Namespace)
	if ev.Series != nil {
		patch, err := json.Marshal(map[string]*eventsv1.EventSeries{"series": ev.Series})
		if err != nil {
			return err
		}
		_, err = client.Patch(ctx, ev.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if !apierrors.IsNotFound(err) {
			return err
		}
		// Deleted (Events expire after an hour): recreate it with its series.
	}
	obj := ev.DeepCopy()
	obj.ResourceVersion = ""
	_, err := client.Create(ctx, obj, metav1.CreateOptions{})
	return err
}

func (b *Broadcaster) sleep(ctx context.Context) bool {
	t := time.NewTimer(b.retryDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// transient reports whether retrying err may succeed: transport errors and
// the apiserver being busy or failing. A rejection (Forbidden for a
// terminating namespace, NotFound, Invalid, AlreadyExists, ...) is final.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if _, ok := err.(apierrors.APIStatus); !ok {
		return true
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}

func logWriteError(logger klog.Logger, ev *eventsv1.Event, err error) {
	kv := []any{"event", klog.KRef(ev.Namespace, ev.Name), "object", klog.KRef(ev.Regarding.Namespace, ev.Regarding.Name),
		"kind", ev.Regarding.Kind, "type", ev.Type, "reason", ev.Reason}
	switch {
	case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause), apierrors.IsAlreadyExists(err):
		// Expected while a namespace is deleted, or for a duplicate: not news.
		logger.V(2).Info("Event not written", append(kv, "err", err)...)
	default:
		logger.Error(err, "Unable to write event (not retrying)", kv...)
	}
}
