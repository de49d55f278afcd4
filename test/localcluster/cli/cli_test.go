// Package cli tests hack/localcluster (what `make cluster-up` / `cluster-down` run): `up` leaves a working
// cluster behind, including the background PV binder, and `down` stops every recorded process.
package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimlite/aimlite/internal/localcluster"
)

func TestUpEnvStatusDown(t *testing.T) {
	if os.Getenv("AIMLITE_SKIP_INTEGRATION") == "1" {
		t.Skip("AIMLITE_SKIP_INTEGRATION=1")
	}
	ctx := context.Background()
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := localcluster.EnsureBinaries(ctx, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cli := filepath.Join(tmp, "localcluster")
	build := exec.Command("go", "build", "-o", cli, "./hack/localcluster")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build CLI: %v\n%s", err, out)
	}
	state := filepath.Join(tmp, "state")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(cli, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "LOCALCLUSTER_STATE_DIR="+state, "LOCALCLUSTER_BIN_DIR="+bin, "KUBECONFIG=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Logf("localcluster %v stderr:\n%s", args, stderr.String())
		}
		return string(out), err
	}

	out, err := run("up")
	t.Cleanup(func() { _, _ = run("down") })
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	want := "export KUBECONFIG=" + filepath.Join(state, "kubeconfig") + "\n"
	if out != want {
		t.Fatalf("up printed %q, want %q", out, want)
	}
	if out, err := run("env"); err != nil || out != want {
		t.Fatalf("env printed %q (%v), want %q", out, err, want)
	}
	if _, err := run("up"); err == nil {
		t.Fatal("a second up on the same state folder must fail")
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(state, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	c := kubernetes.NewForConfigOrDie(cfg)
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if _, err := c.CoreV1().PersistentVolumeClaims("default").Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Bound only if the background pvbinder process that `up` left running does its job.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := c.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{})
		return err == nil && got.Status.Phase == corev1.ClaimBound, nil
	})
	if err != nil {
		t.Fatal("PVC not Bound under `up`")
	}

	procs, err := localcluster.Processes(state)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range procs {
		if !p.Running || p.RSSBytes == 0 {
			t.Errorf("%s (pid %d) not running", p.Name, p.PID)
		}
		names[p.Name] = true
	}
	for _, n := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "pvbinder"} {
		if !names[n] {
			t.Errorf("%s not recorded in the pids file", n)
		}
	}

	if _, err := run("down"); err != nil {
		t.Fatalf("down: %v", err)
	}
	for _, p := range procs {
		if syscall.Kill(p.PID, 0) == nil {
			if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "stat")); !strings.Contains(string(b), ") Z") {
				t.Errorf("%s (pid %d) still running after down", p.Name, p.PID)
			}
		}
	}
	if _, err := run("env"); err == nil {
		t.Error("env must fail once the cluster is down")
	}
	if _, err := os.Stat(filepath.Join(state, "logs", "kube-apiserver.log")); err != nil {
		t.Errorf("logs should be kept after down: %v", err)
	}
}
