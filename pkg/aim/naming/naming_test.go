package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// The worked examples of catalogue §3.4 are outputs of the reference's own functions.
func TestWorkedExamples(t *testing.T) {
	isvc, err := InferenceServiceName("my-llm", "team-a")
	if err != nil {
		t.Fatal(err)
	}
	long, err := InferenceServiceName("this-is-a-very-long-service-name-that-goes-on-and-on-and-on-forever", "team-a")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, got, want string }{
		{"isvc", isvc, "my-llm-e204f50a"},
		{"route", HTTPRouteName("my-llm", "team-a"), "my-llm-e204f50a"},
		{"isvc truncated", long, "this-is-a-very-long-service-name-that-e204f50a"},
		{"shared cache", SharedTemplateCacheName("tpl-a", "team-a"), "tpl-a-e204f50a"},
		{"dedicated cache", DedicatedTemplateCacheName("tpl-a", "my-llm", "1111-2222"), "tpl-a-my-llm-278e91ba"},
		{"image model", ImageModelName("ghcr.io/silogen/aim-meta-llama-llama-3-1-8b-instruct:0.8.5"),
			"aim-meta-llama-llama-3-1-8b-instruct-0-8-5-8859fc08"},
		{"custom model", CustomModelName("ghcr.io/x/base:1", []CustomModelSource{{ModelID: "org/Model-7B", SourceURI: "hf://org/Model-7B"}}),
			"org-model-7b-a6aa7608"},
		{"generated template", GeneratedTemplateName("llama-8b", "ghcr.io/silogen/aim-llama:0.8.5",
			TemplateDeployment{GPUModel: "MI300X", GPUCount: 1, Metric: "latency", Precision: "fp8"}),
			"ghcr-io-silogen-aim-llama-0-8-5-1x-mi300x-lat-fp8-137f"},
		{"artifact", ArtifactName("hf://meta-llama/Llama-3.1-8B-Instruct", nil, "", ""),
			"hf---meta-llama-llama-3-1-8b-instruct-814d4ab846"},
		{"discovery job", DiscoveryJobName("tpl-a", DiscoveryJobHashInput{ModelName: "llama", Image: "img:1", Metric: "latency"}.String()),
			"discover-tpl-a-3e9abb7b"},
		{"artifact pvc", ArtifactPVCName("art", "u-1"), "art-cache-55d89d51"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(long) != 46 {
		t.Errorf("truncated isvc name length %d, want 46", len(long))
	}
	if v, _ := SanitizeLabelValue(strings.TrimPrefix("hf://meta-llama/Llama-3.1-8B", "hf://")); v != "meta-llama_llama-3.1-8b" {
		t.Errorf("source-model label %q", v)
	}
}

func TestGenerateDerivedName(t *testing.T) {
	cases := []struct {
		name  string
		parts []string
		opts  []Option
		want  string
	}{
		{"no hash", []string{"a", "b"}, nil, "a-b"},
		{"sanitize one for one", []string{"A_B..c"}, nil, "a-b--c"},
		{"empty part", []string{"", "x"}, nil, "part-x"},
		{"trim", []string{"--a--"}, nil, "a"},
		{"truncate longest first", []string{"aaaaaaaaaa", "bbbbb"}, []Option{WithMaxLength(11)}, "aaaaa-bbbbb"},
		{"truncate tie takes first", []string{"aaaa", "bbbb"}, []Option{WithMaxLength(7)}, "aaa-bbb"},
		{"trim dash after cut", []string{"ab-cdef", "x"}, []Option{WithMaxLength(4)}, "ab-x"},
	}
	for _, c := range cases {
		got, err := GenerateDerivedName(c.parts, c.opts...)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.name, got, err, c.want)
		}
	}
}

func TestHashValues(t *testing.T) {
	// "team-a" hashes its JSON encoding, quotes included.
	sum := sha256.Sum256([]byte(`"team-a"`))
	if h, _ := HashValues(8, "team-a"); h != hex.EncodeToString(sum[:])[:8] {
		t.Errorf("string hash %s", h)
	}
	sum = sha256.Sum256([]byte(`"a"|3|null|["k1","v1","k2","v2"]`))
	h, err := HashValues(64, "a", 3, nil, map[string]string{"k2": "v2", "k1": "v1"})
	if err != nil || h != hex.EncodeToString(sum[:]) {
		t.Errorf("mixed hash %s %v", h, err)
	}
	// encoding/json escapes HTML characters.
	sum = sha256.Sum256([]byte(`"\u003c\u0026\u003e"`))
	if h, _ := HashValues(8, "<&>"); h != hex.EncodeToString(sum[:])[:8] {
		t.Errorf("html hash %s", h)
	}
}

func TestInferenceServiceNameNamespaceTooLong(t *testing.T) {
	if _, err := InferenceServiceName("svc", strings.Repeat("n", 45)); err == nil {
		t.Fatal("want error for a 45-char namespace")
	}
}

func TestImageNameAndTag(t *testing.T) {
	cases := []struct{ in, name, tag string }{
		{"ghcr.io/a/b:1.2", "b", "1-2"},
		{"b", "b", "latest"},
		{"localhost:5000/x/Y_Z", "y-z", "latest"},
		{"r/x@sha256:abcdef123456", "x", "abcdef"},
	}
	for _, c := range cases {
		n, tg := ImageNameAndTag(c.in)
		if n != c.name || tg != c.tag {
			t.Errorf("%s: got %s %s", c.in, n, tg)
		}
	}
}

func TestCustomTemplateName(t *testing.T) {
	auto := CustomTemplateName("m", 0, nil)
	if !strings.HasPrefix(auto, "m-custom-") || len(auto) != len("m-custom-")+8 {
		t.Errorf("auto template name %q", auto)
	}
	named := CustomTemplateName("m", 1, &CustomTemplate{Name: "fast", HasProfile: true, Precision: "fp8", Metric: "latency", HasGPU: true, GPUModel: "MI300X", GPUCount: 1})
	if !strings.HasPrefix(named, "m-custom-fast-fp8-mi300x-") {
		t.Errorf("named template %q", named)
	}
	if CustomTemplateName("m", 2, &CustomTemplate{Name: "fast"}) == CustomTemplateName("m", 3, &CustomTemplate{Name: "fast"}) {
		t.Error("index must change the hash")
	}
}

func TestDerivedTemplateName(t *testing.T) {
	if got := DerivedTemplateName("base", DerivedTemplateOverrides{}); got != "base" {
		t.Errorf("no overrides: %q", got)
	}
	got := DerivedTemplateName("base", DerivedTemplateOverrides{GPUModel: "MI300X", GPURequests: 2, Precision: "fp8"})
	if !strings.HasPrefix(got, "base-ovr-mi300x-2gpu-fp8-") || len(got) != len("base-ovr-mi300x-2gpu-fp8-")+4 {
		t.Errorf("derived %q", got)
	}
}

func TestSanitizeLabelValue(t *testing.T) {
	if _, err := SanitizeLabelValue("///"); err == nil {
		t.Error("want error for empty result")
	}
	if v, _ := SanitizeLabelValue("My Service!!"); v != "my_service" {
		t.Errorf("got %q", v)
	}
	if v := LabelValue(strings.Repeat("a", 70)); len(v) != 63 {
		t.Errorf("len %d", len(v))
	}
}
