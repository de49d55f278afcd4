// Package childwiring holds what the service, template-cache and artifact Register functions
// share: a resolver for the extra kinds they apply (RoleBinding, InferenceService, HTTPRoute)
// and private, memoised informer factories for callers that do not pass their own.
package childwiring

import (
	"sync"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/aimlite/aimlite/pkg/aim/kserve"
	aimlabels "github.com/aimlite/aimlite/pkg/aim/labels"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
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

// PrivateKubeInformers returns a memoised factory-per-label-selector function whose factories
// are registered with mgr (for tests and callers without cmd/aimlite's env).
func PrivateKubeInformers(mgr *controller.Manager, kube kubernetes.Interface) func(string) informers.SharedInformerFactory {
	var mu sync.Mutex
	m := map[string]informers.SharedInformerFactory{}
	return func(sel string) informers.SharedInformerFactory {
		mu.Lock()
		defer mu.Unlock()
		if f, ok := m[sel]; ok {
			return f
		}
		f := controller.NewKubeInformerFactory(kube, controller.CacheOptions{LabelSelector: sel})
		m[sel] = f
		mgr.AddInformerFactory(f)
		return f
	}
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
