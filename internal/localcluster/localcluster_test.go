package localcluster

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestReadCRDsFindsTestCRDs(t *testing.T) {
	crds, err := ReadCRDs("../../test/crds")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range crds {
		got[c.Name] = c.Spec.Versions[0].Name
		if c.Spec.Scope != "Namespaced" || c.Spec.Versions[0].Subresources == nil || c.Spec.Versions[0].Subresources.Status == nil {
			t.Errorf("%s: want namespaced with a status subresource", c.Name)
		}
	}
	if got["inferenceservices.serving.kserve.io"] != "v1beta1" || got["httproutes.gateway.networking.k8s.io"] != "v1" {
		t.Fatalf("test CRDs: %v", got)
	}
	if _, err := ReadCRDs("does-not-exist"); err == nil {
		t.Fatal("a missing path must be an error")
	}
}

func TestPKIChainsToCA(t *testing.T) {
	p, err := generatePKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.caPEM) {
		t.Fatal("bad CA PEM")
	}
	serving, err := tls.LoadX509KeyPair(p.ServingCert, p.ServingKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(serving.Certificate[0])
	for _, host := range []string{"127.0.0.1", "kubernetes.default.svc", serviceIP} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("serving cert for %s: %v", host, err)
		}
	}
	admin, err := tls.X509KeyPair(p.adminCertPEM, p.adminKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(admin.Certificate[0])
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	if len(leaf.Subject.Organization) != 1 || leaf.Subject.Organization[0] != "system:masters" {
		t.Fatalf("admin organization %v", leaf.Subject.Organization)
	}
}

// TestStopStateStopsRecordedProcesses checks the `down` path: detached processes recorded in the pids file
// are stopped, including one that ignores SIGTERM (SIGKILL after the grace period).
func TestStopStateStopsRecordedProcesses(t *testing.T) {
	dir := t.TempDir()
	sh, err := filepath.Abs("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	polite, err := startProc("etcd", sh, dir, []string{"-c", "sleep 60; true"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	stubborn, err := startProc("kwok", sh, dir, []string{"-c", "trap '' TERM; while :; do sleep 0.1; done"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{polite, stubborn} {
		if err := appendPID(dir, p.name, p.cmd.Process.Pid, sh); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the trap be installed
	entries, _ := readPIDs(dir)
	start := time.Now()
	if err := stopOrdered(entries, time.Second); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{polite, stubborn} {
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still running", p.name)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("stop took %s", d)
	}
	// A recycled PID (different binary) is never signalled.
	if (pidEntry{name: "x", pid: os.Getpid(), bin: "/not/our/binary"}).alive() {
		t.Fatal("alive() must check the binary")
	}
}
