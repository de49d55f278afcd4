// Package childwiring holds what the service, template-cache and artifact Register functions
// share: a resolver for the extra kinds they apply (RoleBinding, InferenceService, HTTPRoute)
// and private, memoised informer factories for callers that do not pass their own.
package childwiring

import (
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/aimlite/aimlite/pkg/aim/kserve"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	"github.com/aimlite/aimlite/pkg/aim/wiring"
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
