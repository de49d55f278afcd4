// Package importgraph guards the operator's dependency graph: the controller-runtime framework and the
// code generators must never be linked into anything under cmd/ or pkg/.
package importgraph

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// forbiddenModules must not appear in `go list -deps ./cmd/... ./pkg/...`. The generators live in the
// separate hack/tools module and run with `go tool -modfile=hack/tools/go.mod`.
var forbiddenModules = []string{
	"sigs.k8s.io/controller-runtime",
	"k8s.io/code-generator",
	"sigs.k8s.io/controller-tools",
}

// pkg is one line of `go list -deps`: a package and the module that provides it (empty for std).
type pkg struct {
	importPath string
	module     string
}

// violations returns one message per package that belongs to a forbidden module. The import path
// is checked as well as the module, so a package that could not be resolved to a module (for
// example not in go.mod) is still caught.
func violations(pkgs []pkg, forbidden []string) []string {
	var out []string
	for _, p := range pkgs {
		for _, f := range forbidden {
			if within(p.module, f) || within(p.importPath, f) {
				out = append(out, fmt.Sprintf("%s (module %q) is forbidden: %s", p.importPath, p.module, f))
			}
		}
	}
	return out
}

// within reports whether path is the module/package root or below it ("x/y" is within "x", "x-z" is not).
func within(path, root string) bool {
	return path == root || strings.HasPrefix(path, root+"/")
}

func TestViolationsDetectsForbiddenModules(t *testing.T) {
	pkgs := []pkg{
		{importPath: "fmt"},
		{importPath: "k8s.io/client-go/kubernetes", module: "k8s.io/client-go"},
		{importPath: "sigs.k8s.io/controller-runtime/pkg/client", module: "sigs.k8s.io/controller-runtime"},
		{importPath: "sigs.k8s.io/controller-tools/pkg/crd", module: "sigs.k8s.io/controller-tools"},
		// Not in go.mod: no module, but the import path still gives it away.
		{importPath: "k8s.io/code-generator/cmd/client-gen/types"},
		// A name that merely shares a prefix is fine.
		{importPath: "sigs.k8s.io/controller-runtime-extra/x", module: "sigs.k8s.io/controller-runtime-extra"},
	}
	got := violations(pkgs, forbiddenModules)
	if len(got) != 3 {
		t.Fatalf("want 3 violations, got %d: %q", len(got), got)
	}
	for i, want := range []string{"controller-runtime/pkg/client", "controller-tools/pkg/crd", "code-generator/cmd"} {
		if !strings.Contains(got[i], want) {
			t.Errorf("violation %d = %q, want it to mention %q", i, got[i], want)
		}
	}
}

func TestOperatorImportGraph(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not in PATH")
	}
	root := moduleRoot(t)
	pkgs := listDeps(t, root, "./cmd/...", "./pkg/...")

	for _, v := range violations(pkgs, forbiddenModules) {
		t.Error(v)
	}

	// Positive controls: the listing really covered the operator's packages and their dependencies.
	// Without them an empty or broken listing would pass silently.
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.importPath] = true
	}
	wants := []string{
		"github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1",
		"github.com/aimlite/aimlite/pkg/generated/clientset/versioned",
		"k8s.io/client-go/rest",
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "aimlite", "main.go")); err == nil {
		wants = append(wants, "github.com/aimlite/aimlite/cmd/aimlite")
	}
	for _, want := range wants {
		if !seen[want] {
			t.Errorf("%s missing from the dependency graph of ./cmd/... ./pkg/... (%d packages)", want, len(pkgs))
		}
	}
}

// TestOperatorDoesNotLinkOpenAPIModels keeps pkg/generated/openapi (about 1 MB of source: the AIM
// models plus all of core/v1, needed only by hack/openapi-schema at generation time) out of the
// binary.
func TestOperatorDoesNotLinkOpenAPIModels(t *testing.T) {
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "cmd")); err != nil {
		t.Skip("no cmd/ yet")
	}
	const models = "github.com/aimlite/aimlite/pkg/generated/openapi"
	for _, v := range violations(listDeps(t, root, "./cmd/..."), []string{models}) {
		t.Error(v)
	}
}

// listDeps runs `go list -deps` on the patterns whose directory exists; a directory without Go
// files yet (cmd/ early on) only makes go print a "matched no packages" warning.
func listDeps(t *testing.T, root string, patterns ...string) []pkg {
	t.Helper()
	var existing []string
	for _, p := range patterns {
		dir := filepath.Join(root, strings.TrimSuffix(p, "/..."))
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			existing = append(existing, p)
		}
	}
	if len(existing) == 0 {
		t.Fatalf("none of %v exists under %s", patterns, root)
	}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}\t{{with .Module}}{{.Path}}{{end}}"}, existing...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var out []pkg
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		path, mod, _ := strings.Cut(line, "\t")
		out = append(out, pkg{importPath: path, module: mod})
	}
	return out
}

// moduleRoot walks up from the test's directory to the main module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/aimlite/aimlite\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod of github.com/aimlite/aimlite not found above the test directory")
		}
		dir = parent
	}
}

// schemeOfEveryGroup are the packages that, once linked, pull in k8s.io/client-go/kubernetes/scheme and
// with it every k8s.io/api group (about 9 MB of the stripped binary): client-go's typed clientset, its
// discovery client (which the generated clientset, informers and apply configurations import), the
// informer factory (imported by dynamicinformer and metadatainformer), tools/events, tools/record and
// tools/leaderelection. The operator uses kubeclient, aimclient and its own recorder and elector instead.
var schemeOfEveryGroup = []string{
	"k8s.io/client-go/kubernetes",
	"k8s.io/client-go/discovery",
	"k8s.io/client-go/informers",
	"k8s.io/client-go/applyconfigurations",
	"k8s.io/client-go/dynamic/dynamicinformer",
	"k8s.io/client-go/metadata/metadatainformer",
	"k8s.io/client-go/tools/events",
	"k8s.io/client-go/tools/record",
	"k8s.io/client-go/tools/leaderelection",
	"github.com/aimlite/aimlite/pkg/generated/informers",
	"github.com/aimlite/aimlite/pkg/generated/applyconfiguration",
}

// apiGroupsUsed are the k8s.io/api packages the operator may link: the kinds it reads, watches or writes.
var apiGroupsUsed = map[string]bool{
	"k8s.io/api/core/v1": true, "k8s.io/api/batch/v1": true, "k8s.io/api/rbac/v1": true,
	"k8s.io/api/autoscaling/v2": true, "k8s.io/api/coordination/v1": true, "k8s.io/api/events/v1": true,
	"k8s.io/api/apps/v1":             true, // the Deployment inspector of pkg/statemachine/inspect
	"k8s.io/api/scheduling/v1alpha3": true, // imported by batch/v1 (a Job's workload reference)
}

func TestOperatorLinksOnlyTheAPIGroupsItUses(t *testing.T) {
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, "cmd", "aimlite")); err != nil {
		t.Skip("no cmd/aimlite yet")
	}
	pkgs := listDeps(t, root, "./cmd/aimlite")
	for _, v := range violations(pkgs, schemeOfEveryGroup) {
		t.Error(v)
	}
	const clientset = "github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	apiGroups := 0
	for _, p := range pkgs {
		// The generated clientset imports discovery; its scheme subpackage is fine (AIM kinds only).
		if p.importPath == clientset || within(p.importPath, clientset+"/typed") {
			t.Errorf("%s links client-go discovery; use pkg/aim/aimclient", p.importPath)
		}
		if within(p.importPath, "k8s.io/api") {
			apiGroups++
			if !apiGroupsUsed[p.importPath] {
				t.Errorf("%s is linked but not one of the API groups the operator uses", p.importPath)
			}
		}
	}
	if apiGroups == 0 { // positive control: the listing saw the operator's dependencies
		t.Fatalf("no k8s.io/api package among %d dependencies of ./cmd/aimlite", len(pkgs))
	}
}
