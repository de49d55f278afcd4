package registry

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestParseFilter(t *testing.T) {
	cases := []struct {
		image, defReg       string
		registry, repo, tag string
		wildcard            bool
		err                 string
	}{
		{image: "silogen/aim-*", defReg: "ghcr.io", registry: "ghcr.io", repo: "silogen/aim-*", wildcard: true},
		{image: "silogen/aim-llama", registry: "docker.io", repo: "silogen/aim-llama"},
		{image: "ghcr.io/silogen/aim-llama", defReg: "docker.io", registry: "ghcr.io", repo: "silogen/aim-llama"},
		{image: "ghcr.io/silogen/aim-llama:0.8.5", registry: "ghcr.io", repo: "silogen/aim-llama", tag: "0.8.5"},
		{image: "silogen/aim-llama:0.8.5", defReg: "quay.io", registry: "quay.io", repo: "silogen/aim-llama", tag: "0.8.5"},
		{image: "localhost:5000/a/b:1", registry: "localhost:5000", repo: "a/b", tag: "1"},
		{image: "localhost/a/b", registry: "localhost", repo: "a/b"},
		{image: "ubuntu:22.04", registry: "docker.io", repo: "ubuntu", tag: "22.04"},
		{image: "docker://ghcr.io/x/y", registry: "ghcr.io", repo: "x/y"},
		{image: "x/y", defReg: "https://quay.io/", registry: "quay.io", repo: "x/y"},
		{image: "127.0.0.1:5000/team/*", registry: "127.0.0.1:5000", repo: "team/*", wildcard: true},
		{image: "ghcr.io/x/y@sha256:abc", err: "digest"},
		{image: "x/y:", err: "empty tag"},
		{image: "ghcr.io/", err: "no repository"},
		{image: "x/[a", err: "bad pattern"},
		{image: "x/*:1.*", err: "wildcard tags"},
	}
	for _, c := range cases {
		f, err := ParseFilter(c.image, c.defReg, nil, nil)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseFilter(%q) error = %v, want %q", c.image, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", c.image, err)
			continue
		}
		if f.Registry != c.registry || f.Repository != c.repo || f.Tag != c.tag || f.Wildcard != c.wildcard {
			t.Errorf("ParseFilter(%q) = {%s %s %s %v}, want {%s %s %s %v}", c.image,
				f.Registry, f.Repository, f.Tag, f.Wildcard, c.registry, c.repo, c.tag, c.wildcard)
		}
	}
	if _, err := ParseFilter("x/y", "", nil, []string{">=1", "nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("bad constraint: %v", err)
	}
	if _, err := ParseFilter("x/y", "", []string{"[x"}, nil); err == nil || !strings.Contains(err.Error(), "exclude") {
		t.Errorf("bad exclude: %v", err)
	}
}

func TestImageURI(t *testing.T) {
	cases := map[Image]string{
		{Registry: "docker.io", Repository: "silogen/a", Tag: "1"}: "silogen/a:1",
		{Registry: "", Repository: "silogen/a", Tag: "1"}:          "silogen/a:1",
		{Registry: "ghcr.io", Repository: "silogen/a", Tag: "1"}:   "ghcr.io/silogen/a:1",
	}
	for img, want := range cases {
		if got := img.URI(); got != want {
			t.Errorf("%+v.URI() = %q, want %q", img, got, want)
		}
	}
}

func TestSelect(t *testing.T) {
	tags := []string{"latest", "0.8.4", "0.8.5", "0.9.0-rc.1", "0.9.0", "1.0.0", "v0.8.6", "dev"}
	cases := []struct {
		name     string
		image    string
		exclude  []string
		versions []string
		want     []string // tags, in order
	}{
		{name: "no constraints: all tags, semver newest first then others", image: "s/a",
			want: []string{"1.0.0", "0.9.0", "0.9.0-rc.1", "v0.8.6", "0.8.5", "0.8.4", "dev", "latest"}},
		{name: ">=0.8.5", image: "s/a", versions: []string{">=0.8.5"},
			want: []string{"1.0.0", "0.9.0", "v0.8.6", "0.8.5"}},
		{name: "pre-release asked for", image: "s/a", versions: []string{">=0.9.0-rc.1"}, want: []string{"1.0.0", "0.9.0", "0.9.0-rc.1"}},
		{name: "range AND", image: "s/a", versions: []string{">=0.8.5, <0.9"}, want: []string{"v0.8.6", "0.8.5"}},
		{name: "list is OR", image: "s/a", versions: []string{"0.8.4", "1.0.0"}, want: []string{"1.0.0", "0.8.4"}},
		{name: "tilde", image: "s/a", versions: []string{"~0.8.5"}, want: []string{"v0.8.6", "0.8.5"}},
		{name: "explicit tag ignores versions", image: "s/a:latest", versions: []string{">=1"}, want: []string{"latest"}},
		{name: "explicit tag absent", image: "s/a:9.9.9", want: nil},
		{name: "exclude tag", image: "s/a", exclude: []string{"s/a:dev", "s/a:latest"},
			want: []string{"1.0.0", "0.9.0", "0.9.0-rc.1", "v0.8.6", "0.8.5", "0.8.4"}},
		{name: "exclude tag glob", image: "s/a", exclude: []string{"*/*:*-rc*", "s/a:0.8*", "s/*:v*"},
			want: []string{"1.0.0", "0.9.0", "dev", "latest"}},
		{name: "exclude repository", image: "s/a", exclude: []string{"s/a"}, want: nil},
		{name: "exclude full uri", image: "ghcr.io/s/a", exclude: []string{"ghcr.io/s/a:1.0.0"}, versions: []string{">=0.9.0"},
			want: []string{"0.9.0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := ParseFilter(c.image, "", c.exclude, c.versions)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, img := range f.Select(f.Repository, tags) {
				got = append(got, img.Tag)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// fakeClient serves a static registry and counts calls.
type fakeClient struct {
	repos     map[string][]string // "registry/repo" → tags
	noCatalog bool
	failRepo  string
	catalogs  atomic.Int32
	tagLists  atomic.Int32
	lastKC    authn.Keychain
}

func (f *fakeClient) Tags(_ context.Context, reg, repo string, kc authn.Keychain) ([]string, error) {
	f.tagLists.Add(1)
	f.lastKC = kc
	if repo == f.failRepo {
		return nil, errors.New("boom")
	}
	tags, ok := f.repos[reg+"/"+repo]
	if !ok {
		return nil, errors.New("NAME_UNKNOWN")
	}
	return tags, nil
}

func (f *fakeClient) Catalog(_ context.Context, reg string, _ authn.Keychain) ([]string, error) {
	f.catalogs.Add(1)
	if f.noCatalog {
		return nil, errors.New("UNSUPPORTED")
	}
	var out []string
	for k := range f.repos {
		if r, ok := strings.CutPrefix(k, reg+"/"); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func uris(imgs []Image) []string {
	var out []string
	for _, i := range imgs {
		out = append(out, i.URI())
	}
	return out
}

func TestListerWildcard(t *testing.T) {
	fc := &fakeClient{repos: map[string][]string{
		"r.io/team/aim-b":     {"1.0.0", "0.1.0"},
		"r.io/team/aim-a":     {"2.0.0"},
		"r.io/team/other":     {"1.0.0"},
		"r.io/team/sub/aim-c": {"1.0.0"},
		"q.io/team/aim-z":     {"1.0.0"},
	}}
	l := &Lister{Client: fc}
	f, _ := ParseFilter("r.io/team/aim-*", "", nil, []string{">=1"})
	imgs, err := l.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"r.io/team/aim-a:2.0.0", "r.io/team/aim-b:1.0.0"}
	if got := uris(imgs); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// The catalog is read once per registry and sync.
	f2, _ := ParseFilter("r.io/team/o*", "", nil, nil)
	if _, err := l.List(context.Background(), f2); err != nil {
		t.Fatal(err)
	}
	if n := fc.catalogs.Load(); n != 1 {
		t.Errorf("catalog calls = %d, want 1", n)
	}
	// A repository excluded as a whole is not even listed.
	lists := fc.tagLists.Load()
	f3, _ := ParseFilter("r.io/team/aim-*", "", []string{"team/aim-a", "r.io/team/aim-b"}, nil)
	imgs, err = l.List(context.Background(), f3)
	if err != nil || len(imgs) != 0 || fc.tagLists.Load() != lists {
		t.Errorf("excluded repositories: %v %v, %d tag lists", uris(imgs), err, fc.tagLists.Load()-lists)
	}
}

func TestListerErrors(t *testing.T) {
	fc := &fakeClient{repos: map[string][]string{"r.io/t/a": {"1"}, "r.io/t/b": {"2"}}, failRepo: "t/b"}
	f, _ := ParseFilter("r.io/t/*", "", nil, nil)
	imgs, err := (&Lister{Client: fc}).List(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 repositories failed") {
		t.Errorf("partial failure error = %v", err)
	}
	if got := uris(imgs); !reflect.DeepEqual(got, []string{"r.io/t/a:1"}) {
		t.Errorf("partial results = %v", got)
	}

	fc.noCatalog = true
	if _, err := (&Lister{Client: fc}).List(context.Background(), f); err == nil {
		t.Error("wildcard without catalog succeeded")
	}
	one, _ := ParseFilter("r.io/t/a", "", nil, nil)
	if imgs, err := (&Lister{Client: fc}).List(context.Background(), one); err != nil || len(imgs) != 1 {
		t.Errorf("plain repository without catalog: %v %v", imgs, err)
	}
	missing, _ := ParseFilter("r.io/t/zzz", "", nil, nil)
	if _, err := (&Lister{Client: fc}).List(context.Background(), missing); err == nil {
		t.Error("missing repository succeeded")
	}
}
