// Command localcluster starts and stops the local control plane for development (`make cluster-up`,
// `make run`). hack/localcluster.sh builds and wraps it:
//
//	localcluster up      start, write the state folder, print `export KUBECONFIG=...`, return
//	localcluster down    stop the processes recorded in the state folder (SIGTERM, then SIGKILL)
//	localcluster env     print `export KUBECONFIG=...` for a running cluster
//	localcluster status  list the component processes with their resident memory
//	localcluster pvbinder --kubeconfig=... --pv-dir=...
//	                     the PVC binder loop; `up` starts it as a background process next to the others
//
// The state folder is $LOCALCLUSTER_STATE_DIR, default <repo>/.state/cluster. Binaries come from
// $LOCALCLUSTER_BIN_DIR or hack/build-cluster.sh. Ports are free ones unless LOCALCLUSTER_*_PORT are set.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimlite/aimlite/internal/localcluster"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	case "env":
		err = env(os.Args[2:])
	case "status":
		err = status()
	case "pvbinder":
		err = pvbinder(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", strings.TrimPrefix(err.Error(), "localcluster: "))
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: localcluster {up [--no-test-crds] [--crds=path,...]|down|env|status|pvbinder}")
	os.Exit(2)
}

func stateDir() (string, error) {
	if d := os.Getenv("LOCALCLUSTER_STATE_DIR"); d != "" {
		return filepath.Abs(d)
	}
	root, err := localcluster.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".state", "cluster"), nil
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	noTest := fs.Bool("no-test-crds", os.Getenv("LOCALCLUSTER_NO_TEST_CRDS") == "1", "skip test/crds (KServe, Gateway API stand-ins)")
	crdList := fs.String("crds", os.Getenv("AIMLITE_CRD_DIR"), "comma-separated CRD files/folders (default <repo>/manifests/crds)")
	_ = fs.Parse(args)

	root, err := localcluster.RepoRoot()
	if err != nil {
		return err
	}
	dir, err := stateDir()
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	bin, err := localcluster.EnsureBinaries(ctx, os.Stderr)
	if err != nil {
		return err
	}
	var crds []string
	if *crdList != "" {
		crds = strings.Split(*crdList, ",")
	} else if d := filepath.Join(root, "manifests", "crds"); exists(d) {
		crds = []string{d}
	} else {
		fmt.Fprintf(os.Stderr, "localcluster: %s missing: project CRDs not installed\n", d)
	}
	if !*noTest {
		crds = append(crds, filepath.Join(root, "test", "crds"))
	}
	ports, err := localcluster.PortsFromEnv()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	c, err := localcluster.Start(ctx, localcluster.Options{
		BinDir: bin, StateDir: dir, CRDPaths: crds, Ports: ports, Detach: true,
		PVBinderCommand: []string{self, "pvbinder"},
		Logf:            func(f string, a ...any) { fmt.Fprintf(os.Stderr, "localcluster: "+f+"\n", a...) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "localcluster: apiserver https://127.0.0.1:%d, logs in %s, stop with hack/localcluster.sh down\n",
		c.Ports.APIServer, filepath.Join(dir, "logs"))
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	return nil
}

func down(args []string) error {
	dir, err := stateDir()
	if err != nil {
		return err
	}
	if err := localcluster.StopState(dir); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "localcluster: stopped (logs kept in %s)\n", filepath.Join(dir, "logs"))
	return nil
}

func env(args []string) error {
	dir, err := stateDir()
	if err != nil {
		return err
	}
	if !exists(filepath.Join(dir, "pids")) {
		return fmt.Errorf("no cluster running from %s (run hack/localcluster.sh up)", dir)
	}
	fmt.Printf("export KUBECONFIG=%s\n", filepath.Join(dir, "kubeconfig"))
	return nil
}

func status() error {
	dir, err := stateDir()
	if err != nil {
		return err
	}
	procs, err := localcluster.Processes(dir)
	if err != nil {
		return fmt.Errorf("no cluster recorded in %s: %w", dir, err)
	}
	var total int64
	for _, p := range procs {
		state := "stopped"
		if p.Running {
			state = "running"
		}
		total += p.RSSBytes
		fmt.Printf("%-24s pid %-8d %-8s RSS %4d MiB\n", p.Name, p.PID, state, p.RSSBytes>>20)
	}
	fmt.Printf("%-24s %-22s RSS %4d MiB\n", "total", "", total>>20)
	return nil
}

// pvbinder runs localcluster.RunPVBinder as a long-lived background process until SIGTERM.
func pvbinder(args []string) error {
	fs := flag.NewFlagSet("pvbinder", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", "", "admin kubeconfig")
	pvDir := fs.String("pv-dir", "/tmp/aimlite-pv", "hostPath prefix recorded in the volumes")
	_ = fs.Parse(args)
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	return localcluster.RunPVBinder(ctx, c, *pvDir)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
