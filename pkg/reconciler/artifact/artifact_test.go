package artifact

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	aimlisters "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

const ns = "ns"

func idx(objs ...any) cache.Indexer {
	i := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, o := range objs {
		_ = i.Add(o)
	}
	return i
}

type world struct {
	jobs, pods, pvcs, rbs, crcs []any
	log                         string
}

func run(t *testing.T, w world, a *aimv1.AIMArtifact) (map[string]sm.ComponentHealth, sm.PlanResult, Obs) {
	t.Helper()
	gr := schema.GroupResource{}
	r := &Reconciler{
		Logs: func(context.Context, string, string, string, int64) (string, error) { return w.log, nil },
		Stores: Stores{
			Jobs:         store.FromIndexer[*batchv1.Job](idx(w.jobs...), gr),
			Pods:         store.FromIndexer[*corev1.Pod](idx(w.pods...), gr),
			PVCs:         store.FromIndexer[*corev1.PersistentVolumeClaim](idx(w.pvcs...), gr),
			RoleBindings: store.FromIndexer[*rbacv1.RoleBinding](idx(w.rbs...), gr),
			RuntimeConfig: runtimeconfig.Lookup{Namespaced: aimlisters.NewAIMRuntimeConfigLister(idx()),
				Cluster: aimlisters.NewAIMClusterRuntimeConfigLister(idx(w.crcs...))},
		},
	}
	rc := sm.ReconcileContext[*aimv1.AIMArtifact]{Object: a}
	f := r.FetchRemoteState(context.Background(), rc)
	o := r.ComposeState(context.Background(), rc, f)
	hs := map[string]sm.ComponentHealth{}
	for _, h := range o.GetComponentHealth(context.Background(), nil) {
		hs[h.Component] = h
	}
	return hs, r.PlanResources(context.Background(), rc, o), o
}

func art(size string) *aimv1.AIMArtifact {
	a := &aimv1.AIMArtifact{ObjectMeta: metav1.ObjectMeta{Name: "art", Namespace: ns, UID: "u-1"},
		Spec: aimv1.AIMArtifactSpec{SourceURI: "hf://org/m", ModelID: "org/m"}}
	if size != "" {
		q := resource.MustParse(size)
		a.Spec.Size = &q
	}
	return a
}

func job(name string, cond batchv1.JobConditionType) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
	}
	return j
}

func pod(job string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: job + "-p", Namespace: ns, Labels: map[string]string{"job-name": job}},
		Status: corev1.PodStatus{Phase: phase}}
}

var (
	rb       = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "aim-engine-artifact-status-updater", Namespace: ns}}
	pvcName  = naming.ArtifactPVCName("art", "u-1")
	checkJob = naming.CheckSizeJobName("art", "u-1")
	dlJob    = naming.DownloadJobName("art", "u-1")
	boundPVC = &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: pvcName, Namespace: ns}, Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}
)

func planned(p sm.PlanResult) string {
	var out []string
	for _, l := range [][]any{p.ToApply(), p.ToApplyWithoutOwnerRef()} {
		for _, o := range l {
			u, _ := sm.ToUnstructured(o, nil)
			out = append(out, u.GetKind())
		}
	}
	return strings.Join(out, ",")
}

func TestPlanPhases(t *testing.T) {
	tests := []struct {
		name string
		w    world
		a    *aimv1.AIMArtifact
		want string
	}{
		{name: "first: rolebinding and check-size job", a: art(""), want: "Job,RoleBinding"},
		{name: "sizing in progress: nothing", w: world{rbs: []any{rb}, jobs: []any{job(checkJob, "")}}, a: art(""), want: ""},
		{name: "size from check-size log: PVC", w: world{rbs: []any{rb}, jobs: []any{job(checkJob, batchv1.JobComplete)}, pods: []any{pod(checkJob, corev1.PodSucceeded)},
			log: `{"url":"hf://org/m","sizeBytes":1073741824}`}, a: art(""), want: "PersistentVolumeClaim"},
		{name: "known size: PVC first", w: world{rbs: []any{rb}}, a: art("1Gi"), want: "PersistentVolumeClaim"},
		{name: "PVC exists: download job", w: world{rbs: []any{rb}, pvcs: []any{boundPVC}}, a: art("1Gi"), want: "Job"},
		{name: "no rolebinding yet: no download job", w: world{pvcs: []any{boundPVC}}, a: art("1Gi"), want: "RoleBinding"},
		{name: "download running: nothing", w: world{rbs: []any{rb}, pvcs: []any{boundPVC}, jobs: []any{job(dlJob, "")}}, a: art("1Gi"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p, _ := run(t, tt.w, tt.a)
			if got := planned(p); got != tt.want {
				t.Fatalf("planned %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHealthAndDecorate(t *testing.T) {
	// Unparsable check-size output: CheckSizeOutput Failed.
	hs, _, _ := run(t, world{rbs: []any{rb}, jobs: []any{job(checkJob, batchv1.JobComplete)}, pods: []any{pod(checkJob, corev1.PodSucceeded)}, log: "oops"}, art(""))
	if h := hs["CheckSizeOutput"]; h.GetState() != sm.StateFailed || h.GetReason() != ReasonInvalidSizeOutput {
		t.Fatalf("CheckSizeOutput %+v", h)
	}
	// Download complete: DownloadComplete=Verified, progress forced to 100 %, sizes set.
	hs, _, o := run(t, world{rbs: []any{rb}, pvcs: []any{boundPVC}, jobs: []any{job(dlJob, batchv1.JobComplete)}}, art("10Gi"))
	if h := hs["DownloadJob"]; h.GetState() != sm.StateReady {
		t.Fatalf("DownloadJob %+v", h)
	}
	if h := hs["DownloadJobPods"]; h.GetState() != sm.StateReady || h.Reason != "PodsReady" || h.Message != "Pods are ready" {
		t.Fatalf("DownloadJobPods of a complete job is kept Ready: %+v", h)
	}
	st := &aimv1.AIMArtifactStatus{}
	cm := sm.NewConditionManager(nil, 1, nil)
	(&Reconciler{}).DecorateStatus(st, cm, o)
	if c := cm.Get("DownloadComplete"); c == nil || c.Reason != "Verified" || c.Status != metav1.ConditionTrue {
		t.Fatalf("DownloadComplete %+v", c)
	}
	if st.Progress.Percentage != 100 || st.DisplaySize != "10 GiB" || st.AllocatedSize.Value() != 11<<30 || *st.HeadroomPercent != 10 ||
		st.PersistentVolumeClaim != pvcName || st.Mode != "Shared" {
		t.Fatalf("status %+v", st)
	}
	// A failed download pod below 100 %: Downloading/False, N/A.
	_, _, o = run(t, world{rbs: []any{rb}, pvcs: []any{boundPVC}, jobs: []any{job(dlJob, "")}, pods: []any{pod(dlJob, corev1.PodFailed)}}, art("10Gi"))
	st = &aimv1.AIMArtifactStatus{Progress: &aimv1.AIMArtifactProgress{Percentage: 40}}
	cm = sm.NewConditionManager(nil, 1, nil)
	(&Reconciler{}).DecorateStatus(st, cm, o)
	if c := cm.Get("DownloadComplete"); c == nil || c.Reason != "Downloading" || c.Status != metav1.ConditionFalse || st.Progress.DisplayPercentage != "N/A" {
		t.Fatalf("DownloadComplete %+v progress %+v", c, st.Progress)
	}
}

func TestPVCStorageClassAndHeadroom(t *testing.T) {
	twenty := int32(20)
	rc := &aimv1.AIMClusterRuntimeConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: aimv1.AIMRuntimeConfigSpec{
		AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Storage: &aimv1.AIMStorageConfig{DefaultStorageClassName: "rc-class", PVCHeadroomPercent: &twenty}}}}
	tests := []struct {
		name    string
		crcs    []any
		specSC  string
		wantSC  string
		wantGiB int64
	}{
		{name: "cluster default class, default headroom", wantSC: "", wantGiB: 11},
		{name: "runtime config class and headroom", crcs: []any{rc}, wantSC: "rc-class", wantGiB: 12},
		{name: "spec class wins", crcs: []any{rc}, specSC: "spec-class", wantSC: "spec-class", wantGiB: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := art("10Gi")
			a.Spec.StorageClassName = tt.specSC
			_, p, _ := run(t, world{rbs: []any{rb}, crcs: tt.crcs}, a)
			pvc, ok := p.ToApply()[0].(*corev1.PersistentVolumeClaim)
			if !ok {
				t.Fatalf("planned %s", planned(p))
			}
			sc := ""
			if pvc.Spec.StorageClassName != nil {
				sc = *pvc.Spec.StorageClassName
			}
			q := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
			if sc != tt.wantSC || q.Value() != tt.wantGiB<<30 {
				t.Fatalf("class %q size %s", sc, q.String())
			}
		})
	}
}

// The reference stops computing the check-size and download components once they are done but never
// prunes their conditions, so they stay True with the successful run's values (catalogue §1.5, §8).
func TestFinishedJobsStayReported(t *testing.T) {
	discovered := func(status string) *aimv1.AIMArtifact {
		a := art("")
		a.Status.DiscoveredSizeBytes = 5 << 30
		a.Status.Status = aimv1.AIMStatus(status)
		return a
	}
	jobReady := sm.ComponentHealth{Component: "", State: sm.StateReady, Reason: "Ready", DependencyType: sm.DependencyDownstream}
	podsReady := sm.ComponentHealth{Component: "", State: sm.StateReady, Reason: "PodsReady", Message: "Pods are ready"}
	tests := []struct {
		name   string
		w      world
		a      *aimv1.AIMArtifact
		want   map[string]sm.ComponentHealth // component → health (Component field ignored)
		absent []string
	}{
		{name: "size discovered, download running", a: discovered("Progressing"),
			w: world{rbs: []any{rb}, pvcs: []any{boundPVC}, jobs: []any{job(dlJob, "")}, pods: []any{pod(dlJob, corev1.PodRunning)}},
			want: map[string]sm.ComponentHealth{"CheckSizeJob": jobReady, "CheckSizeJobPods": podsReady,
				"DownloadJob":     {State: sm.StateProgressing, Reason: "JobRunning", Message: "Job is in progress", DependencyType: sm.DependencyDownstream},
				"DownloadJobPods": {State: sm.StateStarting, Reason: "PodsStarting", Message: "Pods are running, waiting for readiness"}},
			absent: []string{"CheckSizeOutput"}},
		{name: "download Job complete, failed pod left over is not inspected", a: discovered("Progressing"),
			w:    world{rbs: []any{rb}, pvcs: []any{boundPVC}, jobs: []any{job(dlJob, batchv1.JobComplete)}, pods: []any{pod(dlJob, corev1.PodFailed)}},
			want: map[string]sm.ComponentHealth{"CheckSizeJob": jobReady, "CheckSizeJobPods": podsReady, "DownloadJob": jobReady, "DownloadJobPods": podsReady}},
		{name: "Ready, Jobs deleted after their TTL", a: discovered("Ready"), w: world{rbs: []any{rb}, pvcs: []any{boundPVC}},
			want: map[string]sm.ComponentHealth{"CheckSizeJob": jobReady, "CheckSizeJobPods": podsReady, "DownloadJob": jobReady, "DownloadJobPods": podsReady}},
		{name: "explicit size: no check-size components", a: func() *aimv1.AIMArtifact { a := art("1Gi"); a.Status.Status = "Ready"; return a }(),
			w:      world{rbs: []any{rb}, pvcs: []any{boundPVC}},
			want:   map[string]sm.ComponentHealth{"DownloadJob": jobReady, "DownloadJobPods": podsReady},
			absent: []string{"CheckSizeJob", "CheckSizeJobPods"}},
		{name: "not Ready, download Job missing: no pods component", a: discovered("Progressing"), w: world{rbs: []any{rb}, pvcs: []any{boundPVC}},
			want: map[string]sm.ComponentHealth{"CheckSizeJob": jobReady,
				"DownloadJob": {State: sm.StateProgressing, Reason: "ResourceNotReady", Message: "Downstream resource not found or being created", DependencyType: sm.DependencyDownstream}},
			absent: []string{"DownloadJobPods"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, _, _ := run(t, tt.w, tt.a)
			for c, want := range tt.want {
				h, ok := hs[c]
				if !ok {
					t.Fatalf("%s not reported; got %v", c, hs)
				}
				if h.GetState() != want.State || h.GetReason() != want.Reason || h.GetMessage() != want.Message || h.DependencyType != want.DependencyType {
					t.Fatalf("%s = %s/%s/%q dep %v, want %s/%s/%q dep %v", c, h.GetState(), h.GetReason(), h.GetMessage(), h.DependencyType,
						want.State, want.Reason, want.Message, want.DependencyType)
				}
			}
			for _, c := range tt.absent {
				if h, ok := hs[c]; ok {
					t.Fatalf("%s reported: %+v", c, h)
				}
			}
		})
	}
}
