// Package childwiring holds what the service, template-cache and artifact Register functions
// share: a resolver for the extra kinds they apply (RoleBinding, InferenceService, HTTPRoute)
// and label propagation.
package childwiring

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aimlite/aimlite/pkg/aim/naming"
	"k8s.io/apimachinery/pkg/labels"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/kserve"
	aimlabels "github.com/aimlite/aimlite/pkg/aim/labels"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

var extra = map[schema.GroupVersionKind]schema.GroupVersionResource{
	{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"}: {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	kserve.GVK:  kserve.GVR,
	routing.GVK: routing.GVR,
}

// Resolver resolves every kind these controllers apply without discovery, then falls back
// to next (may be nil).
func Resolver(next sm.Resolver) sm.Resolver {
	return wiring.Resolver(sm.ResolverFunc(func(gvk schema.GroupVersionKind) (schema.GroupVersionResource, bool, error) {
		if gvr, ok := extra[gvk]; ok {
			return gvr, true, nil
		}
		if next != nil {
			return next.ResourceFor(gvk)
		}
		return wiring.Resolver(nil).ResourceFor(gvk)
	}))
}

// Propagated returns the parent labels that flow to children under cfg (catalogue §3.2 step 1:
// aim.eai.amd.com/* always; others when cfg enables propagation and a glob matches).
func Propagated(parent map[string]string, cfg *aimv1.AIMRuntimeConfigSpec) map[string]string {
	out, _ := aimlabels.Propagate(parent, nil, cfg)
	return out
}

// PropagateLabels adds the propagated parent labels to a planned typed object where it has no
// such key; Jobs also get them on their pod template.
func PropagateLabels(parent map[string]string, obj metav1.Object, cfg *aimv1.AIMRuntimeConfigSpec) {
	l, _ := aimlabels.Propagate(parent, obj.GetLabels(), cfg)
	obj.SetLabels(l)
	if j, ok := obj.(*batchv1.Job); ok {
		j.Spec.Template.Labels, _ = aimlabels.Propagate(parent, j.Spec.Template.Labels, cfg)
	}
}

// AddControllerLabels adds the controller labels of §3.2 step 2 where absent:
// app.kubernetes.io/managed-by=aim-<controller>-controller and aim.eai.amd.com/<controller>.name=<owner>;
// on Jobs the latter also goes onto the pod template.
func AddControllerLabels(child *unstructured.Unstructured, controllerName, ownerName string) {
	l := child.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	if _, has := l[constants.LabelK8sManagedBy]; !has {
		l[constants.LabelK8sManagedBy] = constants.FieldManager(controllerName)
	}
	domain := constants.DomainLabelKey(controllerName)
	if _, has := l[domain]; !has {
		l[domain] = ownerName
	}
	child.SetLabels(l)
	if child.GetKind() == "Job" {
		pl, _, _ := unstructured.NestedStringMap(child.Object, "spec", "template", "metadata", "labels")
		if pl == nil {
			pl = map[string]string{}
		}
		if _, has := pl[domain]; !has {
			pl[domain] = ownerName
			_ = unstructured.SetNestedStringMap(child.Object, pl, "spec", "template", "metadata", "labels")
		}
	}
}

// CleanupFinalizer is the reference's cleanup-finalizer pattern: added on first sight; on
// deletion, Cleanup runs unless the namespace is terminating (so it never blocks namespace
// deletion), then the finalizer is removed. Writes are merge patches guarded by resourceVersion.
type CleanupFinalizer struct {
	Name    string
	GVR     schema.GroupVersionResource
	Dynamic dynamic.Interface
	Kube    kubeclient.Interface
	// FieldManager is recorded on the finalizer patches.
	FieldManager string
	Cleanup      func(ctx context.Context, obj metav1.Object) error
}

// Handle adds or runs the finalizer; done means the reconcile ends here with err.
func (f CleanupFinalizer) Handle(ctx context.Context, obj metav1.Object) (done bool, err error) {
	has := false
	var keep []string
	for _, x := range obj.GetFinalizers() {
		if x == f.Name {
			has = true
		} else {
			keep = append(keep, x)
		}
	}
	if obj.GetDeletionTimestamp() == nil {
		if has {
			return false, nil
		}
		return true, f.patch(ctx, obj, append(append([]string(nil), obj.GetFinalizers()...), f.Name))
	}
	if !has {
		return true, nil
	}
	if f.Cleanup != nil && !NamespaceTerminating(ctx, f.Kube, obj.GetNamespace()) {
		if err := f.Cleanup(ctx, obj); err != nil {
			return true, err
		}
	}
	if err := f.patch(ctx, obj, keep); err != nil && !apierrors.IsNotFound(err) {
		return true, err
	}
	return true, nil
}

func (f CleanupFinalizer) patch(ctx context.Context, obj metav1.Object, fins []string) error {
	if fins == nil {
		fins = []string{}
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": fins, "resourceVersion": obj.GetResourceVersion()}})
	if err != nil {
		return err
	}
	_, err = f.Dynamic.Resource(f.GVR).Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: f.FieldManager})
	return err
}

// NamespaceTerminating: the namespace is gone, being deleted, or unreadable (Forbidden) — in
// all of which cleanup must not block deletion.
func NamespaceTerminating(ctx context.Context, kube kubeclient.Interface, ns string) bool {
	n, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return apierrors.IsNotFound(err) || apierrors.IsForbidden(err)
	}
	return n.DeletionTimestamp != nil || n.Status.Phase == corev1.NamespaceTerminating
}

// DeleteNotReadyLabelled lists the owner's children labelled key=<owner name> in the owner's
// namespace and deletes, with a UID precondition, each one whose status is not Ready (Ready
// children are kept for reuse); absent, forbidden or replaced objects are skipped.
func DeleteNotReadyLabelled[T metav1.Object](ctx context.Context, owner metav1.Object, key string,
	list func(namespace string, sel labels.Selector) ([]T, error), status func(T) string,
	del func(ctx context.Context, name string, opts metav1.DeleteOptions) error) error {
	v := naming.LabelValue(owner.GetName())
	if v == "" {
		return nil
	}
	children, err := list(owner.GetNamespace(), labels.SelectorFromSet(labels.Set{key: v}))
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range children {
		if status(o) == constants.StatusReady || o.GetDeletionTimestamp() != nil {
			continue
		}
		uid := o.GetUID()
		err := del(ctx, o.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) && !apierrors.IsConflict(err) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("cleanup errors: %v", errs)
	}
	return nil
}

// Applier returns given when set (tests inject one), otherwise a new applier under the
// controller's field manager; either way its outcomes are reported to hook.
func Applier(given *sm.Applier, dyn dynamic.Interface, r sm.Resolver, controller string, hook wiring.ApplyHook) *sm.Applier {
	if given == nil {
		given = sm.NewApplier(dyn, Resolver(r), constants.FieldManager(controller))
	}
	return hook.Attach(given, controller)
}
