package main

import (
	"context"

	"k8s.io/klog/v2"

	"github.com/aimlite/aimlite/pkg/aim/wiring"
	"github.com/aimlite/aimlite/pkg/controller/events"
)

// registerControllers is the one place AIM reconcilers are wired onto the
// manager. Each reconciler package exposes Register(Deps); build its Deps from
// e (e.Manager, e.AIMInformers, e.Client, e.Kube, e.Queue, e.ISVCKind, ...).
// Use e.KubeInformers (label-selected) for built-in kinds so the cache stays small.
//
// Events (what `kubectl describe` shows) go through one events/v1 broadcaster,
// which turns repeats into series; it stops when ctx ends.
func registerControllers(ctx context.Context, e *env) error {
	broadcaster := events.NewBroadcaster(e.Kube.EventsV1(), events.Options{})
	e.Manager.AddRunnable(broadcaster.Run) // awaited by Manager.Run, so queued events are written on shutdown
	recorder := eventRecorders(broadcaster)

	if err := registerModels(e, recorder); err != nil {
		return err
	}
	if err := registerServiceControllers(e, recorder); err != nil {
		return err
	}
	if err := registerClusterModelSource(e, recorder); err != nil {
		return err
	}
	klog.FromContext(ctx).Info("Controllers registered", "count", len(e.Manager.Controllers()))
	return nil
}

// applyHook counts every controller's applies (sent vs skipped) in /metrics.
func (e *env) applyHook() wiring.ApplyHook {
	if e.Metrics == nil {
		return nil
	}
	return e.Metrics.ApplyHook
}
