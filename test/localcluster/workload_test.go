package localcluster_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
)

func job(name string, backoff int32, annotations map[string]string) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: batchv1.JobSpec{
			BackoffLimit: &backoff,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Annotations: annotations},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "example.invalid/job:1"}},
				},
			},
		},
	}
}

func jobCondition(j *batchv1.Job, typ batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == typ && j.Status.Conditions[i].Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func jobPods(t *testing.T, ns, name string) []corev1.Pod {
	t.Helper()
	pods, err := env.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "job-name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	return pods.Items
}

func TestJobRunsOnKwokNodeAndCompletes(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	if _, err := env.Client.BatchV1().Jobs(ns).Create(ctx, job("ok", 0, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		j, err := env.Client.BatchV1().Jobs(ns).Get(ctx, "ok", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return jobCondition(j, batchv1.JobComplete) != nil, fmt.Sprintf("conditions %v", j.Status.Conditions)
	})
	pods := jobPods(t, ns, "ok")
	if len(pods) != 1 {
		t.Fatalf("want 1 pod, got %d", len(pods))
	}
	p := pods[0]
	if !strings.HasPrefix(p.Spec.NodeName, "kwok-") || p.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("pod on node %q phase %s: want a kwok node and Succeeded", p.Spec.NodeName, p.Status.Phase)
	}
	if p.Status.PodIP == "" {
		t.Errorf("pod has no IP")
	}
	term := p.Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 0 || term.Reason != "Completed" {
		t.Fatalf("container state %+v: want terminated, exit 0, Completed", p.Status.ContainerStatuses[0].State)
	}
}

func TestJobFailsWithChosenExitCode(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	ann := map[string]string{"localcluster.aimlite.dev/exit-code": "3"}
	if _, err := env.Client.BatchV1().Jobs(ns).Create(ctx, job("bad", 0, ann), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		j, err := env.Client.BatchV1().Jobs(ns).Get(ctx, "bad", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		c := jobCondition(j, batchv1.JobFailed)
		return c != nil && c.Reason == batchv1.JobReasonBackoffLimitExceeded, fmt.Sprintf("conditions %v", j.Status.Conditions)
	})
	pods := jobPods(t, ns, "bad")
	if len(pods) != 1 || pods[0].Status.Phase != corev1.PodFailed {
		t.Fatalf("want one Failed pod, got %d", len(pods))
	}
	term := pods[0].Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 3 || term.Reason != "Error" {
		t.Fatalf("container state %+v: want exit 3, reason Error", pods[0].Status.ContainerStatuses[0].State)
	}

	// Deleting the Job removes its pods (garbage collector).
	bg := metav1.DeletePropagationBackground
	if err := env.Client.BatchV1().Jobs(ns).Delete(ctx, "bad", metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, func(ctx context.Context) (bool, string) {
		n := len(jobPods(t, ns, "bad"))
		return n == 0, fmt.Sprintf("%d pods left", n)
	})
}

func TestPodOOMKilled(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "oom", Annotations: map[string]string{"localcluster.aimlite.dev/termination-reason": "OOMKilled"}},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "example.invalid/oom:1"}},
		},
	}
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		p, err := env.Client.CoreV1().Pods(ns).Get(ctx, "oom", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		if p.Status.Phase != corev1.PodFailed || len(p.Status.ContainerStatuses) == 0 {
			return false, "phase " + string(p.Status.Phase)
		}
		term := p.Status.ContainerStatuses[0].State.Terminated
		return term != nil && term.Reason == "OOMKilled" && term.ExitCode == 137, fmt.Sprintf("state %+v", p.Status.ContainerStatuses[0].State)
	})
}

func TestGetLogsReturnsChosenText(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "talker"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "main", Image: "example.invalid/talker:1"},
			{Name: "sidecar", Image: "example.invalid/sidecar:1"},
		}},
	}
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := env.SetPodLogs(ctx, ns, "talker", "main", "hello from main\nsecond line"); err != nil {
		t.Fatal(err)
	}
	if err := env.SetPodLogs(ctx, ns, "talker", "sidecar", "sidecar says hi"); err != nil {
		t.Fatal(err)
	}
	for container, want := range map[string]string{"main": "hello from main\nsecond line\n", "sidecar": "sidecar says hi\n"} {
		eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
			b, err := env.Client.CoreV1().Pods(ns).GetLogs("talker", &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
			if err != nil {
				return false, err.Error()
			}
			return string(b) == want, fmt.Sprintf("got %q", b)
		})
	}
	// Replacing the text of one container works too.
	if err := env.SetPodLogs(ctx, ns, "talker", "main", "replaced"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		b, err := env.Client.CoreV1().Pods(ns).GetLogs("talker", &corev1.PodLogOptions{Container: "main"}).DoRaw(ctx)
		if err != nil {
			return false, err.Error()
		}
		return string(b) == "replaced\n", fmt.Sprintf("got %q", b)
	})
}

func pvc(name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}},
		},
	}
}

func waitBound(t *testing.T, ns, name string) *corev1.PersistentVolumeClaim {
	t.Helper()
	var got *corev1.PersistentVolumeClaim
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		c, err := env.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		got = c
		return c.Status.Phase == corev1.ClaimBound, "phase " + string(c.Status.Phase)
	})
	return got
}

func TestPVCBecomesBound(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	if _, err := env.Client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc("data"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c := waitBound(t, ns, "data")
	if c.Spec.StorageClassName == nil || *c.Spec.StorageClassName != localcluster.DefaultStorageClass {
		t.Errorf("storage class %v: want the default %q", c.Spec.StorageClassName, localcluster.DefaultStorageClass)
	}
	if got := c.Status.Capacity[corev1.ResourceStorage]; got.Cmp(resource.MustParse("5Gi")) != 0 {
		t.Errorf("capacity %s, want 5Gi", got.String())
	}
	// Deleting the claim releases the volume, which the binder then removes.
	pvName := c.Spec.VolumeName
	if err := env.Client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		_, err := env.Client.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprintf("volume %s: %v", pvName, err)
	})
}

func TestNamespaceWithPVCIsDeleted(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	name := fmt.Sprintf("t-ns-delete-%d", time.Now().UnixNano()%100000)
	if _, err := env.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := localcluster.WaitServiceAccount(ctx, env.Client, name, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CoreV1().PersistentVolumeClaims(name).Create(ctx, pvc("data"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitBound(t, name, "data")
	// A running pod that mounts the claim, and a ConfigMap.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "user"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "main", Image: "example.invalid/user:1",
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}},
		},
	}
	if _, err := env.Client.CoreV1().Pods(name).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CoreV1().ConfigMaps(name).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		p, err := env.Client.CoreV1().Pods(name).Get(ctx, "user", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return p.Status.Phase == corev1.PodRunning, "pod phase " + string(p.Status.Phase)
	})
	start := time.Now()
	if err := env.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, func(ctx context.Context) (bool, string) {
		ns, err := env.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, ""
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("phase %s conditions %v", ns.Status.Phase, ns.Status.Conditions)
	})
	t.Logf("namespace with a bound PVC and a pod deleted in %.1fs", time.Since(start).Seconds())
}

func TestGPUNodes(t *testing.T) {
	env.RequireLocal(t)
	ctx := context.Background()
	nodes, err := env.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: localcluster.LabelGPUDeviceID})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, n := range nodes.Items {
		gpus := n.Status.Allocatable[localcluster.ResourceGPU]
		if gpus.Value() != 8 {
			t.Errorf("node %s: allocatable amd.com/gpu = %s, want 8", n.Name, gpus.String())
		}
		found[n.Labels[localcluster.LabelGPUDeviceID]] = n.Labels[localcluster.LabelGPUVRAM]
	}
	if found["74a1"] != "192G" || found["74a5"] != "256G" {
		t.Fatalf("GPU nodes by device ID → VRAM: %v; want 74a1→192G and 74a5→256G", found)
	}

	// A GPU appears at run time: a pod pinned to a new device ID stays Pending until the node exists.
	ns := env.Namespace(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "gpu"},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{localcluster.LabelGPUDeviceID: "75a0"},
			Containers: []corev1.Container{{Name: "main", Image: "example.invalid/gpu:1", Resources: corev1.ResourceRequirements{
				Limits: corev1.ResourceList{localcluster.ResourceGPU: resource.MustParse("2")},
			}}},
		},
	}
	if _, err := env.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if p, _ := env.Client.CoreV1().Pods(ns).Get(ctx, "gpu", metav1.GetOptions{}); p == nil || p.Spec.NodeName != "" {
		t.Fatalf("pod scheduled before any MI350X node existed")
	}
	node := localcluster.Node{Name: "kwok-mi350x-test", GPUs: 8, Labels: map[string]string{
		localcluster.LabelGPUDeviceID: "75a0", localcluster.LabelGPUVRAM: "288G"}}
	if err := env.AddNode(ctx, node); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.DeleteNode(context.Background(), node.Name) })
	eventually(t, 60*time.Second, func(ctx context.Context) (bool, string) {
		p, err := env.Client.CoreV1().Pods(ns).Get(ctx, "gpu", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return p.Spec.NodeName == node.Name && p.Status.Phase == corev1.PodRunning, fmt.Sprintf("node %q phase %s", p.Spec.NodeName, p.Status.Phase)
	})
	if err := env.DeleteNode(ctx, node.Name); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func(ctx context.Context) (bool, string) {
		_, err := env.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), "node still present"
	})
}
