package imagemeta

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// Fetcher reads image metadata from a registry.
type Fetcher interface {
	Fetch(ctx context.Context, image string, pullSecrets []*corev1.Secret) (*aimv1.ImageMetadata, error)
}

// RegistryFetcher is the go-containerregistry implementation.
type RegistryFetcher struct {
	// Transport is the HTTP transport (nil: remote.DefaultTransport).
	Transport http.RoundTripper
	// Insecure allows plain-HTTP registries (used by tests against an in-process registry).
	Insecure bool
}

// Fetch resolves the image, reads its config file and parses its labels.
func (f RegistryFetcher) Fetch(ctx context.Context, image string, pullSecrets []*corev1.Secret) (*aimv1.ImageMetadata, error) {
	var nameOpts []name.Option
	if f.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(image, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("failed to parse image reference %q: %w", image, err)
	}
	kc, err := KeychainFromSecrets(pullSecrets)
	if err != nil {
		return nil, fmt.Errorf("failed to create k8s keychain: %w", err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if f.Transport != nil {
		opts = append(opts, remote.WithTransport(f.Transport))
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch image %q: %w", image, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("failed to get image from descriptor: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("failed to get image config: %w", err)
	}
	return FromLabels(cfg.Config.Labels)
}

// secretKeychain resolves registry credentials from parsed docker config entries.
type secretKeychain struct {
	entries []dockerEntry
}

type dockerEntry struct {
	host string
	auth authn.AuthConfig
}

type dockerAuth struct {
	Username      string `json:"username"`
	Password      string `json:"password"`
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// KeychainFromSecrets builds a keychain from kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg
// secrets. Secrets of other types are ignored; malformed ones are an error.
func KeychainFromSecrets(secrets []*corev1.Secret) (authn.Keychain, error) {
	kc := &secretKeychain{}
	for _, s := range secrets {
		if s == nil {
			continue
		}
		var auths map[string]dockerAuth
		switch {
		case len(s.Data[corev1.DockerConfigJsonKey]) > 0:
			var cfg struct {
				Auths map[string]dockerAuth `json:"auths"`
			}
			if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
				return nil, fmt.Errorf("secret %s/%s: %w", s.Namespace, s.Name, err)
			}
			auths = cfg.Auths
		case len(s.Data[corev1.DockerConfigKey]) > 0:
			if err := json.Unmarshal(s.Data[corev1.DockerConfigKey], &auths); err != nil {
				return nil, fmt.Errorf("secret %s/%s: %w", s.Namespace, s.Name, err)
			}
		default:
			continue
		}
		for host, a := range auths {
			cfg := authn.AuthConfig{Username: a.Username, Password: a.Password,
				IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
			if a.Auth != "" && cfg.Username == "" {
				if dec, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
					if u, p, ok := strings.Cut(string(dec), ":"); ok {
						cfg.Username, cfg.Password = u, p
					}
				}
			}
			kc.entries = append(kc.entries, dockerEntry{host: normalizeHost(host), auth: cfg})
		}
	}
	return kc, nil
}

// normalizeHost strips a scheme and path from a docker config key ("https://index.docker.io/v1/").
func normalizeHost(h string) string {
	h = strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[:i]
	}
	if h == "docker.io" || h == "registry-1.docker.io" {
		return name.DefaultRegistry
	}
	return h
}

// Resolve implements authn.Keychain: the first entry for the registry host wins.
func (k *secretKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := normalizeHost(r.RegistryStr())
	for _, e := range k.entries {
		if e.host == host {
			return authn.FromConfig(e.auth), nil
		}
	}
	return authn.Anonymous, nil
}
