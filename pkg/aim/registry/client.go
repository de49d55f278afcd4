// Package registry lists the images of a container registry for AIMClusterModelSource: tags of a
// repository and, for wildcard filters, the repositories of the registry's v2 catalog, through
// go-containerregistry. It also parses filters (repository patterns, full URIs, tagged images, excludes)
// and matches tags against semver constraints with a small built-in matcher.
//
// The Client interface is what the reconciler needs, so tests use a fake; Remote is the real one.
// Registries without the v2 catalog API (Docker Hub, GHCR) cannot serve wildcard filters; list those
// repositories explicitly.
package registry

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
)

// Client reads a registry. kc may be nil (anonymous).
type Client interface {
	// Tags lists the tags of registry/repository.
	Tags(ctx context.Context, registry, repository string, kc authn.Keychain) ([]string, error)
	// Catalog lists the repositories of a registry (v2 `_catalog`).
	Catalog(ctx context.Context, registry string, kc authn.Keychain) ([]string, error)
}

// Remote is the go-containerregistry Client.
type Remote struct {
	// Transport is the HTTP transport (nil: remote.DefaultTransport).
	Transport http.RoundTripper
	// Insecure allows plain HTTP for any host (loopback and RFC 1918 hosts use HTTP anyway).
	Insecure bool
}

func (r Remote) options(ctx context.Context, kc authn.Keychain) []remote.Option {
	if kc == nil {
		kc = authn.NewMultiKeychain() // anonymous
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

func (r Remote) nameOpts() []name.Option {
	if r.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Tags implements Client.
func (r Remote) Tags(ctx context.Context, registry, repository string, kc authn.Keychain) ([]string, error) {
	repo, err := name.NewRepository(registry+"/"+repository, r.nameOpts()...)
	if err != nil {
		return nil, fmt.Errorf("invalid repository %s/%s: %w", registry, repository, err)
	}
	tags, err := remote.List(repo, r.options(ctx, kc)...)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s/%s: %w", registry, repository, err)
	}
	return tags, nil
}

// Catalog implements Client.
func (r Remote) Catalog(ctx context.Context, registry string, kc authn.Keychain) ([]string, error) {
	reg, err := name.NewRegistry(registry, r.nameOpts()...)
	if err != nil {
		return nil, fmt.Errorf("invalid registry %q: %w", registry, err)
	}
	repos, err := remote.Catalog(ctx, reg, r.options(ctx, kc)...)
	if err != nil {
		return nil, fmt.Errorf("list repositories of %s (wildcard filters need the registry's v2 catalog API): %w", registry, err)
	}
	return repos, nil
}

// MaxConcurrentTagLists bounds parallel tag listings of one wildcard filter.
const MaxConcurrentTagLists = 8

// Lister resolves filters against a Client, reusing catalog answers within one sync.
type Lister struct {
	Client   Client
	Keychain authn.Keychain

	mu       sync.Mutex
	catalogs map[string]catalogResult
}

type catalogResult struct {
	repos []string
	err   error
}

// List returns the images a filter selects, newest first per repository. On a partial failure (some
// repositories of a wildcard could not be listed) it returns what it found and the joined error.
func (l *Lister) List(ctx context.Context, f Filter) ([]Image, error) {
	repos := []string{f.Repository}
	if f.Wildcard {
		all, err := l.catalog(ctx, f.Registry)
		if err != nil {
			return nil, err
		}
		repos = repos[:0]
		for _, r := range all {
			if f.MatchesRepository(r) && !f.ExcludesRepository(r) {
				repos = append(repos, r)
			}
		}
		sort.Strings(repos)
	}
	found := make([][]Image, len(repos))
	errs := make([]error, len(repos))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(MaxConcurrentTagLists)
	for i, repo := range repos {
		g.Go(func() error {
			tags, err := l.Client.Tags(gctx, f.Registry, repo, l.Keychain)
			if err != nil {
				errs[i] = err
				return nil // keep listing the other repositories
			}
			found[i] = f.Select(repo, tags)
			return nil
		})
	}
	_ = g.Wait()
	var out []Image
	for _, imgs := range found {
		out = append(out, imgs...)
	}
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return out, fmt.Errorf("%d of %d repositories failed: %s", len(msgs), len(repos), strings.Join(msgs, "; "))
	}
	return out, nil
}

func (l *Lister) catalog(ctx context.Context, registry string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.catalogs[registry]; ok {
		return r.repos, r.err
	}
	repos, err := l.Client.Catalog(ctx, registry, l.Keychain)
	if l.catalogs == nil {
		l.catalogs = map[string]catalogResult{}
	}
	l.catalogs[registry] = catalogResult{repos, err}
	return repos, err
}
