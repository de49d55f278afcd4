package registry

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// DefaultRegistry is the registry of images written without a host (the CRD default of spec.registry).
const DefaultRegistry = "docker.io"

// Image is one registry image selected by a filter.
type Image struct {
	Registry   string // host as written by the user, e.g. "docker.io", "ghcr.io", "127.0.0.1:5000"
	Repository string // e.g. "silogen/aim-llama"
	Tag        string
}

// URI is the image reference written into an AIMClusterModel: `<repository>:<tag>` for docker.io (or no
// registry), else `<registry>/<repository>:<tag>` (catalogue C16).
func (i Image) URI() string {
	if i.Registry == "" || i.Registry == DefaultRegistry {
		return i.Repository + ":" + i.Tag
	}
	return i.Registry + "/" + i.Repository + ":" + i.Tag
}

// Filter is a parsed spec.filters[] entry.
type Filter struct {
	// Image is the filter as written.
	Image    string
	Registry string
	// Repository is a repository path, or a path.Match pattern when Wildcard is set.
	Repository string
	Wildcard   bool
	// Tag selects exactly one tag ("" lists them all); version constraints do not apply to it.
	Tag      string
	Exclude  []string
	Versions []Constraint
}

// ParseFilter parses a filter image, which is a repository pattern with wildcards ("silogen/aim-*"), a
// repository ("silogen/aim-llama"), a full URI with a registry host ("ghcr.io/silogen/aim-llama"), or a
// tagged image ("silogen/aim-llama:0.8.5"). The registry is the image's host when it has one (a first path
// component with "." or ":", or "localhost"), else defaultRegistry (else docker.io). versions are the
// filter's constraints, or the source-wide ones when the filter has none; a tag matches if it satisfies
// any of them.
func ParseFilter(image, defaultRegistry string, exclude, versions []string) (Filter, error) {
	f := Filter{Image: image, Exclude: exclude, Registry: strings.TrimRight(trimScheme(defaultRegistry), "/")}
	if f.Registry == "" {
		f.Registry = DefaultRegistry
	}
	rest := trimScheme(image)
	if strings.Contains(rest, "@") {
		return Filter{}, fmt.Errorf("filter %q: digest references are not supported; use a repository or a tag", image)
	}
	if host, p, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		f.Registry, rest = host, p
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		rest, f.Tag = rest[:i], rest[i+1:]
		if f.Tag == "" {
			return Filter{}, fmt.Errorf("filter %q: empty tag", image)
		}
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		return Filter{}, fmt.Errorf("filter %q: no repository", image)
	}
	f.Repository = rest
	f.Wildcard = strings.ContainsAny(rest, "*?[")
	if f.Wildcard {
		if _, err := path.Match(rest, ""); err != nil {
			return Filter{}, fmt.Errorf("filter %q: bad pattern: %w", image, err)
		}
		if strings.ContainsAny(f.Tag, "*?[") {
			return Filter{}, fmt.Errorf("filter %q: wildcard tags are not supported; use versions", image)
		}
	}
	for _, e := range exclude {
		if _, err := path.Match(e, ""); err != nil {
			return Filter{}, fmt.Errorf("filter %q: bad exclude pattern %q: %w", image, e, err)
		}
	}
	for _, s := range versions {
		c, err := ParseConstraint(s)
		if err != nil {
			return Filter{}, fmt.Errorf("filter %q: %w", image, err)
		}
		f.Versions = append(f.Versions, c)
	}
	return f, nil
}

func trimScheme(s string) string {
	s = strings.TrimSpace(s)
	for _, scheme := range []string{"https://", "http://", "oci://", "docker://"} {
		s = strings.TrimPrefix(s, scheme)
	}
	return s
}

// MatchesRepository reports whether a catalog repository is selected by a wildcard filter (path.Match:
// "*" does not cross "/").
func (f Filter) MatchesRepository(repo string) bool {
	if !f.Wildcard {
		return repo == f.Repository
	}
	ok, _ := path.Match(f.Repository, repo)
	return ok
}

// Excluded reports whether an exclude pattern (path.Match glob, or an exact string) names the image as
// repository, repository:tag, registry/repository or registry/repository:tag.
func (f Filter) Excluded(img Image) bool {
	names := []string{img.Repository, img.Repository + ":" + img.Tag,
		img.Registry + "/" + img.Repository, img.Registry + "/" + img.Repository + ":" + img.Tag}
	for _, e := range f.Exclude {
		for _, n := range names {
			if ok, _ := path.Match(e, n); ok || e == n {
				return true
			}
		}
	}
	return false
}

// ExcludesRepository reports whether an exclude pattern names the whole repository (as repository or
// registry/repository), so it need not be listed at all.
func (f Filter) ExcludesRepository(repo string) bool {
	for _, e := range f.Exclude {
		for _, n := range []string{repo, f.Registry + "/" + repo} {
			if ok, _ := path.Match(e, n); ok || e == n {
				return true
			}
		}
	}
	return false
}

// TagSelected applies the tag rules: an explicit filter tag selects only itself; otherwise every tag
// passes when there are no version constraints, and only semver tags satisfying one of them when there are.
func (f Filter) TagSelected(tag string) bool {
	if f.Tag != "" {
		return tag == f.Tag
	}
	if len(f.Versions) == 0 {
		return true
	}
	v, ok := ParseVersion(tag)
	if !ok {
		return false
	}
	for _, c := range f.Versions {
		if c.Match(v) {
			return true
		}
	}
	return false
}

// Select returns the images of repo whose tags pass TagSelected and are not excluded, newest first.
func (f Filter) Select(repo string, tags []string) []Image {
	var out []Image
	for _, t := range tags {
		img := Image{Registry: f.Registry, Repository: repo, Tag: t}
		if f.TagSelected(t) && !f.Excluded(img) {
			out = append(out, img)
		}
	}
	SortImages(out)
	return out
}

// SortImages orders by repository, then by tag with semver tags first, newest first, then other tags
// alphabetically; so a maxModels cap keeps the newest versions.
func SortImages(imgs []Image) {
	sort.SliceStable(imgs, func(i, j int) bool {
		a, b := imgs[i], imgs[j]
		if a.Registry != b.Registry {
			return a.Registry < b.Registry
		}
		if a.Repository != b.Repository {
			return a.Repository < b.Repository
		}
		va, okA := ParseVersion(a.Tag)
		vb, okB := ParseVersion(b.Tag)
		switch {
		case okA && okB:
			if c := va.Compare(vb); c != 0 {
				return c > 0
			}
			return a.Tag < b.Tag
		case okA != okB:
			return okA
		}
		return a.Tag < b.Tag
	})
}
