package leaderelection

import (
	"context"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
)

// TestNamespaceList runs aimlite with --namespace=<a>,<b>: models in both get their template, a model in
// a third namespace is never seen (the cache holds only the listed namespaces).
func TestNamespaceList(t *testing.T) {
	ctx := context.Background()
	a, b, c := env.Namespace(t), env.Namespace(t), env.Namespace(t)
	bin := buildBinary(t)
	p := start(t, bin, "scoped", a, "--namespace="+a+","+b)
	waitUntil(t, 30*time.Second, "the operator to be ready", func() bool {
		code, _ := p.get("/readyz")
		return code == http.StatusOK
	})
	client, err := versioned.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	templates := func(ns string) int {
		l, err := client.AimV1alpha1().AIMServiceTemplates(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	for _, ns := range []string{c, a, b} {
		createModelWithOneTemplate(ctx, t, ns)
	}
	for _, ns := range []string{a, b} {
		waitUntil(t, 30*time.Second, "a template in watched namespace "+ns, func() bool { return templates(ns) == 1 })
	}
	// The model in c was created first; a and b converged, so c would have been handled by now.
	time.Sleep(2 * time.Second)
	if n := templates(c); n != 0 {
		t.Fatalf("%d templates in unwatched namespace %s", n, c)
	}
	m, err := client.AimV1alpha1().AIMModels(c).Get(ctx, "metrics-model", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Status.Conditions) != 0 || len(m.Finalizers) != 0 {
		t.Fatalf("model in unwatched namespace %s was touched: finalizers %v, conditions %v", c, m.Finalizers, m.Status.Conditions)
	}
}
