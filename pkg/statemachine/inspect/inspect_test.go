package inspect

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/aimlite/aimlite/pkg/kubeclient/clientsetadapter"

	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// expect checks a health against catalogue columns: condition status, state, reason, message, category.
func expect(t *testing.T, h sm.ComponentHealth, state sm.State, reason, msg string, cat *sm.ErrorCategory) {
	t.Helper()
	if h.GetState() != state || h.GetReason() != reason || (msg != "*" && h.GetMessage() != msg) {
		t.Errorf("got %s/%s/%q, want %s/%s/%q", h.GetState(), h.GetReason(), h.GetMessage(), state, reason, msg)
	}
	switch {
	case cat == nil && len(h.Errors) != 0:
		t.Errorf("unexpected errors %v", h.Errors)
	case cat != nil && (len(h.Errors) != 1 || sm.CategorizeError(h.Errors[0]).Category() != *cat):
		t.Errorf("errors %v, want category %s", h.Errors, *cat)
	}
}

func catp(c sm.ErrorCategory) *sm.ErrorCategory { return &c }

var (
	infra = catp(sm.CategoryInfrastructure)
	auth  = catp(sm.CategoryAuth)
	spec  = catp(sm.CategoryInvalidSpec)
	up    = catp(sm.CategoryMissingUpstreamDependency)
	down  = catp(sm.CategoryMissingDownstreamDependency)
	exh   = catp(sm.CategoryResourceExhaustion)
)

func job(conds ...batchv1.JobCondition) *batchv1.Job {
	return &batchv1.Job{Status: batchv1.JobStatus{Conditions: conds}}
}

func TestJob(t *testing.T) {
	failed := func(reason, msg string) batchv1.JobCondition {
		return batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: reason, Message: msg}
	}
	expect(t, Job(nil), sm.StateProgressing, "JobNotFound", "Job not found", down)
	expect(t, Job(job(batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue})), sm.StateReady, "Ready", "", nil)
	expect(t, Job(job(failed("BackoffLimitExceeded", "too many"))), sm.StateFailed, "JobBackoffLimitExceeded", "too many", spec)
	expect(t, Job(job(failed("DeadlineExceeded", ""))), sm.StateFailed, "JobDeadlineExceeded", "Job failed", spec)
	expect(t, Job(job(failed("Evicted", "node gone"))), sm.StateDegraded, "JobEvicted", "node gone", infra)
	expect(t, Job(job(failed("PodFailurePolicy", "x"))), sm.StateFailed, "JobFailed", "x", spec)
	expect(t, Job(job(batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionFalse}, batchv1.JobCondition{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue})),
		sm.StateProgressing, "JobRunning", "Job is in progress", nil)
	// Conditions are checked in order.
	expect(t, Job(job(failed("Evicted", "m"), batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue})), sm.StateDegraded, "JobEvicted", "m", infra)
}

func TestPVC(t *testing.T) {
	pvc := func(phase corev1.PersistentVolumeClaimPhase, conds ...corev1.PersistentVolumeClaimCondition) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{Phase: phase, Conditions: conds}}
	}
	expect(t, PVC(nil), sm.StateProgressing, "PvcNotFound", "PVC not found", down)
	expect(t, PVC(pvc(corev1.ClaimBound)), sm.StateReady, "Ready", "", nil)
	expect(t, PVC(pvc(corev1.ClaimLost)), sm.StateDegraded, "PvcLost", "PVC lost its underlying volume", infra)
	expect(t, PVC(pvc(corev1.ClaimPending, corev1.PersistentVolumeClaimCondition{Type: corev1.PersistentVolumeClaimResizing, Status: corev1.ConditionFalse, Reason: "ProvisioningFailed", Message: "no class"})),
		sm.StateDegraded, "PvcProvisioningFailed", "PVC provisioning failed: no class", infra)
	expect(t, PVC(pvc(corev1.ClaimPending)), sm.StateProgressing, "PvcPending", "PVC is pending", nil)
}

func TestDeployment(t *testing.T) {
	three := int32(3)
	d := func(gen, observed int64, st appsv1.DeploymentStatus) *appsv1.Deployment {
		st.ObservedGeneration = observed
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: gen}, Spec: appsv1.DeploymentSpec{Replicas: &three}, Status: st}
	}
	expect(t, Deployment(nil), sm.StateProgressing, "DeploymentNotFound", "Deployment not found", down)
	expect(t, Deployment(d(1, 1, appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: "stuck"}}})),
		sm.StateDegraded, "DeploymentProgressDeadlineExceeded", "stuck", nil)
	expect(t, Deployment(d(1, 1, appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Message: "quota"}}})),
		sm.StateDegraded, "DeploymentReplicaFailure", "quota", nil)
	expect(t, Deployment(d(2, 1, appsv1.DeploymentStatus{})), sm.StateProgressing, "DeploymentProgressing", "*", nil)
	expect(t, Deployment(d(1, 1, appsv1.DeploymentStatus{UpdatedReplicas: 1})), sm.StateProgressing, "DeploymentRollingOut", "1 of 3 replicas updated", nil)
	expect(t, Deployment(d(1, 1, appsv1.DeploymentStatus{UpdatedReplicas: 3, Replicas: 3, AvailableReplicas: 2})), sm.StateStarting, "DeploymentNotAvailable", "2 of 3 replicas available", nil)
	expect(t, Deployment(d(1, 1, appsv1.DeploymentStatus{UpdatedReplicas: 3, Replicas: 4, AvailableReplicas: 3})), sm.StateStarting, "DeploymentNotAvailable", "*", nil)
	expect(t, Deployment(d(1, 1, appsv1.DeploymentStatus{UpdatedReplicas: 3, Replicas: 3, AvailableReplicas: 3})), sm.StateReady, "DeploymentAvailable", "Deployment is available", nil)
	// Default of one replica.
	one := &appsv1.Deployment{Status: appsv1.DeploymentStatus{UpdatedReplicas: 1, Replicas: 1, AvailableReplicas: 1}}
	expect(t, Deployment(one), sm.StateReady, "DeploymentAvailable", "*", nil)
}

func route(parents ...[]map[string]any) *unstructured.Unstructured {
	var ps []any
	for _, conds := range parents {
		var cs []any
		for _, c := range conds {
			cs = append(cs, c)
		}
		ps = append(ps, map[string]any{"conditions": cs})
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"parents": ps}}}
	return u
}

func TestHTTPRoute(t *testing.T) {
	c := func(typ, status, reason, msg string) map[string]any {
		return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg}
	}
	expect(t, HTTPRoute(nil), sm.StateProgressing, "HTTPRouteNotFound", "HTTPRoute not found", down)
	expect(t, HTTPRoute(route([]map[string]any{c("Accepted", "True", "Accepted", "")})), sm.StateReady, "HTTPRouteAccepted", "HTTPRoute is accepted by gateway", nil)
	expect(t, HTTPRoute(route([]map[string]any{c("Accepted", "False", "NotAllowedByListeners", "no listener")})), sm.StateFailed, "NotAllowedByListeners", "HTTPRoute rejected: no listener", spec)
	expect(t, HTTPRoute(route([]map[string]any{c("Accepted", "Unknown", "", "")})), sm.StateFailed, "HTTPRouteRejected", "HTTPRoute rejected: ", spec)
	expect(t, HTTPRoute(route([]map[string]any{c("ResolvedRefs", "False", "BackendNotFound", "svc x")})), sm.StateProgressing, "BackendNotFound", "HTTPRoute backend not resolved: svc x", down)
	expect(t, HTTPRoute(route([]map[string]any{c("ResolvedRefs", "False", "", "m")})), sm.StateProgressing, "HTTPRouteBackendNotResolved", "*", down)
	// ResolvedRefs=True does not decide; the next parent's Accepted does.
	expect(t, HTTPRoute(route([]map[string]any{c("ResolvedRefs", "True", "ResolvedRefs", "")}, []map[string]any{c("Accepted", "True", "Accepted", "")})), sm.StateReady, "HTTPRouteAccepted", "*", nil)
	expect(t, HTTPRoute(route()), sm.StateProgressing, "HTTPRoutePending", "HTTPRoute is waiting for gateway acceptance", nil)
	// Malformed entries are skipped.
	bad := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"parents": []any{"x", map[string]any{"conditions": []any{"y"}}}}}}
	expect(t, HTTPRoute(bad), sm.StateProgressing, "HTTPRoutePending", "*", nil)
}

// stubSource serves logs and events from memory.
type stubSource struct {
	logs      []string
	logErr    error
	events    []corev1.Event
	eventErr  error
	logCalls  int
	container string
}

func (s *stubSource) TailLogs(_ context.Context, _ *corev1.Pod, container string, lines int64) ([]string, error) {
	s.logCalls++
	s.container = container
	if lines != 50 {
		return nil, errors.New("want 50 lines")
	}
	return s.logs, s.logErr
}

func (s *stubSource) PodEvents(context.Context, *corev1.Pod) ([]corev1.Event, error) {
	return s.events, s.eventErr
}

func pod(phase corev1.PodPhase, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u"}, Status: corev1.PodStatus{Phase: phase}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func waiting(name, reason, msg string, init bool) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		s := corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
		if init {
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, s)
		} else {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, s)
		}
	}
}

func terminated(name string, code int32, reason, msg string, init bool) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		s := corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, Message: msg}}}
		if init {
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, s)
		} else {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, s)
		}
	}
}

func ready(p *corev1.Pod) {
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
}

func TestPodsBasicRows(t *testing.T) {
	ctx := context.Background()
	pi := PodInspector{}
	expect(t, pi.Health(ctx, nil), sm.StateProgressing, "NoPods", "No pods found", down)
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodSucceeded)}), sm.StateReady, "PodsReady", "Pods are ready", nil)
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodPending), pod(corev1.PodRunning, ready)}), sm.StateReady, "PodsReady", "Pods are ready", nil)
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodRunning, func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	})}), sm.StateStarting, "PodsStarting", "Pods are running, waiting for readiness", nil)
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodRunning)}), sm.StateStarting, "PodsStarting", "*", nil)
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodPending)}), sm.StatePending, "PodsPending", "Pods are pending", nil)
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodUnknown)}), sm.StateProgressing, "PodsProgressing", "Pods are progressing", nil)
}

func TestPodsImagePull(t *testing.T) {
	ctx := context.Background()
	pi := PodInspector{}
	for _, tc := range []struct {
		reason, msg string
		init        bool
		state       sm.State
		want        string
		cat         *sm.ErrorCategory
	}{
		{"ErrImagePull", "pull access denied, repository does not exist or may require authorization", false, sm.StateFailed, "ImagePullAuthFailure", auth},
		{"ImagePullBackOff", "failed to pull: 401 Unauthorized", true, sm.StateFailed, "ImagePullAuthFailure", auth},
		{"ImagePullBackOff", "manifest unknown: manifest unknown", false, sm.StateDegraded, "ImageNotFound", up},
		{"ErrImagePull", "rpc error: NOT FOUND", false, sm.StateDegraded, "ImageNotFound", up},
		{"ImagePullBackOff", "Back-off pulling image: i/o timeout", false, sm.StateDegraded, "ImagePullBackOff", infra},
	} {
		h := pi.Health(ctx, []*corev1.Pod{pod(corev1.PodPending, waiting("main", tc.reason, tc.msg, tc.init))})
		expect(t, h, tc.state, tc.want, "Container main: "+tc.msg, tc.cat)
	}
	// Other waiting reasons are not pull failures; a pull failure beats a failed pod.
	expect(t, pi.Health(ctx, []*corev1.Pod{pod(corev1.PodPending, waiting("main", "ContainerCreating", "", false))}), sm.StatePending, "PodsPending", "*", nil)
	h := pi.Health(ctx, []*corev1.Pod{pod(corev1.PodFailed), pod(corev1.PodPending, waiting("x", "ErrImagePull", "boom", false))})
	expect(t, h, sm.StateDegraded, "ImagePullBackOff", "Container x: boom", infra)
}

func TestPodsFailed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		logs   []string
		state  sm.State
		reason string
		msg    string
		cat    *sm.ErrorCategory
		noLogs bool
	}{
		{"auth in logs", pod(corev1.PodFailed, terminated("dl", 1, "Error", "exit", false)),
			[]string{"start", "botocore: InvalidAccessKeyId: key", "end"}, sm.StateFailed, "AuthError",
			"Authentication error detected in pod logs: Container dl failed with exit code 1: exit\n\nLog excerpt:\nbotocore: InvalidAccessKeyId: key", auth, false},
		{"gated repo", pod(corev1.PodFailed, terminated("dl", 1, "Error", "", false)),
			[]string{"Cannot access gated repo for url"}, sm.StateFailed, "AuthError", "*", auth, false},
		{"storage full", pod(corev1.PodFailed, terminated("dl", 1, "Error", "x", false)),
			[]string{"write failed: No space left on device"}, sm.StateFailed, "StorageFull",
			"Storage full error detected in pod logs: Container dl failed with exit code 1: x\n\nLog excerpt:\nwrite failed: No space left on device", exh, false},
		{"not found beats auth", pod(corev1.PodFailed, terminated("dl", 1, "Error", "x", false)),
			[]string{"401 Unauthorized hf.co", "RepositoryNotFoundError: nope"}, sm.StateFailed, "SourceNotFound",
			"Source resource not found (404): Container dl failed with exit code 1: x\n\nLog excerpt:\nRepositoryNotFoundError: nope", spec, false},
		{"rbac group blocks the rest and falls back to the reason", pod(corev1.PodFailed, terminated("dl", 2, "Error", "x", false)),
			[]string{"RBAC: clusterrole foo not found", "NoSuchBucket"}, sm.StateFailed, "PodFailed",
			"Container dl failed with exit code 2: x\n\nLog excerpt:\nRBAC: clusterrole foo not found", spec, false},
		{"no match appends last three lines", pod(corev1.PodFailed, terminated("dl", 3, "Error", "x", false)),
			[]string{"l1", "l2", "l3", "l4"}, sm.StateFailed, "PodFailed",
			"Container dl failed with exit code 3: x\n\nLog excerpt:\nl2\nl3\nl4", spec, false},
		{"oom skips logs", pod(corev1.PodFailed, terminated("dl", 137, "OOMKilled", "", false)),
			[]string{"no space left on device"}, sm.StateFailed, "PodOOMKilled", "Container dl failed with exit code 137: ", exh, true},
		{"exit zero: message", pod(corev1.PodFailed, terminated("dl", 0, "DeadlineExceeded", "too slow", false)),
			nil, sm.StateFailed, "PodDeadlineExceeded", "too slow", spec, true},
		{"exit zero: reason", pod(corev1.PodFailed, terminated("dl", 0, "ContainerCannotRun", "", false)),
			nil, sm.StateFailed, "PodFailed", "Container dl terminated with reason: ContainerCannotRun", spec, true},
		{"init container", pod(corev1.PodFailed, terminated("init", 1, "CreateContainerConfigError", "bad", true)),
			nil, sm.StateFailed, "PodFailed", "Init container init failed with exit code 1: bad", spec, false},
		{"init container exit zero", pod(corev1.PodFailed, terminated("init", 0, "Completed", "", true)),
			nil, sm.StateFailed, "PodFailed", "Init container init terminated with reason: Completed", spec, true},
		{"evicted pod", pod(corev1.PodFailed, func(p *corev1.Pod) { p.Status.Reason, p.Status.Message = "Evicted", "low memory" }),
			nil, sm.StateDegraded, "PodEvicted", "low memory", infra, true},
		{"pod reason only", pod(corev1.PodFailed, func(p *corev1.Pod) { p.Status.Reason = "NodeLost" }),
			nil, sm.StateFailed, "PodFailed", "NodeLost", spec, true},
		{"nothing known", pod(corev1.PodFailed), nil, sm.StateFailed, "PodFailed", "Pod failed", spec, true},
		{"regular before init", pod(corev1.PodFailed, terminated("init", 1, "Error", "i", true), terminated("main", 1, "Error", "m", false)),
			nil, sm.StateFailed, "PodFailed", "Container main failed with exit code 1: m", spec, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &stubSource{logs: tc.logs}
			h := PodInspector{Logs: src, Events: src}.Health(ctx, []*corev1.Pod{tc.pod})
			expect(t, h, tc.state, tc.reason, tc.msg, tc.cat)
			if tc.noLogs != (src.logCalls == 0) {
				t.Errorf("log calls = %d", src.logCalls)
			}
		})
	}
	// Log read errors leave the message alone.
	src := &stubSource{logErr: errors.New("gone")}
	h := PodInspector{Logs: src}.Health(ctx, []*corev1.Pod{pod(corev1.PodFailed, terminated("c", 1, "Error", "m", false))})
	expect(t, h, sm.StateFailed, "PodFailed", "Container c failed with exit code 1: m", spec)
}

func TestPodsPendingEvents(t *testing.T) {
	ctx := context.Background()
	at := func(s int) metav1.Time { return metav1.NewTime(time.Unix(int64(1000+s), 0)) }
	ev := func(reason, msg string, ts int) corev1.Event {
		return corev1.Event{Reason: reason, Message: msg, LastTimestamp: at(ts)}
	}
	for _, tc := range []struct {
		name   string
		events []corev1.Event
		err    error
		state  sm.State
		reason string
		msg    string
	}{
		{"newest failure wins", []corev1.Event{ev("FailedScheduling", "old", 1), ev("FailedMount", "newer", 5), ev("Pulling", "pulling", 9)}, nil, sm.StatePending, "FailedMount", "newer"},
		{"attach", []corev1.Event{ev("FailedAttachVolume", "att", 1)}, nil, sm.StatePending, "FailedAttachVolume", "att"},
		{"sandbox", []corev1.Event{ev("FailedCreatePodSandBox", "cni", 1)}, nil, sm.StatePending, "FailedCreatePodSandBox", "cni"},
		{"scheduling", []corev1.Event{ev("FailedScheduling", "0/1 nodes", 1)}, nil, sm.StatePending, "FailedScheduling", "0/1 nodes"},
		{"pulling", []corev1.Event{ev("Scheduled", "ok", 1), ev("Pulling", "Pulling image x", 2)}, nil, sm.StateProgressing, "Pulling", "Pulling image x"},
		{"no interesting events", []corev1.Event{ev("Scheduled", "ok", 1)}, nil, sm.StatePending, "PodsPending", "Pods are pending"},
		{"event error", nil, errors.New("forbidden"), sm.StatePending, "PodsPending", "Pods are pending"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &stubSource{events: tc.events, eventErr: tc.err}
			h := PodInspector{Events: src}.Health(ctx, []*corev1.Pod{pod(corev1.PodPending)})
			expect(t, h, tc.state, tc.reason, tc.msg, nil)
		})
	}
}

func TestClientsetSourceAndWrappers(t *testing.T) {
	ctx := context.Background()
	p := pod(corev1.PodPending)
	mine := corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "ns"}, InvolvedObject: corev1.ObjectReference{Name: "p", UID: "u"}, Reason: "FailedScheduling", Message: "no nodes"}
	cs := clientsetadapter.New(fake.NewClientset(p, &mine))
	evs, err := ClientsetSource{Client: cs}.PodEvents(ctx, p)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %v %v", evs, err)
	}
	// The fake serves "fake logs" for any container.
	lines, err := ClientsetSource{Client: cs}.TailLogs(ctx, p, "c", 50)
	if err != nil || strings.Join(lines, "") != "fake logs" {
		t.Fatalf("logs %q %v", lines, err)
	}
	expect(t, Pods(ctx, cs, &corev1.PodList{Items: []corev1.Pod{*p}}), sm.StatePending, "FailedScheduling", "no nodes", nil)
	expect(t, ForClient(cs).Health(ctx, []*corev1.Pod{p}), sm.StatePending, "FailedScheduling", "no nodes", nil)
	expect(t, ForClient(nil).Health(ctx, []*corev1.Pod{p}), sm.StatePending, "PodsPending", "*", nil)
	expect(t, Pods(ctx, nil, nil), sm.StateProgressing, "NoPods", "*", down)
}
