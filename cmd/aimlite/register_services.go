package main

import (
	"github.com/aimlite/aimlite/pkg/reconciler/artifact"
	"github.com/aimlite/aimlite/pkg/reconciler/service"
	"github.com/aimlite/aimlite/pkg/reconciler/templatecache"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// registerServiceControllers wires the AIMService, AIMTemplateCache and AIMArtifact
// controllers; pass eventRecorders(...) as recorder to get condition events.
func registerServiceControllers(e *env, recorder ...func(string) statemachine.Recorder) error {
	var rec func(string) statemachine.Recorder
	if len(recorder) > 0 {
		rec = recorder[0]
	}
	if _, err := service.Register(service.Deps{
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		KubeInformers: e.KubeInformers, Recorder: rec, Queue: e.Queue, ISVCKind: e.ISVCKind, RouteKind: e.RouteKind,
		Namespace: e.WatchNamespace,
	}); err != nil {
		return err
	}
	if _, err := templatecache.Register(templatecache.Deps{
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		Recorder: rec, Queue: e.Queue,
	}); err != nil {
		return err
	}
	_, err := artifact.Register(artifact.Deps{
		Manager: e.Manager, Informers: e.AIMInformers, Client: e.Client, Kube: e.Kube, Dynamic: e.Dynamic,
		KubeInformers: e.KubeInformers, Recorder: rec, Queue: e.Queue,
	})
	return err
}
