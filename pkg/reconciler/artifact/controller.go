package artifact

import (
	"context"
	"errors"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/childwiring"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/aim/store"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

// Name is the controller name; the field manager is aim-artifact-controller.
const Name = constants.ControllerArtifact

// Deps are what Register needs.
type Deps struct {
	// ApplyHook, when set, counts this controller's apply outcomes (sent / skipped) for /metrics.
	ApplyHook wiring.ApplyHook
	Manager   *controller.Manager
	Informers *aimclient.InformerFactory
	Client    aimclient.Interface
	Kube      kubeclient.Interface
	Dynamic   dynamic.Interface
	// Applier sends the plan; nil builds one from Dynamic and Resolver.
	Applier *sm.Applier
	// Resolver maps kinds to resources; nil resolves statically (childwiring).
	Resolver sm.Resolver
	// KubeInformers hands out label-selected built-in-kind informers registered with Manager
	// (cmd/aimlite's env.KubeInformers); nil makes private ones.
	KubeInformers *controller.KubeInformers
	Recorder      wiring.RecorderFactory
	Queue         controller.QueueOptions
}

// NewPipeline builds the AIMArtifact pipeline.
func NewPipeline(r *Reconciler, client aimclient.Interface, kube kubeclient.Interface, applier *sm.Applier, rec sm.Recorder) *sm.Pipeline[*aimv1.AIMArtifact, *aimv1.AIMArtifactStatus, *Fetched, Obs] {
	return &sm.Pipeline[*aimv1.AIMArtifact, *aimv1.AIMArtifactStatus, *Fetched, Obs]{
		Name:       Name,
		Reconciler: r,
		StatusOf:   func(o *aimv1.AIMArtifact) *aimv1.AIMArtifactStatus { return &o.Status },
		Fields: func(o *aimv1.AIMArtifact) sm.Status {
			return sm.FieldsOf(&o.Status.Conditions, (*string)(&o.Status.Status), &o.Status.ObservedGeneration)
		},
		UpdateStatus: func(ctx context.Context, o *aimv1.AIMArtifact) error {
			_, err := client.AimV1alpha1().AIMArtifacts(o.Namespace).UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: constants.FieldManager(Name)})
			return err
		},
		OwnerGVK:        aimv1.SchemeGroupVersion.WithKind("AIMArtifact"),
		Applier:         applier,
		DecorateChild:   decorateChild,
		Client:          sm.WithClient[kubeclient.Interface](kube),
		Recorder:        rec,
		PauseAnnotation: constants.AnnotationReconciliationPaused,
	}
}

// decorateChild adds the controller labels (§3.2 step 2); label propagation happens in
// PlanResources, which knows the runtime config.
func decorateChild(a *aimv1.AIMArtifact, child *unstructured.Unstructured) {
	childwiring.AddControllerLabels(child, Name, a.Name)
}

// Register wires the AIMArtifact controller onto the manager. Jobs, Pods and PVCs are
// watched only when labelled with aim.eai.amd.com/cache.name, RoleBindings only by name.
func Register(d Deps) (*controller.Controller, error) {
	if d.Manager == nil || d.Informers == nil || d.Client == nil || d.Kube == nil || d.Dynamic == nil {
		return nil, errors.New("artifact: Deps needs Manager, Informers, Client, Kube and Dynamic")
	}
	aim := d.Informers
	artInf := aim.AIMArtifacts().Informer()
	kubeInformers := d.KubeInformers
	if kubeInformers == nil {
		kubeInformers = controller.NewKubeInformers(d.Manager, d.Kube, controller.CacheOptions{})
	}
	jobInf := kubeInformers.Jobs(constants.LabelCacheName)
	podInf := kubeInformers.Pods(constants.LabelCacheName)
	pvcInf := kubeInformers.PersistentVolumeClaims(constants.LabelCacheName)
	// The status-updater RoleBinding carries our managed-by label (DecorateChild).
	rbInf := kubeInformers.RoleBindings(constants.LabelK8sManagedBy + "=" + constants.FieldManager(Name))
	applier := childwiring.Applier(d.Applier, d.Dynamic, d.Resolver, Name, d.ApplyHook)

	r := &Reconciler{Logs: KubeLogTail(d.Kube), Stores: Stores{
		Jobs:          store.FromIndexer[*batchv1.Job](jobInf.GetIndexer(), batchv1.Resource("jobs")),
		Pods:          store.FromIndexer[*corev1.Pod](podInf.GetIndexer(), corev1.Resource("pods")),
		PVCs:          store.FromIndexer[*corev1.PersistentVolumeClaim](pvcInf.GetIndexer(), corev1.Resource("persistentvolumeclaims")),
		RoleBindings:  store.FromIndexer[*rbacv1.RoleBinding](rbInf.GetIndexer(), rbacv1.Resource("rolebindings")),
		RuntimeConfig: runtimeconfig.Lookup{Namespaced: aim.AIMRuntimeConfigs().Lister(), Cluster: aim.AIMClusterRuntimeConfigs().Lister()},
	}}
	rec := d.Recorder.For(Name)
	pipe := NewPipeline(r, d.Client, d.Kube, applier, rec)
	lister := aim.AIMArtifacts().Lister()
	ctl, err := controller.New(controller.Options{Name: Name, Queue: d.Queue,
		Reconcile: wiring.ReconcileNamespaced(lister.AIMArtifacts, nil, pipe.Run)})
	if err != nil {
		return nil, err
	}
	if err := wiring.EnsureIndexers(artInf, runtimeconfig.Indexers()); err != nil {
		return nil, err
	}
	if err := ctl.For(artInf, aimv1.Kind("AIMArtifact"), false); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMRuntimeConfigs().Informer(), runtimeconfig.MapNamespaceConfig(artInf.GetIndexer())); err != nil {
		return nil, err
	}
	if err := ctl.Watches(aim.AIMClusterRuntimeConfigs().Informer(), runtimeconfig.MapClusterConfig(artInf.GetIndexer())); err != nil {
		return nil, err
	}
	if err := ctl.Owns(jobInf); err != nil {
		return nil, err
	}
	if err := ctl.Owns(pvcInf); err != nil {
		return nil, err
	}
	byLabel := controller.MapToKey(func(o metav1.Object) (string, string) {
		return o.GetNamespace(), o.GetLabels()[constants.LabelCacheName]
	})
	if err := ctl.Watches(podInf, byLabel, controller.WithUpdateFilter(podChanged)); err != nil {
		return nil, err
	}
	if err := ctl.Watches(rbInf, controller.MapAll(artInf.GetIndexer(), true)); err != nil {
		return nil, err
	}
	d.Manager.Add(ctl)
	return ctl, nil
}

// podChanged: phase, container states or readiness changed (not every status heartbeat).
func podChanged(oldObj, newObj metav1.Object) bool {
	o, ok1 := oldObj.(*corev1.Pod)
	n, ok2 := newObj.(*corev1.Pod)
	if !ok1 || !ok2 {
		return true
	}
	if o.Status.Phase != n.Status.Phase || len(o.Status.ContainerStatuses) != len(n.Status.ContainerStatuses) ||
		len(o.Status.InitContainerStatuses) != len(n.Status.InitContainerStatuses) {
		return true
	}
	for i := range n.Status.ContainerStatuses {
		a, b := o.Status.ContainerStatuses[i], n.Status.ContainerStatuses[i]
		if a.Ready != b.Ready || (a.State.Waiting == nil) != (b.State.Waiting == nil) || (a.State.Terminated == nil) != (b.State.Terminated == nil) {
			return true
		}
		if a.State.Waiting != nil && b.State.Waiting != nil && a.State.Waiting.Reason != b.State.Waiting.Reason {
			return true
		}
	}
	return false
}
