// Package leaderelection runs aimlite processes against a real control plane
// and checks lease-based leader election (one leader, standby ready but idle,
// failover after SIGKILL within 15 s, lease release on SIGTERM) and the
// --namespace list.
package leaderelection

import (
	"context"
	"fmt"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/aimlite/aimlite/internal/localcluster"
	"github.com/aimlite/aimlite/internal/testenv"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) { env.Main(m) }

const leaseName = "aimlite-test-leader"

// buildBinary builds cmd/aimlite once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "aimlite")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/aimlite")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building aimlite: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type proc struct {
	name    string
	cmd     *exec.Cmd
	probe   string
	metrics string
	logPath string
	exited  chan struct{}
	exitErr error
}

func start(t *testing.T, bin, name, ns string, extraArgs ...string) *proc {
	t.Helper()
	p := &proc{name: name, probe: freeAddr(t), metrics: freeAddr(t), exited: make(chan struct{})}
	p.logPath = filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin,
		"--kubeconfig="+env.Kubeconfig,
		"--leader-elect",
		"--leader-elect-namespace="+ns,
		"--leader-elect-name="+leaseName,
		"--system-namespace="+ns,
		"--health-probe-bind-address="+p.probe,
		"--metrics-bind-address="+p.metrics,
		"--log-format=json",
	)
	p.cmd.Args = append(p.cmd.Args, extraArgs...)
	p.cmd.Env = append(os.Environ(), "POD_NAME="+name)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exitErr = p.cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.logPath)
			t.Logf("--- log of %s ---\n%s", name, b)
		}
	})
	return p
}

func (p *proc) get(path string) (int, string) {
	resp, err := http.Get("http://" + p.probe + path)
	if strings.HasPrefix(path, "/metrics") {
		resp, err = http.Get("http://" + p.metrics + path)
	}
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func holder(ctx context.Context, ns string) string {
	l, err := env.Client.CoordinationV1().Leases(ns).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
	return time.Since(t0)
}

func TestLeaderElectionFailover(t *testing.T) {
	ctx := context.Background()
	ns := env.Namespace(t)
	bin := buildBinary(t)

	a := start(t, bin, "replica-a", ns)
	waitUntil(t, 30*time.Second, "replica-a to take the lease", func() bool {
		return strings.HasPrefix(holder(ctx, ns), "replica-a_")
	})
	waitUntil(t, 30*time.Second, "the leader to be ready (caches synced)", func() bool {
		code, _ := a.get("/readyz")
		return code == http.StatusOK
	})

	b := start(t, bin, "replica-b", ns)
	waitUntil(t, 30*time.Second, "the standby to be ready (idle)", func() bool {
		code, _ := b.get("/readyz")
		return code == http.StatusOK
	})
	if code, body := b.get("/healthz"); code != http.StatusOK {
		t.Fatalf("standby /healthz = %d %s", code, body)
	}
	// Several retry periods later the lease still belongs to the first replica.
	time.Sleep(5 * time.Second)
	if h := holder(ctx, ns); !strings.HasPrefix(h, "replica-a_") {
		t.Fatalf("lease holder = %q while replica-a is alive", h)
	}
	// The leader reconciles: a model with air-gapped metadata makes the model controller apply one
	// template, which /metrics counts as a sent apply.
	createModelWithOneTemplate(ctx, t, ns)
	wantApply := `aimlite_apply_total{controller="model",kind="aimservicetemplates",outcome="sent"}`
	var body string
	waitUntil(t, 30*time.Second, "the leader to count the template apply in /metrics", func() bool {
		_, body = a.get("/metrics")
		return strings.Contains(body, wantApply)
	})
	if !strings.Contains(body, fmt.Sprintf(`leader_election_master_status{name=%q} 1`, leaseName)) {
		t.Fatalf("leader metrics lack leader_election_master_status 1:\n%s", grepLines(body, "leader_election"))
	}
	for _, want := range []string{"workqueue_depth{name=", "rest_client_requests_total{", "go_goroutines "} {
		if !strings.Contains(body, want) {
			t.Errorf("leader /metrics lacks %s", want)
		}
	}

	// SIGKILL: no release; the standby must wait for the lease to expire.
	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	waitUntil(t, 30*time.Second, "replica-b to take over", func() bool {
		return strings.HasPrefix(holder(ctx, ns), "replica-b_")
	})
	failover := time.Since(killed)
	t.Logf("failover after SIGKILL of the leader: %.1f s (lease 8 s, retry 1.5 s)", failover.Seconds())
	if failover > 15*time.Second {
		t.Fatalf("failover took %v, want ≤ 15 s", failover)
	}
	waitUntil(t, 30*time.Second, "the new leader to be ready", func() bool {
		code, _ := b.get("/readyz")
		return code == http.StatusOK
	})

	// SIGTERM: graceful shutdown drains, then releases the lease.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.exited:
		if b.exitErr != nil {
			t.Fatalf("replica-b exited with %v after SIGTERM", b.exitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("replica-b did not exit after SIGTERM")
	}
	if h := holder(ctx, ns); h != "" {
		t.Fatalf("lease holder after graceful shutdown = %q, want released (empty)", h)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// createModelWithOneTemplate creates an AIMModel whose spec.imageMetadata recommends one deployment,
// so the model controller applies exactly one AIMServiceTemplate without reaching a registry.
func createModelWithOneTemplate(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	client, err := versioned.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	model := &aimv1.AIMModel{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-model", Namespace: ns},
		Spec: aimv1.AIMModelSpec{
			Image: "registry.invalid/aim-metrics-model:1.0",
			ImageMetadata: &aimv1.ImageMetadata{Model: &aimv1.ModelMetadata{
				CanonicalName: "org/metrics-model",
				RecommendedDeployments: []aimv1.RecommendedDeployment{
					{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"},
				},
			}},
		},
	}
	if _, err := client.AimV1alpha1().AIMModels(ns).Create(ctx, model, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
