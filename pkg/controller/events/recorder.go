package events

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/reference"
	"k8s.io/klog/v2"
)

// MaxNoteLength is the longest note the apiserver accepts, in bytes; longer
// notes are truncated rather than rejected.
const MaxNoteLength = 1024

// Recorder records Events for one reporting controller. Its Eventf has the
// signature of client-go's events.EventRecorder, so code written against that
// interface accepts it. A nil *Recorder records nothing.
type Recorder struct {
	b          *Broadcaster
	scheme     *runtime.Scheme
	controller string
}

// Eventf records an Event about regarding (and optionally related) with the
// note formatted from note and args. It never blocks: the Event is queued
// for the Broadcaster, or dropped and logged if it cannot be built or the
// queue is full. eventtype must be corev1.EventTypeNormal or EventTypeWarning.
func (r *Recorder) Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...interface{}) {
	if r == nil {
		return
	}
	logger := klog.Background()
	message := truncate(fmt.Sprintf(note, args...), MaxNoteLength)
	if eventtype != corev1.EventTypeNormal && eventtype != corev1.EventTypeWarning {
		logger.Error(nil, "Unsupported event type, dropping event", "eventType", eventtype, "reason", reason, "note", message)
		return
	}
	refRegarding, err := r.reference(regarding)
	if err != nil {
		logger.Error(err, "Could not construct reference, dropping event", "objectType", fmt.Sprintf("%T", regarding), "eventType", eventtype, "reason", reason, "note", message)
		return
	}
	var refRelated *corev1.ObjectReference
	if !isNil(related) {
		if refRelated, err = r.reference(related); err != nil {
			// As client-go: the Event is still worth having without it.
			logger.V(4).Info("Could not construct reference to related object", "objectType", fmt.Sprintf("%T", related), "err", err)
		}
	}
	namespace := refRegarding.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault // where cluster-scoped objects' Events live
	}
	r.b.enqueue(&eventsv1.Event{
		// Name is set by the worker, which keeps names unique.
		ObjectMeta:          metav1.ObjectMeta{Namespace: namespace},
		EventTime:           metav1.MicroTime{Time: r.b.clock.Now()},
		ReportingController: r.controller,
		ReportingInstance:   r.b.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *refRegarding,
		Related:             refRelated,
		Note:                message,
		Type:                eventtype,
	})
}

// reference is client-go's reference.GetReference (apiVersion/kind from the
// object, else from the scheme; metadata from the object) made safe for nil
// and typed-nil objects, and returning a copy.
func (r *Recorder) reference(obj runtime.Object) (*corev1.ObjectReference, error) {
	if isNil(obj) {
		return nil, fmt.Errorf("nil object %T", obj)
	}
	ref, err := reference.GetReference(r.scheme, obj)
	if err != nil {
		return nil, err
	}
	return ref.DeepCopy(), nil
}

// isNil reports whether obj is nil or a nil pointer, which would make the
// metadata accessors panic.
func isNil(obj runtime.Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
