package wiring

import (
	"context"
	"errors"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	listers "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

func TestReconcileNamespaced(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	if err := idx.Add(&aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "svc"}}); err != nil {
		t.Fatal(err)
	}
	lister := listers.NewAIMServiceLister(idx)
	var ran []string
	run := func(_ context.Context, s *aimv1.AIMService) (statemachine.Result, error) {
		ran = append(ran, s.Name)
		return statemachine.Result{RequeueAfter: time.Minute}, nil
	}
	ctx := context.Background()

	// Gone from the cache: nothing to do, no error, the pipeline does not run.
	res, err := ReconcileNamespaced(lister.AIMServices, nil, run)(ctx, controller.Key{Namespace: "ns", Name: "gone"})
	if err != nil || res != (controller.Result{}) || len(ran) != 0 {
		t.Fatalf("missing object: %+v %v ran=%v", res, err, ran)
	}
	// Present: the engine's result is handed to the queue.
	res, err = ReconcileNamespaced(lister.AIMServices, nil, run)(ctx, controller.Key{Namespace: "ns", Name: "svc"})
	if err != nil || res.RequeueAfter != time.Minute || len(ran) != 1 {
		t.Fatalf("present object: %+v %v ran=%v", res, err, ran)
	}
	// A finalizer that handled the object stops before the pipeline, passing its error on.
	boom := errors.New("cleanup failed")
	stop := func(context.Context, metav1.Object) (bool, error) { return true, boom }
	res, err = ReconcileNamespaced(lister.AIMServices, stop, run)(ctx, controller.Key{Namespace: "ns", Name: "svc"})
	if !errors.Is(err, boom) || res != (controller.Result{}) || len(ran) != 1 {
		t.Fatalf("finalizer done: %+v %v ran=%v", res, err, ran)
	}
}

func TestReconcileClusterPassesCacheErrors(t *testing.T) {
	broken := errors.New("cache broken")
	get := func(string) (*aimv1.AIMClusterModel, error) { return nil, broken }
	run := func(context.Context, *aimv1.AIMClusterModel) (statemachine.Result, error) {
		t.Fatal("pipeline must not run")
		return statemachine.Result{}, nil
	}
	if _, err := ReconcileCluster(get, nil, run)(context.Background(), controller.Key{Name: "m"}); !errors.Is(err, broken) {
		t.Fatalf("err = %v, want the cache error", err)
	}
	notFound := func(string) (*aimv1.AIMClusterModel, error) {
		return nil, apierrors.NewNotFound(aimv1.Resource("aimclustermodels"), "m")
	}
	if _, err := ReconcileCluster(notFound, nil, run)(context.Background(), controller.Key{Name: "m"}); err != nil {
		t.Fatalf("not found: err = %v", err)
	}
}
