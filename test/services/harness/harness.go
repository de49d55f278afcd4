// Package harness runs the AIMService, AIMTemplateCache and AIMArtifact reconcilers in-process
// against a testenv control plane, counting every mutating request they send.
package harness

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/restmapper"
	"k8s.io/klog/v2"

	"github.com/aimlite/aimlite/internal/testenv"
	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/reconciler/artifact"
	"github.com/aimlite/aimlite/pkg/reconciler/service"
	"github.com/aimlite/aimlite/pkg/reconciler/templatecache"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Operator is the three reconcilers running in-process.
type Operator struct {
	Muts     *testenv.Mutations // every mutating request of the three controllers
	Appliers map[string]*sm.Applier
}

var (
	opOnce sync.Once
	op     *Operator
)

// Start starts the service, template-cache and artifact controllers once per test binary and
// waits for the KServe and Gateway API kinds to be served.
func Start(t *testing.T, env *testenv.Env) *Operator { return StartWith(t, env, true) }

// StartWith is Start; waitOptional=false does not wait for the optional kinds (absent CRDs).
func StartWith(t *testing.T, env *testenv.Env, waitOptional bool) *Operator {
	t.Helper()
	opOnce.Do(func() {
		cfg, muts := testenv.CountMutations(env.Config)
		cfg.QPS, cfg.Burst = 200, 400
		client := aimclient.NewForConfigOrDie(cfg)
		kubecs := kubernetes.NewForConfigOrDie(cfg) // discovery for the test's REST mapper and optional kinds
		kube, err := kubeclient.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dyn := dynamic.NewForConfigOrDie(cfg)
		mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kubecs.Discovery()))
		resolver := sm.ResolverFunc(func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				mapper.Reset()
				if m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
					return schema.GroupVersionResource{}, false, err
				}
			}
			return m.Resource, m.Scope.Name() == "namespace", nil
		})
		appliers := map[string]*sm.Applier{}
		applier := func(name string) *sm.Applier {
			a := sm.NewApplier(dyn, resolver, constants.FieldManager(name))
			appliers[name] = a
			return a
		}
		factory := aimclient.NewInformerFactory(client, controller.CacheOptions{})
		isvcKind := controller.NewOptionalKind(kserve.GVR, controller.OptionalKindOptions{
			NewInformer: controller.DynamicInformer(dyn, kserve.GVR, controller.CacheOptions{}), Discovery: kubecs.Discovery(), PollInterval: 2 * time.Second})
		routeKind := controller.NewOptionalKind(routing.GVR, controller.OptionalKindOptions{
			NewInformer: controller.DynamicInformer(dyn, routing.GVR, controller.CacheOptions{}), Discovery: kubecs.Discovery(), PollInterval: 2 * time.Second})
		mgr := controller.NewManager()
		mgr.AddInformerFactory(factory)
		// Node labels only, as cmd/aimlite shares one metadata node informer between controllers.
		nodes := controller.NewMetadataInformer(metadata.NewForConfigOrDie(cfg),
			schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, controller.CacheOptions{})
		mgr.AddInformer(nodes)
		mgr.AddOptional(isvcKind, routeKind)
		q := controller.DefaultQueueOptions()
		q.Workers = 4
		if _, err := service.Register(service.Deps{Manager: mgr, Informers: factory, Client: client, Kube: kube, Dynamic: dyn,
			Applier: applier(service.Name), Queue: q, ISVCKind: isvcKind, RouteKind: routeKind, Nodes: nodes}); err != nil {
			t.Fatalf("register service: %v", err)
		}
		if _, err := templatecache.Register(templatecache.Deps{Manager: mgr, Informers: factory, Client: client, Kube: kube, Dynamic: dyn,
			Applier: applier(templatecache.Name), Queue: q}); err != nil {
			t.Fatalf("register templatecache: %v", err)
		}
		if _, err := artifact.Register(artifact.Deps{Manager: mgr, Informers: factory, Client: client, Kube: kube, Dynamic: dyn,
			Applier: applier(artifact.Name), Queue: q}); err != nil {
			t.Fatalf("register artifact: %v", err)
		}
		ctx := klog.NewContext(context.Background(), klog.Background())
		go func() { _ = mgr.Run(ctx) }()
		deadline := time.Now().Add(60 * time.Second)
		for !mgr.HasSynced() || (waitOptional && (!isvcKind.Available() || !routeKind.Available())) {
			if time.Now().After(deadline) {
				t.Fatalf("operator caches did not sync (isvc %v, route %v)", isvcKind.Available(), routeKind.Available())
			}
			time.Sleep(100 * time.Millisecond)
		}
		op = &Operator{Muts: muts, Appliers: appliers}
	})
	if op == nil {
		t.Fatal("operator failed to start")
	}
	return op
}

// Eventually polls f until it returns nil or the timeout passes.
func Eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = f(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
