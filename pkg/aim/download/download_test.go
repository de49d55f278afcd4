package download

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestQuantityWithHeadroom(t *testing.T) {
	const gi = int64(1) << 30
	tests := []struct {
		size     int64
		headroom int32
		want     int64
	}{
		{size: 10 * gi, headroom: 10, want: 11 * gi},
		{size: 10*gi + 1, headroom: 10, want: 12 * gi},
		{size: 1, headroom: 10, want: gi},
		{size: 15 * gi, headroom: 0, want: 15 * gi},
		{size: 3 * gi, headroom: 50, want: 5 * gi},
		{size: 3 * gi, headroom: -5, want: 3 * gi},
	}
	for _, tt := range tests {
		q := QuantityWithHeadroom(tt.size, tt.headroom)
		if q.Value() != tt.want || q.Format != resource.BinarySI {
			t.Errorf("QuantityWithHeadroom(%d, %d) = %s, want %d bytes", tt.size, tt.headroom, q.String(), tt.want)
		}
	}
}

func TestParseCheckSizeOutput(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: `{"url":"hf://a/b","sizeBytes":1234}`, want: 1234},
		{in: "", wantErr: "no output"},
		{in: "Downloading...", wantErr: "failed to parse check-size output"},
		{in: `{"sizeBytes":0}`, wantErr: "invalid size: 0 bytes"},
		{in: `{"sizeBytes":1125899906842625}`, wantErr: "invalid size"},
		{in: `{"sizeBytes":1125899906842624}`, want: 1 << 50},
	}
	for _, tt := range tests {
		got, err := ParseCheckSizeOutput(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %d, %v", tt.in, got, err)
		}
	}
}

func TestDisplaySize(t *testing.T) {
	for in, want := range map[int64]string{
		0: "0 B", 512: "512 B", 1536: "1.5 KiB", 15 << 30: "15 GiB", 3 << 29: "1.5 GiB", 150 << 30: "150 GiB", 1<<30 + 1<<20: "1 GiB",
	} {
		if got := DisplaySize(in); got != want {
			t.Errorf("DisplaySize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestDownloadComplete(t *testing.T) {
	tests := []struct {
		name            string
		succeeded, fail bool
		pct             int32
		reason          string
		status          string
		warning         bool
	}{
		{name: "succeeded", succeeded: true, pct: 40, reason: "Verified", status: "True"},
		{name: "failed at 100", fail: true, pct: 100, reason: "VerificationFailed", status: "False", warning: true},
		{name: "failed below 100", fail: true, pct: 20, reason: "Downloading", status: "False", warning: true},
		{name: "verifying", pct: 100, reason: "Verifying", status: "True"},
		{name: "downloading", pct: 3, reason: "Downloading", status: "False"},
	}
	for _, tt := range tests {
		c := DownloadComplete(tt.succeeded, tt.fail, tt.pct)
		if c.Reason != tt.reason || string(c.Status) != tt.status || c.Warning != tt.warning {
			t.Errorf("%s: got %+v", tt.name, c)
		}
	}
}

func TestBuilders(t *testing.T) {
	a := Artifact{Name: "art", Namespace: "ns", UID: "u-1", SourceURI: "hf://meta-llama/Llama-3.1-8B", TemplateCreated: true,
		RuntimeConfigEnv: []corev1.EnvVar{{Name: "HF_HOME", Value: "/rc"}, {Name: "X", Value: "rc"}},
		Env:              []corev1.EnvVar{{Name: "X", Value: "spec"}}}
	pvc := PVC(a, 10<<30, 10, "")
	if pvc.Name != "art-cache-55d89d51" {
		t.Fatalf("pvc name %s (catalogue worked example art-cache-55d89d51)", pvc.Name)
	}
	if pvc.Spec.StorageClassName != nil || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany {
		t.Fatalf("pvc spec %+v", pvc.Spec)
	}
	if pvc.Labels["aim.eai.amd.com/source-model"] != "meta-llama_llama-3.1-8b" || pvc.Labels["aim.eai.amd.com/cache.type"] != "template-cache" {
		t.Fatalf("pvc labels %v", pvc.Labels)
	}
	if sc := PVC(a, 1, 10, "fast").Spec.StorageClassName; sc == nil || *sc != "fast" {
		t.Fatal("storage class not set")
	}
	dj := DownloadJob(a, pvc.Name, 123)
	env := map[string]string{}
	for _, e := range dj.Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["HF_HOME"] != "/rc" || env["X"] != "spec" || env["EXPECTED_SIZE_BYTES"] != "123" || env["TARGET_DIR"] != "/cache" {
		t.Fatalf("download env precedence wrong: %v", env)
	}
	if dj.Spec.Template.Labels["aim.eai.amd.com/component"] != "download" || *dj.Spec.BackoffLimit != 2 || *dj.Spec.TTLSecondsAfterFinished != 600 {
		t.Fatalf("download job %+v", dj.Spec)
	}
	if dj.Spec.Template.Spec.Containers[0].Image != "ghcr.io/silogen/aim-artifact-downloader:0.2.0" {
		t.Fatal("default image")
	}
	cj := CheckSizeJob(a)
	if c := cj.Spec.Template.Spec.Containers[0]; c.Command[0] != "/check-size.sh" || c.Args[0] != a.SourceURI || len(c.Env) != 2 {
		t.Fatalf("check-size container %+v", c)
	}
	rb := RoleBinding("ns")
	if rb.Name != "aim-engine-artifact-status-updater" || rb.Subjects[0].Name != "default" || rb.RoleRef.Kind != "ClusterRole" {
		t.Fatalf("rolebinding %+v", rb)
	}
}
