package main

import (
	"github.com/aimlite/aimlite/pkg/reconciler/artifact"
	"github.com/aimlite/aimlite/pkg/reconciler/service"
	"github.com/aimlite/aimlite/pkg/reconciler/templatecache"
)

// registerServiceControllers wires the AIMService, AIMTemplateCache and AIMArtifact
// controllers. registerControllers (controllers.go) must call it.
func registerServiceControllers(e *env) error {
	if _, err := service.Register(service.Deps{
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		KubeInformers: e.KubeInformers, Queue: e.Queue, ISVCKind: e.ISVCKind, RouteKind: e.RouteKind,
	}); err != nil {
		return err
	}
	if _, err := templatecache.Register(templatecache.Deps{
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic, Queue: e.Queue,
	}); err != nil {
		return err
	}
	_, err := artifact.Register(artifact.Deps{
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		KubeInformers: e.KubeInformers, Queue: e.Queue,
	})
	return err
}
