// Package runtimeconfig reconciles AIMRuntimeConfig and AIMClusterRuntimeConfig. The configs themselves
// have nothing to create: the controller only reports status (observedGeneration and Ready), while the
// configs' effect reaches dependents through the runtime-config index (pkg/aim/runtimeconfig), which
// re-enqueues every model, template, cache, artifact and service that uses a config when it changes.
package runtimeconfig

import (
	"context"
	"github.com/aimlite/aimlite/pkg/aim/wiring"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/statemachine"
)

// Controller names.
const (
	NameNamespaced = "runtime-config"
	NameCluster    = "cluster-runtime-config"
)

// observation has no components: a stored config is valid by construction (the CRD schema validates it),
// so Ready is True/AllComponentsReady once the status is written.
type observation struct{}

func (observation) GetComponentHealth() []statemachine.ComponentHealth { return nil }

type domain[T any] struct{}

func (domain[T]) FetchRemoteState(context.Context, statemachine.ReconcileContext[T]) struct{} {
	return struct{}{}
}
func (domain[T]) ComposeState(context.Context, statemachine.ReconcileContext[T], struct{}) observation {
	return observation{}
}
func (domain[T]) PlanResources(context.Context, statemachine.ReconcileContext[T], observation) statemachine.PlanResult {
	return statemachine.PlanResult{}
}

// NewNamespacedPipeline builds the AIMRuntimeConfig pipeline.
func NewNamespacedPipeline(client aimclient.Interface, rec statemachine.Recorder) *statemachine.Pipeline[*aimv1.AIMRuntimeConfig, *aimv1.AIMRuntimeConfigStatus, struct{}, observation] {
	return &statemachine.Pipeline[*aimv1.AIMRuntimeConfig, *aimv1.AIMRuntimeConfigStatus, struct{}, observation]{
		Name:       NameNamespaced,
		Reconciler: domain[*aimv1.AIMRuntimeConfig]{},
		StatusOf:   func(o *aimv1.AIMRuntimeConfig) *aimv1.AIMRuntimeConfigStatus { return &o.Status },
		Fields: func(o *aimv1.AIMRuntimeConfig) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, nil, &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMRuntimeConfig) error {
			_, err := client.AimV1alpha1().AIMRuntimeConfigs(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(NameNamespaced)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMRuntimeConfig"),
		Recorder:        rec,
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
}

// NewClusterPipeline builds the AIMClusterRuntimeConfig pipeline.
func NewClusterPipeline(client aimclient.Interface, rec statemachine.Recorder) *statemachine.Pipeline[*aimv1.AIMClusterRuntimeConfig, *aimv1.AIMRuntimeConfigStatus, struct{}, observation] {
	return &statemachine.Pipeline[*aimv1.AIMClusterRuntimeConfig, *aimv1.AIMRuntimeConfigStatus, struct{}, observation]{
		Name:       NameCluster,
		Reconciler: domain[*aimv1.AIMClusterRuntimeConfig]{},
		StatusOf:   func(o *aimv1.AIMClusterRuntimeConfig) *aimv1.AIMRuntimeConfigStatus { return &o.Status },
		Fields: func(o *aimv1.AIMClusterRuntimeConfig) statemachine.Status {
			return statemachine.FieldsOf(&o.Status.Conditions, nil, &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMClusterRuntimeConfig) error {
			_, err := client.AimV1alpha1().AIMClusterRuntimeConfigs().UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(NameCluster)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMClusterRuntimeConfig"),
		Recorder:        rec,
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
}

// Deps are what Register needs.
type Deps struct {
	Manager   *controller.Manager
	Informers *aimclient.InformerFactory
	Client    aimclient.Interface
	// Recorder returns the event recorder of a controller name (nil: no events).
	Recorder wiring.RecorderFactory
	Queue    controller.QueueOptions
}

// Register wires both runtime-config controllers onto the manager.
func Register(d Deps) error {
	nsInf := d.Informers.AIMRuntimeConfigs()
	clInf := d.Informers.AIMClusterRuntimeConfigs()

	nsPipe := NewNamespacedPipeline(d.Client, d.Recorder.For(NameNamespaced))
	nsCtl, err := controller.New(controller.Options{Name: NameNamespaced, Queue: d.Queue,
		Reconcile: wiring.ReconcileNamespaced(nsInf.Lister().AIMRuntimeConfigs, nil, nsPipe.Run)})
	if err != nil {
		return err
	}
	if err := nsCtl.For(nsInf.Informer(), aimv1.Kind("AIMRuntimeConfig"), false); err != nil {
		return err
	}

	clPipe := NewClusterPipeline(d.Client, d.Recorder.For(NameCluster))
	clCtl, err := controller.New(controller.Options{Name: NameCluster, Queue: d.Queue,
		Reconcile: wiring.ReconcileCluster(clInf.Lister().Get, nil, clPipe.Run)})
	if err != nil {
		return err
	}
	if err := clCtl.For(clInf.Informer(), aimv1.Kind("AIMClusterRuntimeConfig"), true); err != nil {
		return err
	}
	d.Manager.Add(nsCtl, clCtl)
	d.Manager.AddInformerFactory(d.Informers)
	return nil
}
