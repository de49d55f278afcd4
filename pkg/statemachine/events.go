package statemachine

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
)

// Recorder is the part of client-go's record.EventRecorder the engine needs, so a record.EventRecorder from
// record.NewBroadcaster (or record.NewFakeRecorder in tests) can be passed directly. For the newer
// events.k8s.io API use FromEventsRecorder. The recorder's scheme must know the reconciled kind, since
// typed objects from a lister carry no apiVersion/kind.
type Recorder interface {
	Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...interface{})
}

// EventsRecorder is the method of client-go's events.EventRecorder (events.k8s.io/v1), declared here so
// the engine does not import k8s.io/client-go/tools/events (and through it every API group's scheme).
type EventsRecorder interface {
	Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...interface{})
}

// FromEventsRecorder adapts an EventsRecorder such as client-go's events.EventRecorder; action is stored
// on every event.
func FromEventsRecorder(r EventsRecorder, action string) Recorder {
	return eventsAdapter{r: r, action: action}
}

type eventsAdapter struct {
	r      EventsRecorder
	action string
}

func (a eventsAdapter) Eventf(obj runtime.Object, eventtype, reason, messageFmt string, args ...interface{}) {
	a.r.Eventf(obj, nil, eventtype, reason, a.action, messageFmt, args...)
}

// reportMessage is the condition message, or "<X> is ready|is not ready|status unknown: <reason>".
func reportMessage(c metav1.Condition, o Observability) string {
	if o.Message != "" {
		return o.Message
	}
	if c.Message != "" {
		return c.Message
	}
	name := strings.TrimSuffix(c.Type, "Ready")
	if name == "" {
		name = c.Type
	}
	switch c.Status {
	case metav1.ConditionTrue:
		return name + " is ready: " + c.Reason
	case metav1.ConditionFalse:
		return name + " is not ready: " + c.Reason
	}
	return name + " status unknown: " + c.Reason
}

func due(mode EmitMode, changed bool) bool {
	return mode == EmitAlways || (mode == EmitOnTransition && changed)
}

// emit sends events and log lines for the conditions set this reconcile, following each one's config.
func emit(logger klog.Logger, rec Recorder, obj runtime.Object, ts []Transition) {
	for _, t := range ts {
		c, o := t.Condition, t.Observability
		msg := reportMessage(c, o)
		if rec != nil && due(o.EventMode, t.Changed) {
			typ := corev1.EventTypeNormal
			if o.EventLevel == LevelWarning {
				typ = corev1.EventTypeWarning
			}
			reason := c.Reason
			if o.Reason != "" {
				reason = o.Reason
			}
			rec.Eventf(obj, typ, reason, "%s", msg)
		}
		if due(o.LogMode, t.Changed) {
			kv := []any{"condition", c.Type, "status", c.Status, "reason", c.Reason}
			if o.LogLevel == LevelWarning {
				logger.Error(nil, msg, kv...)
			} else {
				logger.V(o.LogV).Info(msg, kv...)
			}
		}
	}
}
