// Package optionalkind checks pkg/controller's optional kinds on a real control
// plane started without the KServe CRD: the controller runs, reports the kind
// unavailable, and picks it up without a restart once the CRD is installed.
package optionalkind

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"

	"github.com/aimlite/aimlite/internal/testenv"
	"github.com/aimlite/aimlite/pkg/controller"
)

var env = testenv.New(testenv.Options{NoTestCRDs: true})

func TestMain(m *testing.M) { env.Main(m) }

var isvcGVR = schema.GroupVersionResource{Group: "serving.kserve.io", Version: "v1beta1", Resource: "inferenceservices"}

func TestOptionalKindAppearsWithoutRestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns := env.Namespace(t)
	cm, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "primary", Labels: map[string]string{"test": "primary"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	primaryKey := controller.NewKey(ns, "primary")

	disco, err := controller.NewResourceDiscoverer(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := metadata.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	kind := controller.NewOptionalKind(isvcGVR, controller.OptionalKindOptions{
		NewInformer: controller.DynamicInformer(env.Dynamic, isvcGVR, controller.CacheOptions{Namespace: ns, Transform: controller.StripTransform()}),
		Discovery:   disco,
		// Only the CRD watch can make it appear within the test's time.
		PollInterval: time.Hour,
	})
	crdInf := controller.NewMetadataInformer(meta, schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, controller.CacheOptions{})
	if err := controller.WatchCRDs(crdInf, kind); err != nil {
		t.Fatal(err)
	}

	reconciled := make(chan controller.Key, 100)
	var sawUnavailable, sawAvailable atomic.Bool
	c, err := controller.New(controller.Options{Name: "optional-test", Reconcile: func(_ context.Context, k controller.Key) (controller.Result, error) {
		if kind.Available() {
			sawAvailable.Store(true)
		} else {
			sawUnavailable.Store(true) // a real reconciler reports a condition here
		}
		reconciled <- k
		return controller.Result{}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	f := informers.NewSharedInformerFactoryWithOptions(env.Client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(controller.WithLabelSelector("test=primary")))
	if err := c.For(f.Core().V1().ConfigMaps().Informer(), schema.GroupKind{Kind: "ConfigMap"}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.OwnsOptional(kind); err != nil {
		t.Fatal(err)
	}
	mgr := controller.NewManager()
	mgr.Add(c)
	mgr.AddInformerFactory(f)
	mgr.AddInformer(crdInf)
	mgr.AddOptional(kind)
	done := make(chan error, 1)
	go func() { done <- mgr.Run(ctx) }()

	expect := func(what string) {
		t.Helper()
		select {
		case k := <-reconciled:
			if k != primaryKey {
				t.Fatalf("%s: reconciled %v", what, k)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no reconcile", what)
		}
	}
	expect("initial reconcile")
	time.Sleep(time.Second)
	if kind.Available() || kind.Informer() != nil || !sawUnavailable.Load() {
		t.Fatal("kind available although its CRD is not installed")
	}
	if !mgr.HasSynced() {
		t.Fatal("manager not synced while the optional kind is missing")
	}

	installed := time.Now()
	if err := env.InstallCRDs(ctx, filepath.Join(env.TestCRDsDir(), "serving.kserve.io_inferenceservices.yaml")); err != nil {
		t.Fatal(err)
	}
	expect("re-enqueue when the kind appears")
	t.Logf("optional kind available %.1f s after its CRD was installed", time.Since(installed).Seconds())
	if !kind.Available() || !sawAvailable.Load() {
		t.Fatal("reconciled after the kind appeared, but Available() is false")
	}

	// Its events now reach the owner.
	isvc := &unstructured.Unstructured{}
	isvc.SetAPIVersion("serving.kserve.io/v1beta1")
	isvc.SetKind("InferenceService")
	isvc.SetName("child")
	yes := true
	isvc.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID, Controller: &yes}})
	if _, err := env.Dynamic.Resource(isvcGVR).Namespace(ns).Create(ctx, isvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("owned InferenceService created")
	if _, ok, _ := kind.Informer().GetIndexer().GetByKey(ns + "/child"); !ok {
		t.Fatal("InferenceService not in the optional cache")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
