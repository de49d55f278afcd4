package discovery

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

const profileJSON = `[{"filename":"vllm-mi300x-fp8-tp1-latency.yaml","profile":{"model":"meta-llama/Llama-3.1-8B",
"metadata":{"engine":"vllm","gpu":"MI300X","precision":"fp8","gpu_count":1,"metric":"latency","type":"optimized"},
"engine_args":{"tensor-parallel-size":1,"max-model-len":8192},"env_vars":{"VLLM_USE_TRITON":"1"}},
"models":[{"name":"meta-llama/Llama-3.1-8B","source":"hf://meta-llama/Llama-3.1-8B","size_gb":15.5}]}]`

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		log     string
		wantErr bool
		empty   bool
		gpu     string
	}{
		{name: "whole output JSON", log: profileJSON, gpu: "MI300X"},
		{name: "log lines around the array", log: "[INFO] starting\nloading [1/3]\n" + profileJSON + "\ndone [ok]\n", gpu: "MI300X"},
		{name: "last array wins", log: strings.Replace(profileJSON, "MI300X", "MI210", 1) + "\nnoise\n" + profileJSON, gpu: "MI300X"},
		{name: "single object", log: strings.TrimSuffix(strings.TrimPrefix(profileJSON, "["), "]"), gpu: "MI300X"},
		{name: "empty", log: "  \n", wantErr: true, empty: true},
		{name: "malformed", log: `[{"profile": {"metadata": `, wantErr: true},
		{name: "no array", log: "ERROR: no GPU found", wantErr: true},
		{name: "empty array", log: "[]", wantErr: true},
		{name: "wrong element type", log: `[{"profile": "x"}]`, wantErr: true},
	}
	for _, c := range cases {
		res, err := Parse(c.log)
		if c.wantErr {
			if err == nil {
				t.Errorf("%s: want error, got %+v", c.name, res)
			}
			if c.empty && !errors.Is(err, ErrEmptyOutput) {
				t.Errorf("%s: want ErrEmptyOutput, got %v", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if res.GPUModel != c.gpu || res.GPUCount != 1 {
			t.Errorf("%s: gpu %s x%d", c.name, res.GPUModel, res.GPUCount)
		}
		md := res.Profile.Metadata
		if md.Engine != "vllm" || md.Precision != "fp8" || md.Metric != "latency" || md.Type != "optimized" {
			t.Errorf("%s: metadata %+v", c.name, md)
		}
		if string(res.Profile.EngineArgs.Raw) != `{"tensor-parallel-size":1,"max-model-len":8192}` {
			t.Errorf("%s: engine args %s", c.name, res.Profile.EngineArgs.Raw)
		}
		if res.Profile.EnvVars["VLLM_USE_TRITON"] != "1" {
			t.Errorf("%s: env vars %v", c.name, res.Profile.EnvVars)
		}
		if len(res.ModelSources) != 1 || res.ModelSources[0].ModelID != "meta-llama/Llama-3.1-8B" ||
			res.ModelSources[0].SourceURI != "hf://meta-llama/Llama-3.1-8B" {
			t.Fatalf("%s: sources %+v", c.name, res.ModelSources)
		}
		// 15.5 × 2^30 bytes, BinarySI.
		if got := res.ModelSources[0].Size; got.Value() != 16642998272 || got.String() != "15872Mi" {
			t.Errorf("%s: size %d %s", c.name, got.Value(), got.String())
		}
		if res.Profile.OriginalDiscoveryOutput == nil || !strings.HasPrefix(string(res.Profile.OriginalDiscoveryOutput.Raw), `{"filename"`) {
			t.Errorf("%s: original output missing", c.name)
		}
	}
}

func TestDelay(t *testing.T) {
	for n, want := range map[int32]time.Duration{0: 0, 1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute,
		6: 32 * time.Minute, 7: time.Hour, 8: time.Hour, 40: time.Hour} {
		if got := Delay(n); got != want {
			t.Errorf("Delay(%d)=%s want %s", n, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	mt := metav1.NewTime(t0)
	st := &aimv1.AIMDiscoveryState{Attempts: 2, LastAttemptTime: &mt, SpecHash: "h"}
	cases := []struct {
		name    string
		state   *aimv1.AIMDiscoveryState
		hash    string
		now     time.Time
		allowed bool
		wait    time.Duration
		msg     string
	}{
		{"no state", nil, "h", t0, true, 0, ""},
		{"in backoff", st, "h", t0.Add(30 * time.Second), false, 90 * time.Second, "Waiting 1m30s before retry (attempt 2 failed)"},
		{"rounded to seconds", st, "h", t0.Add(1500 * time.Millisecond), false, 118500 * time.Millisecond, "Waiting 1m59s before retry (attempt 2 failed)"},
		{"backoff expired exactly", st, "h", t0.Add(2 * time.Minute), true, 0, ""},
		{"spec hash changed resets", st, "other", t0.Add(time.Second), true, 0, ""},
	}
	for _, c := range cases {
		g := Check(c.state, c.hash, c.now)
		if g.Allowed != c.allowed || g.Wait != c.wait || g.Message != c.msg {
			t.Errorf("%s: %+v", c.name, g)
		}
	}
}

func TestRecordFailure(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 500, time.UTC)
	s := RecordFailure(nil, "h", "BackoffLimitExceeded", t0)
	s = RecordFailure(s, "h", "again", t0.Add(time.Minute))
	if s.Attempts != 2 || s.LastFailureReason != "again" || !s.LastAttemptTime.Time.Equal(t0.Add(time.Minute).Truncate(time.Second)) {
		t.Errorf("state %+v", s)
	}
	s = RecordFailure(s, "new", "x", t0)
	if s.Attempts != 1 || s.SpecHash != "new" {
		t.Errorf("hash change must restart the count: %+v", s)
	}
}

func TestSpecHash(t *testing.T) {
	a := SpecHash("m", "img", "latency", "fp8", "MI300X", 1, "")
	if len(a) != 16 || a == SpecHash("m", "img", "latency", "fp8", "MI300X", 2, "") {
		t.Errorf("spec hash %s", a)
	}
}

func TestBackoffCustom(t *testing.T) {
	b := Backoff{Base: 2 * time.Second, Max: 5 * time.Second}
	for n, want := range map[int32]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 3: 5 * time.Second} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d)=%s", n, got)
		}
	}
}
