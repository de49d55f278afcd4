// Command bench measures aimlite's resident memory after cache sync on (a) an
// empty cluster and (b) the same cluster with 5,000 unrelated Pods and 20,000
// Events, to show that the cache holds only what the operator manages.
//
//	go run ./hack/bench -binary bin/aimlite   (hack/bench.sh builds the binary and prints its size)
//
// It starts a local control plane (internal/localcluster) unless KUBECONFIG
// names a cluster to use instead.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimlite/aimlite/internal/localcluster"
)

func main() {
	binary := flag.String("binary", "bin/aimlite", "aimlite binary to measure")
	pods := flag.Int("pods", 5000, "unrelated Pods to create for run (b)")
	events := flag.Int("events", 20000, "Events to create for run (b)")
	flag.Parse()
	if err := run(*binary, *pods, *events); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(binary string, nPods, nEvents int) error {
	ctx := context.Background()
	kubeconfig, cfg, stop, err := cluster(ctx)
	if err != nil {
		return err
	}
	defer stop()
	cfg.QPS, cfg.Burst = 1000, 2000
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}

	a, err := measure(binary, kubeconfig)
	if err != nil {
		return fmt.Errorf("run (a): %w", err)
	}
	fmt.Printf("(a) empty cluster:           RSS %6.1f MB  (peak %.1f MB, ready after %.1f s)\n", mb(a.rss), mb(a.peak), a.ready.Seconds())

	t0 := time.Now()
	if err := populate(ctx, client, nPods, nEvents); err != nil {
		return err
	}
	fmt.Printf("    created %d Pods and %d Events in %.0f s\n", nPods, nEvents, time.Since(t0).Seconds())

	b, err := measure(binary, kubeconfig)
	if err != nil {
		return fmt.Errorf("run (b): %w", err)
	}
	fmt.Printf("(b) + %d Pods, %d Events: RSS %6.1f MB  (peak %.1f MB, ready after %.1f s)\n", nPods, nEvents, mb(b.rss), mb(b.peak), b.ready.Seconds())
	fmt.Printf("(b) - (a):                   RSS %+6.1f MB  (target ≤ 5 MB)\n", mb(b.rss-a.rss))
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// cluster returns a kubeconfig path: $KUBECONFIG, else a fresh local control plane.
func cluster(ctx context.Context) (string, *rest.Config, func(), error) {
	if kc := os.Getenv("KUBECONFIG"); kc != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kc)
		return kc, cfg, func() {}, err
	}
	root, err := localcluster.RepoRoot()
	if err != nil {
		return "", nil, nil, err
	}
	bin, err := localcluster.EnsureBinaries(ctx, os.Stderr)
	if err != nil {
		return "", nil, nil, err
	}
	state, err := os.MkdirTemp("", "aimlite-bench-")
	if err != nil {
		return "", nil, nil, err
	}
	crds := []string{filepath.Join(root, "manifests", "crds"), filepath.Join(root, "test", "crds")}
	c, err := localcluster.Start(ctx, localcluster.Options{BinDir: bin, StateDir: state, CRDPaths: crds})
	if err != nil {
		return "", nil, nil, err
	}
	return c.Kubeconfig, rest.CopyConfig(c.Config), func() { _ = c.Stop(); _ = os.RemoveAll(state) }, nil
}

type sample struct {
	rss, peak int64
	ready     time.Duration
}

// measure starts aimlite (no leader election: it leads at once), waits for
// /readyz (caches synced), lets it settle, reads VmRSS and stops it.
func measure(binary, kubeconfig string) (sample, error) {
	addr, err := freeAddr()
	if err != nil {
		return sample{}, err
	}
	cmd := exec.Command(binary, "--kubeconfig="+kubeconfig, "--health-probe-bind-address="+addr,
		"--metrics-bind-address=0", "--system-namespace=default", "-v=0")
	logf, err := os.CreateTemp("", "aimlite-bench-*.log")
	if err != nil {
		return sample{}, err
	}
	defer os.Remove(logf.Name())
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			return sample{}, fmt.Errorf("aimlite not ready after 2 minutes; log:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := sample{ready: time.Since(t0)}
	time.Sleep(5 * time.Second) // let the initial reconciles and GC settle
	s.rss, s.peak, err = procMem(cmd.Process.Pid)
	return s, err
}

func procMem(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// populate creates Pods and Events that aimlite must not cache. The Pods name
// a node that does not exist, so neither the scheduler nor kwok touches them.
func populate(ctx context.Context, c kubernetes.Interface, nPods, nEvents int) error {
	for _, ns := range []string{"bench-pods", "bench-events"} {
		_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	if err := localcluster.WaitServiceAccount(ctx, c, "bench-pods", time.Minute); err != nil {
		return err
	}
	return parallel(16, nPods+nEvents, func(i int) error {
		if i < nPods {
			_, err := c.CoreV1().Pods("bench-pods").Create(ctx, benchPod(i), metav1.CreateOptions{})
			return ignoreExists(err)
		}
		_, err := c.CoreV1().Events("bench-events").Create(ctx, benchEvent(i-nPods), metav1.CreateOptions{})
		return ignoreExists(err)
	})
}

func ignoreExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func parallel(workers, n int, f func(i int) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

func benchPod(i int) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:   fmt.Sprintf("unrelated-%05d", i),
			Labels: map[string]string{"app": "unrelated", "app.kubernetes.io/managed-by": "someone-else", "index": strconv.Itoa(i)},
			Annotations: map[string]string{
				"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("x", 512),
			},
		},
		Spec: corev1.PodSpec{
			NodeName: "no-such-node",
			Containers: []corev1.Container{{
				Name:    "app",
				Image:   "registry.example.com/team/app:1.2.3",
				Command: []string{"/app", "--serve", "--port=8080"},
				Env: []corev1.EnvVar{
					{Name: "MODE", Value: "production"}, {Name: "LOG_LEVEL", Value: "info"},
					{Name: "FEATURE_FLAGS", Value: strings.Repeat("f", 200)},
				},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}},
		},
	}
}

func benchEvent(i int) *corev1.Event {
	now := metav1.Now()
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("unrelated.%06d", i)},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "bench-events", Name: fmt.Sprintf("unrelated-%05d", i%5000), APIVersion: "v1"},
		Reason:         "Pulled",
		Message:        "Successfully pulled image \"registry.example.com/team/app:1.2.3\" in 1.234s",
		Type:           corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
}
