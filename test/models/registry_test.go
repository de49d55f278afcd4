package models

import (
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

const regUser, regPass = "puller", "s3cret"

// basicAuth guards every registry call with a Basic challenge, like a private registry.
func basicAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != regUser || p != regPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// pushAIMImage pushes an image whose config carries AIM labels and returns its reference.
func pushAIMImage(t *testing.T, host, repo string, auth authn.Authenticator) string {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{Architecture: "amd64", OS: "linux", Config: v1.Config{Labels: map[string]string{
		"com.amd.aim.model.canonicalName":          "org/" + repo,
		"com.amd.aim.model.recommendedDeployments": `[{"gpuModel":"MI300X","gpuCount":1,"metric":"latency","precision":"fp8"}]`,
		"org.opencontainers.image.version":         "1.0.0",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("%s/aim/%s:1.0.0", host, repo)
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuth(auth)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return ref
}

// Image metadata is read from the image's OCI config labels in a real registry (go-containerregistry's
// in-process registry), anonymously and with the model's pull secret; it is cached in status and
// templates are generated from it. A private image without a secret leaves the model Degraded.
func TestImageMetadataFromRegistry(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	quiet := registry.Logger(log.New(io.Discard, "", 0))
	open := httptest.NewServer(registry.New(quiet))
	defer open.Close()
	private := httptest.NewServer(basicAuth(registry.New(quiet)))
	defer private.Close()
	openHost := strings.TrimPrefix(open.URL, "http://")
	privHost := strings.TrimPrefix(private.URL, "http://")
	openRef := pushAIMImage(t, openHost, "public", authn.Anonymous)
	privRef := pushAIMImage(t, privHost, "private", &authn.Basic{Username: regUser, Password: regPass})

	auth := base64.StdEncoding.EncodeToString([]byte(regUser + ":" + regPass))
	create(t, op.kube.CoreV1().Secrets(ns).Create, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pull", Namespace: ns},
		Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"` + privHost + `":{"auth":"` + auth + `"}}}`)}})

	models := map[string]*aimv1.AIMModel{
		"public":   {ObjectMeta: metav1.ObjectMeta{Name: "public", Namespace: ns}, Spec: aimv1.AIMModelSpec{Image: openRef}},
		"private":  {ObjectMeta: metav1.ObjectMeta{Name: "private", Namespace: ns}, Spec: aimv1.AIMModelSpec{Image: privRef, ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}}}},
		"nosecret": {ObjectMeta: metav1.ObjectMeta{Name: "nosecret", Namespace: ns}, Spec: aimv1.AIMModelSpec{Image: privRef}},
		"missing-secret": {ObjectMeta: metav1.ObjectMeta{Name: "missing-secret", Namespace: ns},
			Spec: aimv1.AIMModelSpec{Image: privRef, ImagePullSecrets: []corev1.LocalObjectReference{{Name: "absent"}}}},
	}
	for _, m := range models {
		create(t, op.client.AimV1alpha1().AIMModels(ns).Create, m)
	}
	for _, n := range []string{"public", "private"} {
		m := waitModel(t, ns, n, "Ready", 90*time.Second)
		md := m.Status.ImageMetadata
		if md == nil || md.Model == nil || md.Model.CanonicalName != "org/"+n || len(md.Model.RecommendedDeployments) != 1 || md.OCI == nil || md.OCI.Version != "1.0.0" {
			t.Errorf("%s: metadata %+v", n, md)
		}
		if c := cond(m.Status.Conditions, "ImageMetadataReady"); c == nil || c.Reason != "ImageMetadataFound" {
			t.Errorf("%s: ImageMetadataReady %s", n, condStr(c))
		}
		list, _ := op.client.AimV1alpha1().AIMServiceTemplates(ns).List(bg, metav1.ListOptions{LabelSelector: "aim.eai.amd.com/model=" + n})
		if len(list.Items) != 1 {
			t.Errorf("%s: %d templates", n, len(list.Items))
		}
	}
	m := waitModel(t, ns, "nosecret", "Degraded", 30*time.Second)
	if c := cond(m.Status.Conditions, "ImageMetadataReady"); c == nil || c.Status != "False" || c.Reason != "UnknownError" ||
		!strings.Contains(c.Message, "failed to fetch image") {
		t.Errorf("nosecret: ImageMetadataReady %s", condStr(c))
	}
	m = waitModel(t, ns, "missing-secret", "Failed", 30*time.Second)
	if c := cond(m.Status.Conditions, "ImageMetadataReady"); c == nil || c.Reason != "SecretNotFound" ||
		c.Message != fmt.Sprintf("imagePullSecret %q not found in namespace %q", "absent", ns) {
		t.Errorf("missing-secret: ImageMetadataReady %s", condStr(c))
	}
}
