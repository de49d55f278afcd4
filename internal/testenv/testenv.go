// Package testenv gives integration tests a real Kubernetes control plane: one per test binary, started
// in TestMain from locally built binaries (see internal/localcluster), or the cluster named by KUBECONFIG
// when that is set (for example kind), so the same tests run against both.
//
// Usage:
//
//	var env = testenv.New(testenv.Options{})
//
//	func TestMain(m *testing.M) { env.Main(m) }
//
//	func TestX(t *testing.T) {
//		ns := env.Namespace(t) // fresh namespace, deleted when the test ends
//		_, err := env.Client.CoreV1().ConfigMaps(ns).Create(...)
//	}
//
// Main installs the project CRDs (manifests/crds, or $AIMLITE_CRD_DIR) and the test CRDs in test/crds
// (KServe InferenceService, Gateway API HTTPRoute; skip them with Options.NoTestCRDs) before
// kube-controller-manager starts, and stops everything when the tests end, fail or are interrupted.
// With AIMLITE_SKIP_INTEGRATION=1 (hack/test.sh unit) Main runs no test and exits 0.
package testenv

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimlite/aimlite/internal/localcluster"
)

// Options configure the environment. The zero value is the usual choice.
type Options struct {
	// CRDPaths replaces the project CRDs (default: $AIMLITE_CRD_DIR, else <repo>/manifests/crds).
	CRDPaths []string
	// NoTestCRDs leaves out test/crds (KServe, Gateway API), for tests that need KServe absent.
	// AIMLITE_TESTENV_NO_TEST_CRDS=1 does the same.
	NoTestCRDs bool
	// Nodes are the kwok nodes of a local cluster; nil means localcluster.DefaultNodes().
	Nodes []localcluster.Node
}

// Env is the environment shared by the tests of one binary. Its fields are set once Main has started it.
type Env struct {
	Config     *rest.Config
	Client     kubernetes.Interface
	Dynamic    dynamic.Interface
	Kubeconfig string
	// Cluster is the local control plane, nil when KUBECONFIG names an external cluster.
	Cluster *localcluster.Cluster

	opts     Options
	root     string
	stateDir string
	stopOnce sync.Once
}

// New returns an environment that Main will start.
func New(opts Options) *Env { return &Env{opts: opts} }

// Main starts the environment, runs the tests and exits. Call it from TestMain.
func (e *Env) Main(m *testing.M) {
	code := e.run(m)
	os.Exit(code)
}

func (e *Env) run(m *testing.M) (code int) {
	if os.Getenv("AIMLITE_SKIP_INTEGRATION") == "1" {
		// Run no test, but through m.Run so -cover and -json output stay well-formed.
		fmt.Fprintln(os.Stderr, "testenv: AIMLITE_SKIP_INTEGRATION=1: integration tests skipped")
		flag.Parse()
		_ = flag.Set("test.run", "^$")
		return m.Run()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "testenv: %v: stopping the control plane\n", s)
		cancel()
		e.stop(false)
		os.Exit(130)
	}()
	defer signal.Stop(sigs)

	t0 := time.Now()
	if err := e.start(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		e.stop(false)
		return 1
	}
	fmt.Fprintf(os.Stderr, "testenv: ready in %.1fs (%s)\n", time.Since(t0).Seconds(), e.Kubeconfig)
	defer func() { e.stop(code == 0) }()
	return m.Run()
}

func (e *Env) start(ctx context.Context) error {
	root, err := localcluster.RepoRoot()
	if err != nil {
		return err
	}
	e.root = root
	crds := e.opts.CRDPaths
	if crds == nil {
		crds = projectCRDs(root)
	}
	if !e.opts.NoTestCRDs && os.Getenv("AIMLITE_TESTENV_NO_TEST_CRDS") != "1" {
		crds = append(crds, e.TestCRDsDir())
	}

	if kc := os.Getenv("KUBECONFIG"); kc != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kc)
		if err != nil {
			return err
		}
		if err := e.setClients(cfg, kc); err != nil {
			return err
		}
		return localcluster.InstallCRDs(ctx, cfg, crds...)
	}

	bin, err := localcluster.EnsureBinaries(ctx, os.Stderr)
	if err != nil {
		return err
	}
	if e.stateDir, err = os.MkdirTemp("", "aimlite-testenv-"); err != nil {
		return err
	}
	var c *localcluster.Cluster
	for attempt := 1; ; attempt++ {
		c, err = localcluster.Start(ctx, localcluster.Options{
			BinDir: bin, StateDir: e.stateDir, CRDPaths: crds, Nodes: e.opts.Nodes,
		})
		// Free ports are picked before the components bind them; a parallel test binary can win the race.
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		fmt.Fprintf(os.Stderr, "testenv: port taken during start, retrying\n")
	}
	if err != nil {
		return err
	}
	e.Cluster = c
	return e.setClients(c.Config, c.Kubeconfig)
}

func (e *Env) setClients(cfg *rest.Config, kubeconfig string) error {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 100, 200
	}
	var err error
	if e.Client, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	if e.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	e.Config, e.Kubeconfig = cfg, kubeconfig
	return nil
}

// stop tears the local cluster down once. The state folder (logs) is kept when tests failed or
// LOCALCLUSTER_KEEP_STATE=1; etcd's data is always removed.
func (e *Env) stop(passed bool) {
	e.stopOnce.Do(func() {
		if e.Cluster != nil {
			if err := e.Cluster.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "testenv: stop: %v\n", err)
			}
		}
		if e.stateDir == "" {
			return
		}
		if passed && os.Getenv("LOCALCLUSTER_KEEP_STATE") != "1" {
			_ = os.RemoveAll(e.stateDir)
			return
		}
		_ = os.RemoveAll(filepath.Join(e.stateDir, "etcd"))
		fmt.Fprintf(os.Stderr, "testenv: control plane logs kept in %s\n", filepath.Join(e.stateDir, "logs"))
	})
}

func projectCRDs(root string) []string {
	if d := os.Getenv("AIMLITE_CRD_DIR"); d != "" {
		return []string{d}
	}
	d := filepath.Join(root, "manifests", "crds")
	if _, err := os.Stat(d); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %s missing: project CRDs not installed\n", d)
		return nil
	}
	return []string{d}
}

// TestCRDsDir is the folder of stand-in CRDs for KServe and Gateway API.
func (e *Env) TestCRDsDir() string { return filepath.Join(e.root, "test", "crds") }

// InstallCRDs installs CRDs from files or folders and waits until they are Established. Note that a type
// created after start is seen by the garbage collector only on its next 30 s discovery resync.
func (e *Env) InstallCRDs(ctx context.Context, paths ...string) error {
	return localcluster.InstallCRDs(ctx, e.Config, paths...)
}

// Local reports whether the environment runs its own control plane (kwok nodes, SetPodLogs, AddNode).
func (e *Env) Local() bool { return e.Cluster != nil }

// RequireLocal skips the test when running against an external cluster.
func (e *Env) RequireLocal(t testing.TB) {
	t.Helper()
	if !e.Local() {
		t.Skip("needs the local control plane (KUBECONFIG is set)")
	}
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// Namespace creates a namespace for t, waits for its default ServiceAccount, and deletes it when t ends.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	base := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = strings.TrimRight(base[:40], "-")
	}
	name := fmt.Sprintf("t-%s-%05d", base, rand.IntN(100000))
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"aimlite.dev/test": "true"}}}
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	if err := localcluster.WaitServiceAccount(ctx, e.Client, name, 30*time.Second); err != nil {
		t.Fatalf("namespace %s: default ServiceAccount: %v", name, err)
	}
	return name
}

// SetPodLogs makes GetLogs for container of pod ns/podName return text (local cluster only).
func (e *Env) SetPodLogs(ctx context.Context, ns, podName, container, text string) error {
	if !e.Local() {
		return fmt.Errorf("testenv: SetPodLogs needs the local control plane")
	}
	return localcluster.SetPodLogs(ctx, e.Dynamic, e.Cluster.StateDir, ns, podName, container, text)
}

// AddNode creates a kwok node (e.g. localcluster.MI300XNode("gpu-2")) and waits until it is Ready.
// Delete it with DeleteNode; nodes are cluster-wide, so pick names unique to the test.
func (e *Env) AddNode(ctx context.Context, n localcluster.Node) error {
	if !e.Local() {
		return fmt.Errorf("testenv: AddNode needs the local control plane")
	}
	return localcluster.CreateNode(ctx, e.Client, n)
}

// DeleteNode deletes a node created by AddNode.
func (e *Env) DeleteNode(ctx context.Context, name string) error {
	return localcluster.DeleteNode(ctx, e.Client, name)
}
