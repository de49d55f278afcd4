package imagemeta

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	corev1 "k8s.io/api/core/v1"
)

func TestFromLabels(t *testing.T) {
	md, err := FromLabels(map[string]string{
		"com.amd.aim.model.canonicalName":          "meta-llama/Llama-3.1-8B",
		"org.amd.silogen.model.canonicalName":      "ignored",
		"org.amd.silogen.title":                    "Llama",
		"com.amd.aim.model.tags":                   "text, chat ,",
		"com.amd.aim.hfToken.required":             "true",
		"com.amd.aim.model.recommendedDeployments": `[{"gpuModel":"MI300X","gpuCount":1,"precision":"fp8","metric":"latency"},{"gpuModel":"MI325X","gpuCount":"2"}]`,
		"org.opencontainers.image.version":         "0.8.5",
	})
	if err != nil {
		t.Fatal(err)
	}
	m := md.Model
	if m.CanonicalName != "meta-llama/Llama-3.1-8B" || m.Title != "Llama" || len(m.Tags) != 2 || !m.HFTokenRequired {
		t.Errorf("model %+v", m)
	}
	if len(m.RecommendedDeployments) != 2 || m.RecommendedDeployments[1].GPUCount != 2 || m.RecommendedDeployments[0].Metric != "latency" {
		t.Errorf("deployments %+v", m.RecommendedDeployments)
	}
	if md.OCI.Version != "0.8.5" || len(md.OriginalLabels) != 7 {
		t.Errorf("oci %+v", md.OCI)
	}
}

func TestParseRecommendedDeployments(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		fail bool
	}{
		{"", 0, false},
		{`{'gpuModel':'MI300X','gpuCount':1}`, 1, false},
		{`{"gpuModel":"MI300X"},{"gpuModel":"MI210"}`, 2, false},
		{`[{"gpuModel":"MI300X"`, 0, true},
		{`[{"gpuCount":"x"}]`, 0, true},
	}
	for _, c := range cases {
		got, err := ParseRecommendedDeployments(c.in)
		if (err != nil) != c.fail || len(got) != c.n {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
	}
	if _, err := FromLabels(map[string]string{"com.amd.aim.model.recommendedDeployments": "{"}); err == nil {
		t.Error("malformed deployments label must fail")
	}
}

func TestKeychainFromSecrets(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("user:pass"))
	kc, err := KeychainFromSecrets([]*corev1.Secret{
		{Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"x": []byte("y")}},
		{Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"https://reg.example:5000/v1/":{"auth":"` + auth + `"}}}`)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := name.NewRegistry("reg.example:5000")
	a, _ := kc.Resolve(reg)
	cfg, _ := a.Authorization()
	if cfg.Username != "user" || cfg.Password != "pass" {
		t.Errorf("auth %+v", cfg)
	}
	other, _ := name.NewRegistry("other.example")
	if a, _ := kc.Resolve(other); a != authn.Anonymous {
		t.Error("unknown registry must be anonymous")
	}
	if _, err := KeychainFromSecrets([]*corev1.Secret{{Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte("{")}}}); err == nil {
		t.Error("malformed secret must fail")
	}
}
