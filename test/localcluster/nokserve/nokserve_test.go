// Package nokserve checks testenv.Options.NoTestCRDs: the cluster starts without the KServe and Gateway
// API stand-in CRDs, and a test can install them later.
package nokserve

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aimlite/aimlite/internal/testenv"
)

var env = testenv.New(testenv.Options{NoTestCRDs: true})

func TestMain(m *testing.M) { env.Main(m) }

func TestKServeAbsentThenInstalled(t *testing.T) {
	env.RequireLocal(t) // an external cluster may well have KServe
	ctx := context.Background()
	ns := env.Namespace(t)
	isvc := schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}
	if _, err := env.Client.Discovery().ServerResourcesForGroupVersion("serving.kserve.io/v1beta1"); !apierrors.IsNotFound(err) {
		t.Fatalf("KServe API should be absent, discovery said: %v", err)
	}
	if _, err := env.Dynamic.Resource(isvc).Namespace(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("listing InferenceServices: want NotFound, got %v", err)
	}
	if err := env.InstallCRDs(ctx, env.TestCRDsDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Dynamic.Resource(isvc).Namespace(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("after install: %v", err)
	}
}
