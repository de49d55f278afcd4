package apiintegration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
)

// minInvalidSamples is the floor promised for config/samples/invalid: every CEL rule, enum and
// required field is exercised at least once.
const minInvalidSamples = 20

// extraInvalidDir holds one more invalid manifest per enum and required field that
// config/samples/invalid does not exercise, in the same layout.
const extraInvalidDir = "testdata/invalid"

// TestInvalidSamples sends every config/samples/invalid (and testdata/invalid) manifest as written
// (unstructured, so empty values survive) and checks that the apiserver rejects it as Invalid with
// the announced message. A manifest with `# update-of: <base>` is an update: the base is created
// first and must be accepted.
func TestInvalidSamples(t *testing.T) {
	cfg := restConfig(t)
	files := globSorted(t, filepath.Join(samplesDir, "invalid", "*.yaml"))
	if len(files) < minInvalidSamples {
		t.Errorf("%d invalid samples, want at least %d", len(files), minInvalidSamples)
	}
	files = append(files, globSorted(t, filepath.Join(extraInvalidDir, "*.yaml"))...)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resources := crdResources(t)
	ns := env.Namespace(t)
	messages := map[string][]string{} // kind -> rejection messages
	for _, f := range files {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(f, "../../"), ".yaml"), func(t *testing.T) {
			if kind, msg := checkRejected(t, dyn, resources, ns, f); msg != "" {
				messages[kind] = append(messages[kind], msg)
			}
		})
	}

	// Every CEL rule, enum and required field of the AIM types is exercised: the apiserver's actual
	// rejections, not just the expect lines, must contain each.
	if missing := uncoveredCEL(celMessages(t), messages); len(missing) > 0 {
		t.Errorf("%d CEL rules are not triggered by any invalid sample:\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
	if missing := uncoveredRules(schemaChecks(t), messages); len(missing) > 0 {
		t.Errorf("%d of the enum/required rules are not exercised by any invalid sample:\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
}

// checkRejected sends one invalid manifest and returns its kind and the apiserver's error message.
func checkRejected(t *testing.T, dyn dynamic.Interface, resources map[string]crdResource, ns, path string) (string, string) {
	ctx := context.Background()
	m := readManifest(t, path)
	if m.expect == "" {
		t.Fatalf("%s: first line must be `# expect: <message substring>`", path)
	}
	// Unknown fields would be pruned, not rejected: each manifest must be a well-formed object
	// with exactly one broken rule.
	if !m.untyped {
		toTyped(t, m.obj.DeepCopy())
	}
	kind, name := m.obj.GetKind(), m.obj.GetName()
	r, ok := resources[kind]
	if !ok {
		t.Fatalf("%s: kind %q has no CRD in %s", path, kind, crdDir)
	}
	objNS := ""
	if r.namespaced {
		objNS = ns
	} else {
		name += runSuffix
		m.obj.SetName(name)
	}
	client := dyn.Resource(r.gvr).Namespace(objNS)
	m.obj.SetNamespace(objNS)
	// Samples of one kind share names, so each starts from a clean slate and cleans up after itself.
	cleanup := func(ctx context.Context) error { return client.Delete(ctx, name, metav1.DeleteOptions{}) }
	ensureGone(t, func(ctx context.Context) error { _, err := client.Get(ctx, name, metav1.GetOptions{}); return err }, cleanup)
	t.Cleanup(func() {
		if err := cleanup(context.Background()); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete %s %s: %v", kind, name, err)
		}
	})

	var err error
	if m.updateOf != "" {
		base := readManifest(t, m.updateOf)
		if base.obj.GetKind() != kind || base.obj.GetName() != strings.TrimSuffix(name, runSuffix) {
			t.Fatalf("update-of %s is %s/%s, want %s/%s", m.updateOf, base.obj.GetKind(), base.obj.GetName(), kind, name)
		}
		base.obj.SetNamespace(objNS)
		base.obj.SetName(name)
		created, cerr := client.Create(ctx, base.obj, metav1.CreateOptions{})
		if cerr != nil {
			t.Fatalf("create the update-of base %s: %v", m.updateOf, cerr)
		}
		m.obj.SetResourceVersion(created.GetResourceVersion())
		_, err = client.Update(ctx, m.obj, metav1.UpdateOptions{})
	} else {
		_, err = client.Create(ctx, m.obj, metav1.CreateOptions{})
	}

	op := "create"
	if m.updateOf != "" {
		op = "update"
	}
	switch {
	case err == nil:
		t.Errorf("%s: %s was accepted; want it rejected with %q", path, op, m.expect)
	case !apierrors.IsInvalid(err):
		t.Errorf("%s: %s failed for another reason than validation (want Invalid with %q): %v", path, op, m.expect, err)
	case !strings.Contains(err.Error(), m.expect):
		t.Errorf("%s: %s rejected, but the message does not contain %q:\n%v", path, op, m.expect, err)
	}
	if err == nil {
		return kind, ""
	}
	return kind, err.Error()
}
