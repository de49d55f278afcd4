package services

import (
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// failDownload creates a paused artifact, pre-creates its download Job with a pod that kwok
// fails (exit code 1) and whose model-download log is logText, then unpauses the artifact and
// returns it once cond(typ) has the wanted reason.
func failDownload(t *testing.T, ns, name, logText, condType, reason string) *aimv1.AIMArtifact {
	t.Helper()
	c := aimClient(t)
	size := resource.MustParse("1Gi")
	a, err := c.AimV1alpha1().AIMArtifacts(ns).Create(bg, &aimv1.AIMArtifact{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: paused},
		Spec:       aimv1.AIMArtifactSpec{SourceURI: "hf://org/" + name, ModelID: "org/" + name, Size: &size},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create artifact: %v", err)
	}
	jobName := naming.DownloadJobName(a.Name, string(a.UID))
	labels := map[string]string{constants.LabelCacheName: a.Name, constants.LabelCacheType: constants.CacheTypeArtifact}
	zero := int32(0)
	_, err = env.Client.BatchV1().Jobs(ns).Create(bg, &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: jobName, Namespace: ns, Labels: labels},
		Spec: batchv1.JobSpec{BackoffLimit: &zero, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{"localcluster.aimlite.dev/exit-code": "1"}},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "model-download", Image: "ghcr.io/silogen/aim-artifact-downloader:0.2.0"}}},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create job: %v", err)
	}
	logged := map[types.UID]bool{}
	setLogs := func() error {
		pods, err := env.Client.CoreV1().Pods(ns).List(bg, metav1.ListOptions{LabelSelector: "job-name=" + jobName})
		if err != nil {
			return err
		}
		if len(pods.Items) == 0 {
			return fmt.Errorf("no download pod yet")
		}
		for _, p := range pods.Items {
			if !logged[p.UID] {
				if err := env.SetPodLogs(bg, ns, p.Name, "model-download", logText); err != nil {
					return err
				}
				logged[p.UID] = true
			}
		}
		return nil
	}
	eventually(t, 30*time.Second, "download pod logs", setLogs)
	// Unpause, then nudge with annotation changes until the classification shows (the pod may
	// have failed before its log was in place).
	n := 0
	var out *aimv1.AIMArtifact
	eventually(t, 60*time.Second, fmt.Sprintf("artifact %s=%s", condType, reason), func() error {
		_ = setLogs()
		cur, err := c.AimV1alpha1().AIMArtifacts(ns).Get(bg, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if k := cond(cur.Status.Conditions, condType); k != nil && k.Reason == reason {
			out = cur
			return nil
		}
		n++
		cur.Annotations = map[string]string{"test/nudge": fmt.Sprint(n)}
		_, _ = c.AimV1alpha1().AIMArtifacts(ns).Update(bg, cur, metav1.UpdateOptions{})
		return fmt.Errorf("status %s conditions %v", cur.Status.Status, summarize(cur.Status.Conditions))
	})
	return out
}

// A gated Hugging Face repository in the downloader's log is an authentication failure.
func TestDownloadGatedRepoIsAuthError(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	a := failDownload(t, ns, "gated", "Downloading...\nCannot access gated repo for url https://huggingface.co/org/gated/resolve/main/config.json.\nexit 1",
		"AuthValid", "AuthError")
	if k := cond(a.Status.Conditions, "AuthValid"); k.Status != "False" {
		t.Fatalf("AuthValid %+v", k)
	}
	if k := cond(a.Status.Conditions, "DownloadJobPodsReady"); k == nil || k.Reason != "AuthError" {
		t.Fatalf("DownloadJobPodsReady %+v", k)
	}
	if a.Status.Status != "Failed" {
		t.Fatalf("status %s", a.Status.Status)
	}
	if k := cond(a.Status.Conditions, "DownloadComplete"); k == nil || k.Status != "False" || k.Reason != "Downloading" {
		t.Fatalf("DownloadComplete %+v", k)
	}
}

// "No space left on device" in the downloader's log is reported as StorageFull.
func TestDownloadNoSpaceIsStorageFull(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	a := failDownload(t, ns, "big", "writing shard 3/4\nOSError: [Errno 28] No space left on device\n", "DownloadJobPodsReady", "StorageFull")
	if a.Status.Status != "Failed" {
		t.Fatalf("status %s", a.Status.Status)
	}
}

// With the size unknown, a check-size Job runs first; its last log line sizes the PVC.
func TestArtifactCheckSizeSizesPVC(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	c := aimClient(t)
	a, err := c.AimV1alpha1().AIMArtifacts(ns).Create(bg, &aimv1.AIMArtifact{
		ObjectMeta: metav1.ObjectMeta{Name: "sized", Namespace: ns},
		Spec:       aimv1.AIMArtifactSpec{SourceURI: "hf://org/sized", ModelID: "org/sized"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	job := naming.CheckSizeJobName(a.Name, string(a.UID))
	eventually(t, 30*time.Second, "check-size pod log", func() error {
		pods, err := env.Client.CoreV1().Pods(ns).List(bg, metav1.ListOptions{LabelSelector: "job-name=" + job})
		if err != nil || len(pods.Items) == 0 {
			return fmt.Errorf("no check-size pod: %v", err)
		}
		return env.SetPodLogs(bg, ns, pods.Items[0].Name, "check-size", `{"url":"hf://org/sized","sizeBytes":10737418240}`)
	})
	eventually(t, 60*time.Second, "discovered size and PVC", func() error {
		cur, err := c.AimV1alpha1().AIMArtifacts(ns).Get(bg, a.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.Status.DiscoveredSizeBytes != 10737418240 || cur.Status.DisplaySize != "10 GiB" {
			return fmt.Errorf("size %d %q %v", cur.Status.DiscoveredSizeBytes, cur.Status.DisplaySize, summarize(cur.Status.Conditions))
		}
		pvc, err := env.Client.CoreV1().PersistentVolumeClaims(ns).Get(bg, naming.ArtifactPVCName(a.Name, string(a.UID)), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if q := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; q.Value() != 11<<30 {
			return fmt.Errorf("pvc size %s, want 11Gi (10Gi + 10%% headroom)", q.String())
		}
		return nil
	})
	eventually(t, 60*time.Second, "artifact Ready", func() error {
		cur, _ := c.AimV1alpha1().AIMArtifacts(ns).Get(bg, a.Name, metav1.GetOptions{})
		if cur.Status.Status != "Ready" {
			return fmt.Errorf("status %s %v", cur.Status.Status, summarize(cur.Status.Conditions))
		}
		if k := cond(cur.Status.Conditions, "DownloadComplete"); k == nil || k.Reason != "Verified" || cur.Status.Progress.Percentage != 100 {
			return fmt.Errorf("DownloadComplete %+v progress %+v", k, cur.Status.Progress)
		}
		return nil
	})
	if _, err := env.Client.RbacV1().RoleBindings(ns).Get(bg, "aim-engine-artifact-status-updater", metav1.GetOptions{}); err != nil {
		t.Fatalf("status-updater RoleBinding: %v", err)
	}
}
