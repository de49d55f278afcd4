// Package localcluster starts and stops a real Kubernetes control plane from locally built binaries:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes and pods). There is no
// container engine on our machines, so kind and envtest's downloaded binaries are not an option.
//
// Everything listens on 127.0.0.1 on free ports, with a fresh CA, RBAC on and an admin (system:masters)
// client certificate. CRDs passed in Options are installed before kube-controller-manager starts, so its
// garbage collector knows them at once (it only rediscovers types every 30 s). Binaries come from
// hack/build-cluster.sh (see EnsureBinaries); docs/local-control-plane.md explains the whole setup.
package localcluster

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

//go:embed stages.yaml
var stagesYAML []byte

const serviceIP = "10.0.0.1" // first address of --service-cluster-ip-range

// Options configure Start. BinDir and StateDir are required.
type Options struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok; its sibling
	// folder crds/ holds kwok's Logs CRD (both made by hack/build-cluster.sh).
	BinDir string
	// StateDir receives pki/, logs/, etcd/, kubeconfig and the pids file. Earlier contents are replaced.
	StateDir string
	// CRDPaths are CRD files or folders installed before kube-controller-manager starts.
	CRDPaths []string
	// Nodes are the kwok nodes created at start; nil means DefaultNodes().
	Nodes []Node
	// Ports fixes listen ports; a zero field means "pick a free port".
	Ports Ports
	// Detach lets the components outlive this process (the `up` CLI); otherwise they die with it.
	Detach bool
	// PVBinderCommand, when set, runs the PV binder as that command (given --kubeconfig <path> appended) and
	// records it in the pids file; otherwise RunPVBinder runs in a goroutine until Stop.
	PVBinderCommand []string
	// Logf prints progress; nil is silent.
	Logf func(format string, args ...any)
}

// Ports are the listen ports, all on 127.0.0.1.
type Ports struct {
	Etcd, EtcdPeer, APIServer, ControllerManager, Scheduler, Kwok int
}

// Cluster is a running control plane.
type Cluster struct {
	StateDir   string
	Kubeconfig string // admin kubeconfig (system:masters)
	Config     *rest.Config
	Client     kubernetes.Interface
	Dynamic    dynamic.Interface
	Ports      Ports

	procs        []*proc
	stopBinder   context.CancelFunc
	binderExited chan struct{}
}

// Start brings up the control plane and waits until every component is healthy, the nodes are Ready and
// untainted and the default ServiceAccount exists. On failure it stops what it started and keeps the logs.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	t0 := time.Now()
	if o.BinDir == "" || o.StateDir == "" {
		return nil, errors.New("localcluster: BinDir and StateDir are required")
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			return nil, fmt.Errorf("localcluster: missing binary (run hack/localcluster.sh build): %w", err)
		}
	}
	if entries, err := readPIDs(o.StateDir); err == nil {
		for _, e := range entries {
			if e.alive() {
				return nil, fmt.Errorf("localcluster: a cluster from %s is still running (%s pid %d); stop it first", o.StateDir, e.name, e.pid)
			}
		}
	}
	for _, sub := range []string{"pki", "logs", "etcd", "kwok", pidsFile, "kubeconfig"} {
		if err := os.RemoveAll(filepath.Join(o.StateDir, sub)); err != nil {
			return nil, err
		}
	}
	logDir := filepath.Join(o.StateDir, "logs")
	for _, d := range []string{logDir, filepath.Join(o.StateDir, "kwok")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	ports, err := o.Ports.fill()
	if err != nil {
		return nil, err
	}
	p, err := generatePKI(filepath.Join(o.StateDir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("localcluster: certificates: %w", err)
	}
	c = &Cluster{StateDir: o.StateDir, Kubeconfig: filepath.Join(o.StateDir, "kubeconfig"), Ports: ports}
	defer func() {
		if err != nil {
			_ = c.Stop()
			c, err = nil, fmt.Errorf("localcluster: %w (logs kept in %s)", err, logDir)
		}
	}()
	server := fmt.Sprintf("https://127.0.0.1:%d", ports.APIServer)
	if err := writeKubeconfig(c.Kubeconfig, server, p); err != nil {
		return c, err
	}
	c.Config = &rest.Config{
		Host:            server,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM, CertData: p.adminCertPEM, KeyData: p.adminKeyPEM},
		QPS:             200, Burst: 400,
	}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return c, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.Config); err != nil {
		return c, err
	}
	start := func(name string, args ...string) (*proc, error) {
		bin := filepath.Join(o.BinDir, name)
		// kwok also reads ~/.kwok/kwok.yaml when it exists; a private HOME keeps a user's config out.
		env := []string{"HOME=" + filepath.Join(o.StateDir, "kwok")}
		pr, err := startProc(name, bin, logDir, args, o.Detach, env)
		if err != nil {
			return nil, err
		}
		c.procs = append(c.procs, pr)
		return pr, appendPID(o.StateDir, name, pr.cmd.Process.Pid, bin)
	}

	// etcd
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports.Etcd)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports.EtcdPeer)
	etcd, err := start("etcd", "--name=default", "--data-dir="+filepath.Join(o.StateDir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL, "--unsafe-no-fsync=true", "--log-level=warn")
	if err != nil {
		return c, err
	}
	if err := waitHTTP(ctx, etcd, etcdURL+"/health", 30*time.Second); err != nil {
		return c, err
	}
	logf("etcd ready (%.1fs)", time.Since(t0).Seconds())

	// kube-apiserver
	apiserver, err := start("kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", // loopback only
		"--endpoint-reconciler-type=none", // the reconciler refuses loopback advertise addresses
		fmt.Sprintf("--secure-port=%d", ports.APIServer),
		"--cert-dir="+filepath.Join(o.StateDir, "pki"),
		"--tls-cert-file="+p.ServingCert, "--tls-private-key-file="+p.ServingKey,
		"--client-ca-file="+p.CACert,
		"--service-account-key-file="+p.SAPub, "--service-account-signing-key-file="+p.SAKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--authorization-mode=RBAC",
		// Without requestheader flags kcm and the scheduler loop on "missing content for CA bundle".
		"--requestheader-client-ca-file="+p.CACert, "--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		// kwok is the kubelet for logs: reach it at the node's InternalIP and kubelet port.
		"--kubelet-client-certificate="+p.AdminCert, "--kubelet-client-key="+p.AdminKey,
		"--kubelet-preferred-address-types=InternalIP",
		"--allow-privileged=true", "--profiling=false")
	if err != nil {
		return c, err
	}
	if err := waitReadyz(ctx, apiserver, c.Client, 60*time.Second); err != nil {
		return c, err
	}
	logf("kube-apiserver ready (%.1fs)", time.Since(t0).Seconds())

	// CRDs before kcm (garbage collector discovery) and kwok (its Logs CRD must exist when it starts).
	crdPaths := append([]string{filepath.Join(filepath.Dir(o.BinDir), "crds")}, o.CRDPaths...)
	if err := InstallCRDs(ctx, c.Config, crdPaths...); err != nil {
		return c, err
	}
	if err := EnsureDefaultStorageClass(ctx, c.Client); err != nil {
		return c, err
	}
	logf("CRDs and default StorageClass installed (%.1fs)", time.Since(t0).Seconds())

	kcm, err := start("kube-controller-manager",
		"--kubeconfig="+c.Kubeconfig, "--authentication-kubeconfig="+c.Kubeconfig, "--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports.ControllerManager),
		"--cert-dir="+filepath.Join(o.StateDir, "pki", "kcm"),
		"--leader-elect=false", "--use-service-account-credentials=false",
		"--service-account-private-key-file="+p.SAKey, "--root-ca-file="+p.CACert,
		"--controllers="+strings.Join(controllers, ","), "--profiling=false")
	if err != nil {
		return c, err
	}
	sched, err := start("kube-scheduler",
		"--kubeconfig="+c.Kubeconfig, "--authentication-kubeconfig="+c.Kubeconfig, "--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports.Scheduler), "--leader-elect=false")
	if err != nil {
		return c, err
	}
	stages := filepath.Join(o.StateDir, "kwok", "stages.yaml")
	if err := os.WriteFile(stages, stagesYAML, 0o644); err != nil {
		return c, err
	}
	kwok, err := start("kwok",
		"--kubeconfig="+c.Kubeconfig, "--config="+stages,
		"--manage-nodes-with-annotation-selector="+kwokAnnotation+"=fake",
		fmt.Sprintf("--server-address=127.0.0.1:%d", ports.Kwok), "--node-ip=127.0.0.1", fmt.Sprintf("--node-port=%d", ports.Kwok),
		"--tls-cert-file="+p.ServingCert, "--tls-private-key-file="+p.ServingKey,
		"--enable-crds=Logs", "--cidr=10.244.0.0/16",
		// Node leases are the heartbeat kcm's node-lifecycle controller trusts; without them nodes only
		// get status patches about every 50 s, right at the edge of its grace period.
		"--node-lease-duration-seconds=40")
	if err != nil {
		return c, err
	}
	for _, w := range []struct {
		p   *proc
		url string
	}{
		{kcm, fmt.Sprintf("https://127.0.0.1:%d/healthz", ports.ControllerManager)},
		{sched, fmt.Sprintf("https://127.0.0.1:%d/healthz", ports.Scheduler)},
		{kwok, fmt.Sprintf("http://127.0.0.1:%d/healthz", ports.Kwok)},
	} {
		if err := waitHTTP(ctx, w.p, w.url, 60*time.Second); err != nil {
			return c, err
		}
	}
	logf("kube-controller-manager, kube-scheduler, kwok healthy (%.1fs)", time.Since(t0).Seconds())

	nodes := o.Nodes
	if nodes == nil {
		nodes = DefaultNodes()
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if _, err := c.Client.CoreV1().Nodes().Create(ctx, n.object(), metav1.CreateOptions{}); err != nil {
			return c, fmt.Errorf("create node %s: %w", n.Name, err)
		}
		names = append(names, n.Name)
	}
	if err := WaitNodesReady(ctx, c.Client, 60*time.Second, names...); err != nil {
		return c, err
	}
	if err := WaitServiceAccount(ctx, c.Client, "default", 60*time.Second); err != nil {
		return c, err
	}
	logf("%d nodes ready, default ServiceAccount present (%.1fs)", len(names), time.Since(t0).Seconds())

	pvDir := filepath.Join(o.StateDir, "pv")
	if len(o.PVBinderCommand) > 0 {
		args := append(append([]string{}, o.PVBinderCommand[1:]...), "--kubeconfig="+c.Kubeconfig, "--pv-dir="+pvDir)
		pr, err := startProc("pvbinder", o.PVBinderCommand[0], logDir, args, o.Detach, nil)
		if err != nil {
			return c, err
		}
		c.procs = append(c.procs, pr)
		if err := appendPID(o.StateDir, "pvbinder", pr.cmd.Process.Pid, o.PVBinderCommand[0]); err != nil {
			return c, err
		}
	} else {
		bctx, cancel := context.WithCancel(context.Background())
		c.stopBinder, c.binderExited = cancel, make(chan struct{})
		go func() { defer close(c.binderExited); _ = RunPVBinder(bctx, c.Client, pvDir) }()
	}
	logf("cluster up in %.1fs; KUBECONFIG=%s", time.Since(t0).Seconds(), c.Kubeconfig)
	return c, nil
}

// controllers are the kube-controller-manager controllers we run (1.37 names).
var controllers = []string{
	"garbage-collector-controller", "namespace-controller", "serviceaccount-controller",
	"serviceaccount-token-controller", "root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller", "node-lifecycle-controller", // removes the not-ready taint
	"job-controller", "cronjob-controller", "ttl-after-finished-controller",
	"replicaset-controller", "deployment-controller", "statefulset-controller", "daemonset-controller",
	"disruption-controller", "endpointslice-controller", "pod-garbage-collector-controller",
	"persistentvolume-binder-controller", "persistentvolumeclaim-protection-controller",
	"persistentvolume-protection-controller",
}

// Stop stops every component (SIGTERM, then SIGKILL after a grace period) in dependency order.
// The state folder (logs, kubeconfig) is left in place.
func (c *Cluster) Stop() error {
	if c.stopBinder != nil {
		c.stopBinder()
		<-c.binderExited
		c.stopBinder = nil
	}
	var entries []pidEntry
	for _, p := range c.procs {
		if p.running() {
			entries = append(entries, pidEntry{name: p.name, pid: p.cmd.Process.Pid, bin: p.bin})
		}
	}
	c.procs = nil
	err := stopOrdered(entries, 10*time.Second)
	_ = os.Remove(filepath.Join(c.StateDir, pidsFile))
	return err
}

// StopState stops the cluster whose pids file is in stateDir (the `down` command). A missing pids file
// means nothing to stop.
func StopState(stateDir string) error {
	entries, err := readPIDs(stateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := stopOrdered(entries, 10*time.Second); err != nil {
		return err
	}
	return os.Remove(filepath.Join(stateDir, pidsFile))
}

// stopOrdered stops clients of the apiserver first, then the apiserver, then etcd.
func stopOrdered(entries []pidEntry, grace time.Duration) error {
	rank := map[string]int{"kube-apiserver": 1, "etcd": 2}
	var errs []error
	for r := 0; r <= 2; r++ {
		var group []pidEntry
		for _, e := range entries {
			if rank[e.name] == r {
				group = append(group, e)
			}
		}
		errs = append(errs, stopPIDs(group, grace))
	}
	return errors.Join(errs...)
}

// WaitServiceAccount waits for the "default" ServiceAccount of ns (pods cannot be created before it).
func WaitServiceAccount(ctx context.Context, c kubernetes.Interface, ns string, timeout time.Duration) error {
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

func (p Ports) fill() (Ports, error) {
	for _, f := range []*int{&p.Etcd, &p.EtcdPeer, &p.APIServer, &p.ControllerManager, &p.Scheduler, &p.Kwok} {
		if *f != 0 {
			continue
		}
		port, err := freePort()
		if err != nil {
			return p, err
		}
		*f = port
	}
	return p, nil
}

// freePort asks the kernel for a free loopback port. Another process could take it before we bind it;
// the start then fails with a clear "address already in use" in the component log.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PortsFromEnv reads LOCALCLUSTER_{ETCD,ETCD_PEER,APISERVER,KCM,SCHEDULER,KWOK}_PORT; unset means free.
func PortsFromEnv() (Ports, error) {
	var p Ports
	for env, f := range map[string]*int{
		"LOCALCLUSTER_ETCD_PORT": &p.Etcd, "LOCALCLUSTER_ETCD_PEER_PORT": &p.EtcdPeer,
		"LOCALCLUSTER_APISERVER_PORT": &p.APIServer, "LOCALCLUSTER_KCM_PORT": &p.ControllerManager,
		"LOCALCLUSTER_SCHEDULER_PORT": &p.Scheduler, "LOCALCLUSTER_KWOK_PORT": &p.Kwok,
	} {
		if v := os.Getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return p, fmt.Errorf("%s=%q: %w", env, v, err)
			}
			*f = n
		}
	}
	return p, nil
}

func writeKubeconfig(path, server string, p *pki) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["aimlite-local"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.adminCertPEM, ClientKeyData: p.adminKeyPEM}
	cfg.Contexts["aimlite-local"] = &clientcmdapi.Context{Cluster: "aimlite-local", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "aimlite-local"
	return clientcmd.WriteToFile(*cfg, path)
}

var insecureHTTP = &http.Client{
	Timeout: 2 * time.Second,
	// Health endpoints of kcm and the scheduler use self-signed serving certs; only loopback is probed.
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec
}

// waitHTTP polls url until it answers 200, failing fast when p exits.
func waitHTTP(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	return waitFor(ctx, p, timeout, func() (bool, string) {
		resp, err := insecureHTTP.Get(url)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
}

func waitReadyz(ctx context.Context, p *proc, c kubernetes.Interface, timeout time.Duration) error {
	return waitFor(ctx, p, timeout, func() (bool, string) {
		b, err := c.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return false, err.Error()
		}
		return string(b) == "ok", string(b)
	})
}

func waitFor(ctx context.Context, p *proc, timeout time.Duration, ok func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		if !p.running() {
			return p.exitError()
		}
		var done bool
		if done, last = ok(); done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %s (last: %s); log %s:\n%s", p.name, timeout, last, p.logPath, tail(p.logPath, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
