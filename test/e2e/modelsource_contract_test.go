package e2e

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func init() {
	register("ModelSourceRecreatesDeletedModel", modelSourceRecreatesDeletedModel)
	register("ModelSourcePullSecretStates", modelSourcePullSecretStates)
}

// serveRegistry starts an in-process OCI registry on loopback; with user set it requires basic auth.
func serveRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// notFalse expects condition typ to be absent or not False.
func notFalse(typ string) check {
	return func(u *U) error {
		if c := findCond(u, typ); c != nil && c.Status == "False" {
			return fmt.Errorf("condition %s = False/%s(%q)", typ, c.Reason, c.Message)
		}
		return nil
	}
}

// noModels expects status.discoveredModels to be 0 (omitted when zero).
func noModels(u *U) error {
	if d := field(u, "status", "discoveredModels"); d != "<none>" && d != "0" {
		return fmt.Errorf("status.discoveredModels = %s, want 0", d)
	}
	return nil
}

// The source owns and watches its generated AIMClusterModels, and every reconcile applies every listed
// image (aim-engine-behaviour §3.7): a deleted generated model comes back at once, long before the 1h
// sync interval.
func modelSourceRecreatesDeletedModel(t *testing.T, _ string) {
	if !wantOwnOperator() {
		t.Skip("the operator must reach the test's in-process registry on loopback (E2E_START_OPERATOR=1)")
	}
	host := serveRegistry(t, "", "")
	suffix := fmt.Sprintf("%05d", rand.IntN(100000))
	repo := "e2e/aim-back-" + suffix
	pushAIMImage(t, host, repo, "1.0.0", map[string]string{"org.opencontainers.image.title": "back"})

	src := "e2e-back-" + suffix
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModelSource
metadata:
  name: %s
spec:
  registry: "%s"
  syncInterval: 1h
  filters:
  - image: %s
`, src, host, repo)
	model := derivedName([]string{repo, "1.0.0"}, hashOf(6, host, repo, "1.0.0"), 63)
	source := waitFor(t, "AIMClusterModelSource", "", src, 60*time.Second, statusIs("Ready"),
		hasCond("FiltersReady", "True", "AllFiltersSucceeded", "All 1 filters succeeded"), fieldIs(1, "status", "discoveredModels"))
	first := waitFor(t, "AIMClusterModel", "", model, 30*time.Second, controlledBy(source))
	if err := res("AIMClusterModel", "").Delete(bg, model, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	waitFor(t, "AIMClusterModel", "", model, 30*time.Second, controlledBy(source),
		labelIs("aim.eai.amd.com/model-source", src), fieldIs(host+"/"+repo+":1.0.0", "spec", "image"),
		func(u *U) error {
			if u.GetUID() == first.GetUID() || u.GetDeletionTimestamp() != nil {
				return fmt.Errorf("still the deleted model %s", u.GetUID())
			}
			return nil
		})
	t.Logf("generated model recreated %s after its deletion", time.Since(t0).Round(100*time.Millisecond))
	waitFor(t, "AIMClusterModelSource", "", src, 10*time.Second, statusIs("Ready"), fieldIs(1, "status", "discoveredModels"),
		hasCond("MaxModelsLimitReached", "False", "WithinLimit", "Created 1 models, within limit"))
}

// Pull secrets (read in the operator namespace) never produce reasons of their own: FiltersReady is only
// NoFilters / AllFiltersSucceeded / SomeFiltersFailed / AllFiltersFailed (catalogue §2.13), explicit
// states with no ConfigValid or DependenciesReachable failure. A missing secret is skipped (the registry
// is read anonymously, so a private registry fails every filter); a malformed one fails every filter; with
// the right secret the same source turns Ready. Events are the condition events (§5).
func modelSourcePullSecretStates(t *testing.T, _ string) {
	if !wantOwnOperator() {
		t.Skip("the operator must reach the test's in-process registry on loopback (E2E_START_OPERATOR=1)")
	}
	host := serveRegistry(t, "robot", "s3cret")
	suffix := fmt.Sprintf("%05d", rand.IntN(100000))
	repo := "e2e/aim-private-" + suffix
	ref, err := name.NewTag(host + "/" + repo + ":1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, empty.Image, remote.WithAuth(&authn.Basic{Username: "robot", Password: "s3cret"})); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}

	sysNS := systemNamespace()
	ensureNamespace(t, sysNS)
	secret, bad := "e2e-regcred-"+suffix, "e2e-badcred-"+suffix
	mkSecret := func(name, data string) {
		t.Helper()
		if _, err := env.Client.CoreV1().Secrets(sysNS).Create(bg, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name},
			Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(data)}},
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Client.CoreV1().Secrets(sysNS).Delete(bg, name, metav1.DeleteOptions{}) })
	}
	allFailed := []check{statusIs("Failed"),
		hasCond("FiltersReady", "False", "AllFiltersFailed", "All 1 filters failed"),
		hasCond("Ready", "False", "AllFiltersFailed", "Component Filters is not ready: All 1 filters failed"),
		notFalse("ConfigValid"), notFalse("DependenciesReachable"), noModels}

	// Missing secret: anonymous read, refused.
	missing := "e2e-nosecret-" + suffix
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModelSource
metadata:
  name: %s
spec:
  registry: "%s"
  imagePullSecrets: [{name: %s}]
  filters:
  - image: %s
`, missing, host, secret, repo)
	u := waitFor(t, "AIMClusterModelSource", "", missing, 60*time.Second, allFailed...)
	if field(u, "status", "lastSyncTime") == "<none>" {
		t.Errorf("lastSyncTime not set after the anonymous sync")
	}
	waitFor(t, "AIMClusterModelSource", "", missing, 30*time.Second,
		eventCheck("", missing, "Warning", "AllFiltersFailed", "aim-cluster-model-source-controller"))

	// Malformed secret (valid JSON, as the API server requires, but not a docker config): every filter fails.
	mkSecret(bad, `{"auths":"x"}`)
	malformed := "e2e-badsecret-" + suffix
	create(t, "", `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModelSource
metadata:
  name: %s
spec:
  registry: "%s"
  imagePullSecrets: [{name: %s}]
  filters:
  - image: %s
`, malformed, host, bad, repo)
	waitFor(t, "AIMClusterModelSource", "", malformed, 60*time.Second, allFailed...)

	// The secret appears; a spec change syncs now (secrets are not watched) and authenticates.
	mkSecret(secret, fmt.Sprintf(`{"auths":{%q:{"username":"robot","password":"s3cret"}}}`, host))
	if _, err := res("AIMClusterModelSource", "").Patch(bg, missing, types.MergePatchType,
		[]byte(`{"spec":{"maxModels":5}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "AIMClusterModelSource", "", missing, 60*time.Second, statusIs("Ready"),
		hasCond("FiltersReady", "True", "AllFiltersSucceeded", "All 1 filters succeeded"), fieldIs(1, "status", "discoveredModels"))
	for _, n := range []string{missing, malformed} {
		evs, err := env.Client.CoreV1().Events("").List(bg, metav1.ListOptions{FieldSelector: "involvedObject.name=" + n})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs.Items {
			if e.Reason == "FilterFailed" || e.Reason == "SecretNotFound" || e.Reason == "InvalidPullSecret" {
				t.Errorf("event outside the contract on %s: %s %q", n, e.Reason, e.Message)
			}
		}
	}
}
