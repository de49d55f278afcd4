package main

import (
	"flag"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/controller/events"
	"github.com/aimlite/aimlite/pkg/reconciler/model"
	"github.com/aimlite/aimlite/pkg/reconciler/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/reconciler/servicetemplate"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// templateOptions holds --max-concurrent-discovery-jobs; bindModelFlags registers it.
var templateOptions = servicetemplate.DefaultOptions()

// bindModelFlags registers the flags of the model and template controllers on fs (call it next to
// o.bindFlags(fs) in main).
func bindModelFlags(fs *flag.FlagSet) { templateOptions.BindFlags(fs) }

var nodesGVR = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}

// registerModels wires the runtime-config, model and service-template controllers (call it from
// registerControllers). recorder may be nil (no events).
func registerModels(e *env, recorder func(controllerName string) statemachine.Recorder) error {
	if err := runtimeconfig.Register(runtimeconfig.Deps{Manager: e.Manager, Informers: e.AIMInformers,
		Client: e.Client, Recorder: recorder, Queue: e.Queue}); err != nil {
		return fmt.Errorf("runtime-config controllers: %w", err)
	}
	if err := model.Register(model.Deps{ApplyHook: e.applyHook(), Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client,
		Kube: e.Kube, Dynamic: e.Dynamic, Recorder: recorder, Queue: e.Queue, SystemNamespace: e.SystemNamespace}); err != nil {
		return fmt.Errorf("model controllers: %w", err)
	}
	if _, err := servicetemplate.Register(servicetemplate.Deps{ApplyHook: e.applyHook(), Manager: e.Manager, AIMInformers: e.AIMInformers,
		Nodes: e.nodes(), DiscoveryInformers: e.KubeInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		Recorder: recorder, Queue: e.Queue, SystemNamespace: e.SystemNamespace,
		DiscoveryCap: templateOptions.DiscoveryCap}); err != nil {
		return fmt.Errorf("service-template controllers: %w", err)
	}
	return nil
}

// nodes returns the one node informer of the process, built on first use. GPU detection (template
// availability, service auto-selection) needs node labels only: a metadata informer keeps ~1 KB per node.
func (e *env) nodes() cache.SharedIndexInformer {
	if e.nodeInf == nil {
		e.nodeInf = controller.NewMetadataInformer(e.Metadata, nodesGVR, controller.CacheOptions{Transform: e.Transform})
		e.Manager.AddInformer(e.nodeInf)
	}
	return e.nodeInf
}

// eventRecorders adapts an events broadcaster to the per-controller recorders the Deps take.
func eventRecorders(b *events.Broadcaster) func(string) statemachine.Recorder {
	if b == nil {
		return nil
	}
	// Events are about AIM objects, which listers hand out without apiVersion/kind.
	scheme := runtime.NewScheme()
	utilruntime.Must(aimv1.AddToScheme(scheme))
	return func(name string) statemachine.Recorder {
		return statemachine.FromEventsRecorder(b.NewRecorder(scheme, constants.FieldManager(name)), "Reconcile")
	}
}
