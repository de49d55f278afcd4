package main

import (
	"github.com/aimlite/aimlite/pkg/reconciler/artifact"
	"github.com/aimlite/aimlite/pkg/reconciler/service"
	"github.com/aimlite/aimlite/pkg/reconciler/templatecache"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// registerServiceControllers wires the AIMService, AIMTemplateCache and AIMArtifact
// controllers. rec may be nil (no events).
func registerServiceControllers(e *env, rec func(string) statemachine.Recorder) error {
	if _, err := service.Register(service.Deps{ApplyHook: e.applyHook(),
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		KubeInformers: e.KubeInformers, Recorder: rec, Queue: e.Queue, ISVCKind: e.ISVCKind, RouteKind: e.RouteKind,
		Namespaces: e.WatchNamespaces, Nodes: e.nodes(),
	}); err != nil {
		return err
	}
	if _, err := templatecache.Register(templatecache.Deps{ApplyHook: e.applyHook(),
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		Recorder: rec, Queue: e.Queue,
	}); err != nil {
		return err
	}
	_, err := artifact.Register(artifact.Deps{ApplyHook: e.applyHook(),
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		KubeInformers: e.KubeInformers, Recorder: rec, Queue: e.Queue,
	})
	return err
}
