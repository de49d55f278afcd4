package main

import (
	"fmt"

	"github.com/aimlite/aimlite/pkg/reconciler/clustermodelsource"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// registerClusterModelSource wires the AIMClusterModelSource controller (call it from
// registerControllers). Pull secrets are read live from e.SystemNamespace (AIM_SYSTEM_NAMESPACE);
// recorder may be nil (no events).
func registerClusterModelSource(e *env, recorder func(controllerName string) statemachine.Recorder) error {
	if _, err := clustermodelsource.Register(clustermodelsource.Deps{ApplyHook: e.applyHook(), Manager: e.Manager, Informers: e.AIMInformers,
		Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic, Recorder: recorder, Queue: e.Queue,
		SystemNamespace: e.SystemNamespace}); err != nil {
		return fmt.Errorf("cluster-model-source controller: %w", err)
	}
	return nil
}
