package inspect

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// LogSource returns the last lines of a container's log.
type LogSource interface {
	TailLogs(ctx context.Context, pod *corev1.Pod, container string, lines int64) ([]string, error)
}

// EventSource returns the events about a pod.
type EventSource interface {
	PodEvents(ctx context.Context, pod *corev1.Pod) ([]corev1.Event, error)
}

// PodInspector inspects pods; Logs and Events may be nil (no log or event inspection).
type PodInspector struct {
	Logs   LogSource
	Events EventSource
}

// ClientsetSource reads logs and events live through a clientset (a kubernetes.Interface can be adapted
// with kubeclient/clientsetadapter).
type ClientsetSource struct{ Client kubeclient.Interface }

// TailLogs reads the last lines of one container's log.
func (s ClientsetSource) TailLogs(ctx context.Context, pod *corev1.Pod, container string, lines int64) ([]string, error) {
	rc, err := s.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: container, TailLines: &lines}).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return nil, err
	}
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

// PodEvents lists the events whose involved object is the pod.
func (s ClientsetSource) PodEvents(ctx context.Context, pod *corev1.Pod) ([]corev1.Event, error) {
	sel := fields.Set{"involvedObject.name": pod.Name, "involvedObject.uid": string(pod.UID)}.AsSelector().String()
	list, err := s.Client.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Pods inspects a live pod list; logs and events come from cs (nil: none).
func Pods(ctx context.Context, cs kubeclient.Interface, list *corev1.PodList) sm.ComponentHealth {
	var pods []*corev1.Pod
	if list != nil {
		for i := range list.Items {
			pods = append(pods, &list.Items[i])
		}
	}
	return ForClient(cs).Health(ctx, pods)
}

// ForClient returns the inspector reading logs and events through cs (nil: none). Its Health method is a
// statemachine.ContextInspector for lister results:
//
//	fetched.ToComponentHealthWithContext(ctx, "Pods", inspect.ForClient(cs).Health)
func ForClient(cs kubeclient.Interface) PodInspector {
	if cs == nil {
		return PodInspector{}
	}
	src := ClientsetSource{Client: cs}
	return PodInspector{Logs: src, Events: src}
}

func fail(err error) sm.ComponentHealth { return sm.ComponentHealth{Errors: []error{err}} }

// Health applies the rules of catalogue §2.3 in order; the first match wins.
func (pi PodInspector) Health(ctx context.Context, pods []*corev1.Pod) sm.ComponentHealth {
	if len(pods) == 0 {
		return fail(sm.NewMissingDownstreamDependencyError("NoPods", "No pods found", nil))
	}
	for _, p := range pods {
		if h, ok := imagePullFailure(p); ok {
			return h
		}
	}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodFailed {
			return pi.failedPod(ctx, p)
		}
	}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || (p.Status.Phase == corev1.PodRunning && podReady(p)) {
			return sm.ComponentHealth{State: sm.StateReady, Reason: "PodsReady", Message: "Pods are ready"}
		}
	}
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning {
			return sm.ComponentHealth{State: sm.StateStarting, Reason: "PodsStarting", Message: "Pods are running, waiting for readiness"}
		}
	}
	var pulling *corev1.Event
	pending := false
	for _, p := range pods {
		if p.Status.Phase != corev1.PodPending {
			continue
		}
		pending = true
		if pi.Events == nil {
			continue
		}
		evs, err := pi.Events.PodEvents(ctx, p)
		if err != nil {
			continue // events are a hint; the pod is pending either way
		}
		if ev := newest(evs, "FailedScheduling", "FailedMount", "FailedAttachVolume", "FailedCreatePodSandBox"); ev != nil {
			return sm.ComponentHealth{State: sm.StatePending, Reason: ev.Reason, Message: ev.Message}
		}
		if ev := newest(evs, "Pulling"); ev != nil && pulling == nil {
			pulling = ev
		}
	}
	switch {
	case pulling != nil:
		return sm.ComponentHealth{State: sm.StateProgressing, Reason: "Pulling", Message: pulling.Message}
	case pending:
		return sm.ComponentHealth{State: sm.StatePending, Reason: "PodsPending", Message: "Pods are pending"}
	}
	return sm.ComponentHealth{State: sm.StateProgressing, Reason: "PodsProgressing", Message: "Pods are progressing"}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// newest returns the event with one of the reasons and the latest lastTimestamp.
func newest(evs []corev1.Event, reasons ...string) *corev1.Event {
	var best *corev1.Event
	for i := range evs {
		ev := &evs[i]
		for _, r := range reasons {
			if ev.Reason == r && (best == nil || best.LastTimestamp.Before(&ev.LastTimestamp)) {
				best = ev
			}
		}
	}
	return best
}

var (
	authWords     = []string{"unauthorized", "authentication required", "authentication failed", "401", "403", "forbidden", "denied", "permission denied", "access denied", "credentials", "authentication"}
	notFoundWords = []string{"not found", "404", "manifest unknown", "name unknown", "image not found", "no such"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// imagePullFailure looks for a container (regular first, then init) that cannot pull its image.
func imagePullFailure(p *corev1.Pod) (sm.ComponentHealth, bool) {
	statuses := append(append([]corev1.ContainerStatus{}, p.Status.ContainerStatuses...), p.Status.InitContainerStatuses...)
	for _, cs := range statuses {
		w := cs.State.Waiting
		if w == nil || (w.Reason != "ImagePullBackOff" && w.Reason != "ErrImagePull") {
			continue
		}
		msg := fmt.Sprintf("Container %s: %s", cs.Name, w.Message)
		lower := strings.ToLower(w.Message)
		switch {
		case containsAny(lower, authWords):
			return fail(sm.NewAuthError("ImagePullAuthFailure", msg, nil)), true
		case containsAny(lower, notFoundWords):
			return fail(sm.NewMissingUpstreamDependencyError("ImageNotFound", msg, nil)), true
		default:
			return fail(sm.NewInfrastructureError("ImagePullBackOff", msg, nil)), true
		}
	}
	return sm.ComponentHealth{}, false
}

// logGroup is one family of log-line patterns.
type logGroup int

const (
	groupNone logGroup = iota
	groupInfra
	groupNotFound
	groupAuth
	groupStorage
)

func compile(ps ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(ps))
	for i, p := range ps {
		out[i] = regexp.MustCompile("(?i)" + p)
	}
	return out
}

// logPatterns are tried in this order; not-found precedes auth because Hugging Face answers a missing
// repository with 401.
var logPatterns = []struct {
	group    logGroup
	patterns []*regexp.Regexp
}{
	{groupInfra, compile(`RBAC:.*not found`, `clusterrole.*not found`, `forbidden.*cannot.*resource`, `serviceaccount.*cannot`)},
	{groupNotFound, compile(`Repository Not Found`, `RepositoryNotFoundError`, `404.*not.*found`, `not.*found.*404`, `NoSuchKey`, `NoSuchBucket`, `model.*not.*found`, `file.*not.*found`, `s3.*404`)},
	{groupAuth, compile(`access.*denied.*s3`, `s3.*403`, `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `s3.*unauthorized`, `aws.*credentials.*not.*found`, `NoCredentialProviders`, `Access to model .* is restricted`, `Cannot access gated repo`, `Invalid.*token.*huggingface`, `huggingface.*authentication.*failed`, `401.*Unauthorized.*hf\.co`, `403.*Forbidden.*hf\.co`)},
	{groupStorage, compile(`no space left on device`, `disk.*full`, `ENOSPC`, `quota.*exceeded`, `storage.*full`)},
}

// ClassifyLogs returns the first pattern group with a matching line, and that line.
func classifyLogs(lines []string) (logGroup, string) {
	for _, g := range logPatterns {
		for _, l := range lines {
			for _, re := range g.patterns {
				if re.MatchString(l) {
					return g.group, l
				}
			}
		}
	}
	return groupNone, ""
}

const logTailLines = 50

// failedPod explains a pod in phase Failed from its terminated container, its logs and its reason.
func (pi PodInspector) failedPod(ctx context.Context, p *corev1.Pod) sm.ComponentHealth {
	var msg, reason, container string
	var exit int32
	found := false
	for _, set := range []struct {
		label    string
		statuses []corev1.ContainerStatus
	}{{"Container", p.Status.ContainerStatuses}, {"Init container", p.Status.InitContainerStatuses}} {
		for _, cs := range set.statuses {
			t := cs.State.Terminated
			if t == nil {
				continue
			}
			found, reason, container, exit = true, t.Reason, cs.Name, t.ExitCode
			switch {
			case t.ExitCode != 0:
				msg = fmt.Sprintf("%s %s failed with exit code %d: %s", set.label, cs.Name, t.ExitCode, t.Message)
			case t.Message != "":
				msg = t.Message
			default:
				msg = fmt.Sprintf("%s %s terminated with reason: %s", set.label, cs.Name, t.Reason)
			}
			break
		}
		if found {
			break
		}
	}
	if !found {
		reason = p.Status.Reason
		switch {
		case p.Status.Message != "":
			msg = p.Status.Message
		case p.Status.Reason != "":
			msg = p.Status.Reason
		default:
			msg = "Pod failed"
		}
	}

	group := groupNone
	if found && exit != 0 && reason != "OOMKilled" && pi.Logs != nil {
		if lines, err := pi.Logs.TailLogs(ctx, p, container, logTailLines); err == nil && len(lines) > 0 {
			var line string
			group, line = classifyLogs(lines)
			excerpt := line
			if group == groupNone {
				excerpt = strings.Join(lines[max(0, len(lines)-3):], "\n")
			}
			msg += "\n\nLog excerpt:\n" + excerpt
		}
	}
	switch group {
	case groupAuth:
		return fail(sm.NewAuthError("AuthError", "Authentication error detected in pod logs: "+msg, nil))
	case groupStorage:
		return fail(sm.NewResourceExhaustionError("StorageFull", "Storage full error detected in pod logs: "+msg, nil))
	case groupNotFound:
		return fail(sm.NewInvalidSpecError("SourceNotFound", "Source resource not found (404): "+msg, nil))
	}
	switch reason {
	case "OOMKilled":
		return fail(sm.NewResourceExhaustionError("PodOOMKilled", msg, nil))
	case "DeadlineExceeded":
		return fail(sm.NewInvalidSpecError("PodDeadlineExceeded", msg, nil))
	case "Evicted":
		return fail(sm.NewInfrastructureError("PodEvicted", msg, nil))
	}
	return fail(sm.NewInvalidSpecError("PodFailed", msg, nil))
}
