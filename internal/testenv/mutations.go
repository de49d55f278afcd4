package testenv

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// Mutations counts the mutating API requests (every method but GET, HEAD and OPTIONS) sent through a
// rest.Config made by CountMutations. Integration tests use it to assert that a converged, idle operator
// sends no mutating request at all, and that an unchanged object costs none.
type Mutations struct {
	total    atomic.Int64
	mu       sync.Mutex
	byKind   map[string]int // "VERB resource[/sub]"
	byObject map[string]int // "VERB resource[/sub] name"
}

// CountMutations returns a copy of cfg whose transport counts every mutating request in the returned
// Mutations. cfg itself is not changed.
func CountMutations(cfg *rest.Config) (*rest.Config, *Mutations) {
	m := &Mutations{byKind: map[string]int{}, byObject: map[string]int{}}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return mutationCounter{next: rt, m: m} })
	return cfg, m
}

// Total is the number of mutating requests so far.
func (m *Mutations) Total() int64 { return m.total.Load() }

// Snapshot returns a copy of the counts so far, keyed "VERB resource[/sub]" (e.g. "PATCH
// inferenceservices", "PUT aimmodels/status"); a path that is no resource path is kept whole.
func (m *Mutations) Snapshot() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.byKind))
	for k, v := range m.byKind {
		out[k] = v
	}
	return out
}

// OfObject is the number of mutating requests so far with the given Snapshot key (e.g. "PUT
// aimclustermodelsources/status") to the object called name.
func (m *Mutations) OfObject(key, name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byObject[key+" "+name]
}

func (m *Mutations) add(verb, path string) {
	res, name := resourceOf(path)
	key := verb + " " + res
	m.mu.Lock()
	m.byKind[key]++
	if name != "" {
		m.byObject[key+" "+name]++
	}
	m.mu.Unlock()
	m.total.Add(1)
}

type mutationCounter struct {
	next http.RoundTripper
	m    *Mutations
}

func (c mutationCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		c.m.add(r.Method, r.URL.Path)
	}
	return c.next.RoundTrip(r)
}

// resourceOf splits an API path, /api/v1/... or /apis/group/version/..., then
// [namespaces/ns/]resource[/name[/subresource]], into "resource[/subresource]" and the object name.
// As in the apiserver's request parsing, namespaces/ns/status and namespaces/ns/finalize are
// subresources of the namespace itself. A path that is no resource path comes back whole.
func resourceOf(path string) (resource, name string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) > 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) > 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return path, ""
	}
	if len(parts) > 2 && parts[0] == "namespaces" && parts[2] != "status" && parts[2] != "finalize" {
		parts = parts[2:]
	}
	resource = parts[0]
	if len(parts) > 1 {
		name = parts[1]
	}
	if len(parts) > 2 {
		resource += "/" + parts[2]
	}
	return resource, name
}
