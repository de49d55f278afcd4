package statemachine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	clocktesting "k8s.io/utils/clock/testing"
)

// logSink captures log lines as "info(v)|error: msg".
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *logSink) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lines = append(s.lines, args)
	}, funcr.Options{Verbosity: 5, LogInfoLevel: ptrStr("v")})
}

func ptrStr(s string) *string { return &s }

func (s *logSink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

// eventSink records Eventf calls.
type eventSink struct{ events []string }

func (s *eventSink) Eventf(_ runtime.Object, typ, reason, format string, args ...interface{}) {
	s.events = append(s.events, typ+" "+reason+" "+fmt.Sprintf(format, args...))
}

// emitTwice sets one condition with opts on a fresh object and on an object that already has it, and
// returns the events and log lines of each round.
func emitTwice(t *testing.T, status metav1.ConditionStatus, msg string, opts ...Option) (ev1, ev2, log1, log2 []string) {
	t.Helper()
	run := func(stored []metav1.Condition) ([]string, []string, []metav1.Condition) {
		cm := NewConditionManager(stored, 1, clocktesting.NewFakeClock(t0))
		cm.Set(metav1.Condition{Type: "ThingReady", Status: status, Reason: "Why", Message: msg}, opts...)
		rec := &eventSink{}
		sink := &logSink{}
		emit(sink.logger(), rec, newWidget(), cm.toReport())
		return rec.events, sink.take(), cm.Conditions()
	}
	ev1, log1, stored := run(nil)
	ev2, log2, _ = run(stored)
	return
}

func TestObservabilityModes(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		opts                 []Option
		status               metav1.ConditionStatus
		ev1, ev2             string // joined events of the first (transition) and second (steady) round
		logLevel1, logLevel2 string // "info", "error" or ""
	}{
		{"default", nil, "True", "Normal Why m", "", "info", ""},
		{"AsInfo", []Option{AsInfo()}, "True", "Normal Why m", "", "info", ""},
		{"AsWarning", []Option{AsWarning()}, "False", "Warning Why m", "", "error", ""},
		{"AsError", []Option{AsError()}, "False", "Warning Why m", "Warning Why m", "error", "error"},
		{"Silent", []Option{Silent()}, "False", "", "", "", ""},
		{"WithRecurring", []Option{AsInfo(), WithRecurring()}, "True", "Normal Why m", "Normal Why m", "info", "info"},
		{"WithWarningEvent", []Option{Silent(), WithWarningEvent()}, "True", "Warning Why m", "", "", ""},
		{"WithNormalEvent", []Option{AsWarning(), WithNormalEvent()}, "True", "Normal Why m", "", "error", ""},
		{"WithErrorLog", []Option{WithErrorLog()}, "True", "Normal Why m", "", "error", ""},
		{"WithInfoLog", []Option{AsWarning(), WithInfoLog()}, "False", "Warning Why m", "", "info", ""},
		{"WithCriticalError", []Option{WithCriticalError()}, "False", "Warning Why m", "Warning Why m", "error", "error"},
		{"overrides", []Option{WithEventReason("Custom"), WithEventMessage("hello")}, "True", "Normal Custom hello", "", "info", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev1, ev2, l1, l2 := emitTwice(t, tc.status, "m", tc.opts...)
			if got := strings.Join(ev1, ";"); got != tc.ev1 {
				t.Errorf("transition events = %q, want %q", got, tc.ev1)
			}
			if got := strings.Join(ev2, ";"); got != tc.ev2 {
				t.Errorf("steady events = %q, want %q", got, tc.ev2)
			}
			for i, pair := range [][2]any{{l1, tc.logLevel1}, {l2, tc.logLevel2}} {
				lines, level := pair[0].([]string), pair[1].(string)
				if level == "" {
					if len(lines) != 0 {
						t.Errorf("round %d: logs %v, want none", i+1, lines)
					}
					continue
				}
				if len(lines) != 1 {
					t.Fatalf("round %d: logs %v", i+1, lines)
				}
				isErr := strings.Contains(lines[0], `"error"=`)
				if (level == "error") != isErr || !strings.Contains(lines[0], `"condition"="ThingReady"`) {
					t.Errorf("round %d: log %q, want %s", i+1, lines[0], level)
				}
			}
		})
	}
}

func TestDebugLogVerbosity(t *testing.T) {
	cm := NewConditionManager(nil, 1, nil)
	cm.MarkTrue("XReady", "R", "m", WithDebugLog())
	sink := &logSink{}
	emit(sink.logger(), nil, newWidget(), cm.toReport())
	lines := sink.take()
	if len(lines) != 1 || !strings.Contains(lines[0], `"v"=1`) {
		t.Fatalf("lines = %v", lines)
	}
}

func TestEmptyMessageEvents(t *testing.T) {
	for status, want := range map[metav1.ConditionStatus]string{
		"True":    "Normal Why Thing is ready: Why",
		"False":   "Normal Why Thing is not ready: Why",
		"Unknown": "Normal Why Thing status unknown: Why",
	} {
		ev, _, _, _ := emitTwice(t, status, "")
		if len(ev) != 1 || ev[0] != want {
			t.Errorf("%s: %v, want %q", status, ev, want)
		}
	}
	// A type that is only "Ready" keeps its name.
	if got := reportMessage(metav1.Condition{Type: "Ready", Status: "True", Reason: "R"}, Observability{}); got != "Ready is ready: R" {
		t.Errorf("got %q", got)
	}
}

func TestRunEmitsOnTransitionAndRecurringErrors(t *testing.T) {
	e := newEnv()
	sink := &logSink{}
	ctx := klog.NewContext(context.Background(), sink.logger())
	health := []ComponentHealth{{Component: "A"}, {Component: "B", Errors: []error{NewInvalidSpecError("Bad", "bad spec", nil)}}}
	p := e.pipeline(&funcReconciler{health: func() []ComponentHealth { return health }})
	_, _ = p.Run(ctx, newWidget())
	first := e.events()
	_, _ = p.Run(ctx, e.store.last(t))
	second := e.events()
	want1 := []string{
		"Normal Ready A is ready: Ready",
		"Warning Bad bad spec",
		"Warning InvalidSpec Configuration validation failed",
		"Warning InvalidSpec Configuration validation failed",
	}
	if strings.Join(first, "\n") != strings.Join(want1, "\n") {
		t.Errorf("first run events:\n%s\nwant:\n%s", strings.Join(first, "\n"), strings.Join(want1, "\n"))
	}
	// Steady state: only the AsError conditions repeat (component B, ConfigValid, Ready).
	if len(second) != 3 || strings.Contains(strings.Join(second, "\n"), "Normal") {
		t.Errorf("second run events: %v", second)
	}
	logs := sink.take()
	if len(logs) != 7 {
		t.Errorf("logs = %d: %v", len(logs), logs)
	}
}

func TestFromEventsRecorder(t *testing.T) {
	fake := &fakeEventsRecorder{}
	r := FromEventsRecorder(fake, "Reconcile")
	r.Eventf(newWidget(), "Normal", "Why", "%s!", "hi")
	if fake.got != "Normal Why Reconcile hi!" {
		t.Fatalf("got %q", fake.got)
	}
}

type fakeEventsRecorder struct{ got string }

func (f *fakeEventsRecorder) Eventf(_ runtime.Object, _ runtime.Object, typ, reason, action, note string, args ...interface{}) {
	f.got = typ + " " + reason + " " + action + " " + fmt.Sprintf(note, args...)
}

func TestConditionManagerHelpers(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	cm := NewConditionManager([]metav1.Condition{{Type: "A", Status: "True", Reason: "R", LastTransitionTime: metav1.NewTime(t0.Add(-time.Hour))}}, 7, clk)
	if !cm.IsTrue("A") || cm.IsTrue("B") || cm.Get("B") != nil {
		t.Fatal("Get/IsTrue")
	}
	cm.MarkUnknown("B", "Wait", "m")
	if b := cm.Get("B"); b.Status != "Unknown" || b.ObservedGeneration != 7 || b.LastTransitionTime.Time != t0 {
		t.Fatalf("B = %+v", b)
	}
	// Setting twice in one reconcile does not re-stamp against the value just set.
	clk.Step(time.Minute)
	cm.MarkTrue("A", "R2", "m")
	cm.MarkTrue("A", "R3", "m")
	if a := cm.Get("A"); a.LastTransitionTime.Time != t0.Add(-time.Hour) || a.Reason != "R3" {
		t.Fatalf("A = %+v", a)
	}
	cm.Delete("A")
	cm.Delete("missing")
	if got := cm.Conditions(); len(got) != 1 || got[0].Type != "B" {
		t.Fatalf("conditions = %+v", got)
	}
	if NewConditionManager(nil, 0, nil).Conditions() != nil {
		t.Fatal("empty manager must return nil")
	}
	if ts := cm.Transitions(); len(ts) != 1 || ts[0].Condition.Type != "B" || !ts[0].Changed {
		t.Fatalf("transitions %+v", ts)
	}
	if DefaultObservability().EventMode != EmitOnTransition {
		t.Fatal("default")
	}
}
