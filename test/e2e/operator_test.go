package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
)

// systemNamespace is the operator namespace (discovery Jobs of cluster templates, the discovery Lease).
func systemNamespace() string {
	if ns := os.Getenv("E2E_SYSTEM_NAMESPACE"); ns != "" {
		return ns
	}
	return "aim-system"
}

var build struct {
	once sync.Once
	done chan struct{}
	dir  string // temp folder with the binary and the operator log
	bin  string
	err  error
	took time.Duration
}

func init() { build.done = make(chan struct{}) }

// buildOperator compiles ./cmd/aimlite once into a temp folder.
func buildOperator() {
	build.once.Do(func() {
		defer close(build.done)
		t0 := time.Now()
		root, err := localcluster.RepoRoot()
		if err != nil {
			build.err = err
			return
		}
		if build.dir, err = os.MkdirTemp("", "aimlite-e2e-"); err != nil {
			build.err = err
			return
		}
		build.bin = filepath.Join(build.dir, "aimlite")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/aimlite")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/aimlite: %v\n%s", err, out)
		}
		build.took = time.Since(t0)
	})
}

// operatorProc is the aimlite subprocess.
type operatorProc struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// startOperator builds (if needed) and starts aimlite against env.Kubeconfig and waits until /readyz
// answers 200. t's cleanup stops it and prints its log tail when t failed.
func startOperator(t *testing.T) *operatorProc {
	t.Helper()
	go buildOperator()
	<-build.done
	if build.err != nil {
		t.Fatalf("building aimlite: %v", build.err)
	}
	t.Logf("aimlite built in %s", build.took.Round(100*time.Millisecond))
	ensureNamespace(t, systemNamespace())

	p := &operatorProc{logPath: filepath.Join(build.dir, "aimlite.log"), exited: make(chan struct{})}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(build.bin,
		"--kubeconfig", env.Kubeconfig,
		"--system-namespace", systemNamespace(),
		"--metrics-bind-address", "127.0.0.1:0",
		"--health-probe-bind-address", "127.0.0.1:0",
		"--optional-kind-poll", "2s",
		"-v", "2")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), "POD_NAME=aimlite-e2e", "AIM_SYSTEM_NAMESPACE="+systemNamespace())
	// The operator must not outlive the test binary (a panic or timeout skips cleanups).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start aimlite: %v", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		_ = logf.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("aimlite log kept in %s; last lines:\n%s", p.logPath, p.tail(80, ""))
			return
		}
		if os.Getenv("E2E_KEEP_LOG") == "1" {
			t.Logf("aimlite log kept in %s (E2E_KEEP_LOG=1)", p.logPath)
			return
		}
		_ = os.RemoveAll(build.dir)
	})

	// The probe address is picked by the kernel; the operator logs it ("Serving" probes="host:port").
	var addr string
	waitUntil(t, 60*time.Second, "aimlite to log its probe address", func() (bool, string) {
		select {
		case <-p.exited:
			t.Fatalf("aimlite exited early (%v); log:\n%s", p.waitErr, p.tail(40, ""))
		default:
		}
		addr = p.probeAddr()
		return addr != "", "no \"Serving\" line yet"
	})
	if n := p.controllerCount(); n == 0 {
		t.Skipf("aimlite registers no controllers yet (cmd/aimlite/controllers.go); nothing to test end to end")
	}
	waitUntil(t, 90*time.Second, "aimlite /readyz", func() (bool, string) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return p
}

var (
	probeRe       = regexp.MustCompile(`probes="([^"]+)"`)
	controllersRe = regexp.MustCompile(`controllers=(\d+)`)
)

func (p *operatorProc) servingLine() string {
	b, _ := os.ReadFile(p.logPath)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"Serving"`) {
			return l
		}
	}
	return ""
}

func (p *operatorProc) probeAddr() string {
	if m := probeRe.FindStringSubmatch(p.servingLine()); m != nil {
		return m[1]
	}
	return ""
}

func (p *operatorProc) controllerCount() int {
	m := controllersRe.FindStringSubmatch(p.servingLine())
	if m == nil {
		return -1
	}
	var n int
	_, _ = fmt.Sscan(m[1], &n)
	return n
}

// stop sends SIGTERM and waits (SIGKILL after 15 s); a non-zero exit after SIGTERM is a test error.
func (p *operatorProc) stop(t *testing.T) {
	select {
	case <-p.exited:
		t.Errorf("aimlite exited before the end of the suite: %v", p.waitErr)
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Errorf("aimlite did not exit cleanly on SIGTERM: %v", p.waitErr)
		}
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("aimlite did not stop within 15 s of SIGTERM")
	}
}

// tail returns the last n log lines, only those containing filter when it is non-empty.
func (p *operatorProc) tail(n int, filter string) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if filter == "" || strings.Contains(sc.Text(), filter) {
			lines = append(lines, sc.Text())
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	_, err := env.Client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("namespace %s: %v", name, err)
	}
}
