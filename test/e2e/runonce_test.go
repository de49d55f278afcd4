package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/aimlite/aimlite/internal/localcluster"
)

// `RUN_ONCE=1 make run` (hack/run.sh) starts its own control plane and aimlite, applies config/samples,
// prints `kubectl get aim -A` and exits 0. It uses a private state folder.
func TestRunOnce(t *testing.T) {
	if external() {
		t.Skip("hack/run.sh starts its own local control plane; skipped when KUBECONFIG is set")
	}
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "run.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "RUN_ONCE=1", "LOCALCLUSTER_STATE_DIR="+t.TempDir())
	// On timeout, SIGTERM lets run.sh's trap stop aimlite and the control plane it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("hack/run.sh took %s", time.Since(t0).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("RUN_ONCE=1 hack/run.sh: %v\n%s", err, out)
	}
	_, status, ok := strings.Cut(string(out), "==> status")
	if !ok {
		t.Fatalf("no status section in the output:\n%s", out)
	}
	for _, name := range sampleNames(t, root) {
		if !regexp.MustCompile(`(?m)[/ ]` + regexp.QuoteMeta(name) + `\s`).MatchString(status) {
			t.Errorf("sample %s missing from the status:\n%s", name, status)
		}
	}
	// The operator reconciled something: some row shows a contract status value other than the CRD default.
	if !regexp.MustCompile(`\s(Progressing|Ready|Running|Starting|Degraded|Failed|NotAvailable)\s`).MatchString(status) {
		t.Errorf("no sample shows a reconciled status:\n%s", status)
	}
	t.Logf("status printed by make run:\n%s", status)
}

// sampleNames lists metadata.name of every resource in config/samples/kustomization.yaml.
func sampleNames(t *testing.T, root string) []string {
	dir := filepath.Join(root, "config", "samples")
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct{ Resources []string }
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range k.Resources {
		b, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			Metadata struct{ Name string }
		}
		if err := yaml.Unmarshal(b, &o); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		out = append(out, o.Metadata.Name)
	}
	return out
}
