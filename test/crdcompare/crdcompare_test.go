package crdcompare

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// contractDir holds a verbatim copy of the contract CRDs (MIT, see LICENSE-aim-engine there);
// AIMLITE_CONTRACT_CRDS points the test at another copy.
func contractDir() string {
	if d := os.Getenv("AIMLITE_CONTRACT_CRDS"); d != "" {
		return d
	}
	return filepath.Join("testdata", "contract")
}

const generatedDir = "../../manifests/crds"

func load(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func crdFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "aim.eai.amd.com_*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range m {
		out = append(out, filepath.Base(f))
	}
	sort.Strings(out)
	return out
}

// TestGeneratedCRDsMatchContract is the wire-compatibility gate: every generated CRD must equal
// its contract CRD structurally, except for differences listed with a reason in allowlist.txt.
func TestGeneratedCRDsMatchContract(t *testing.T) {
	f, err := os.Open("allowlist.txt")
	if err != nil {
		t.Fatal(err)
	}
	allow, err := ParseAllowList(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	allowed := map[string]AllowEntry{}
	for _, e := range allow {
		allowed[e.Key()] = e
	}

	want, got := crdFiles(t, contractDir()), crdFiles(t, generatedDir)
	if len(want) != 10 {
		t.Fatalf("expected the 10 contract CRDs in %s, found %d", contractDir(), len(want))
	}
	if strings.Join(want, ",") != strings.Join(got, ",") {
		t.Fatalf("CRD file names differ:\ncontract:  %v\ngenerated: %v", want, got)
	}

	total, normalized, failures := 0, 0, 0
	for _, name := range want {
		r := Compare(load(t, filepath.Join(contractDir(), name)), load(t, filepath.Join(generatedDir, name)))
		total += r.PathsCompared
		normalized += r.EnumsNormalized
		for _, d := range r.Differences {
			key := name + " " + d.Path + " " + d.What
			if _, ok := allowed[key]; ok {
				used[key] = true
				continue
			}
			failures++
			t.Errorf("%s %s", name, d)
		}
		t.Logf("%s: %d schema paths compared, %d differences", name, r.PathsCompared, len(r.Differences))
	}
	for _, e := range allow {
		if !used[e.Key()] {
			t.Errorf("allowlist.txt line %d matches no difference (stale entry): %s", e.Line, e.Key())
		}
	}
	t.Logf("compared %d schema paths in %d CRDs (%d enums compared by effective value set); %d allowed differences, %d unexpected",
		total, len(want), normalized, len(used), failures)
	if total < 1000 {
		t.Errorf("only %d schema paths compared; the walk is not reaching the schemas", total)
	}
}
