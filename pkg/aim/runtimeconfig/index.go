package runtimeconfig

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
)

// IndexName is the informer index of AIM objects by the runtime config they use. An object in namespace ns
// using config n (empty counts as "default") is indexed under both "n" (found by a cluster config event)
// and "ns/n" (found by a namespace config event of that namespace).
const IndexName = "aim.eai.amd.com/runtimeConfigName"

// RefName returns the runtime config name an AIM object refers to, and whether the kind has one.
func RefName(obj any) (string, bool) {
	switch o := obj.(type) {
	case *aimv1.AIMModel:
		return o.Spec.RuntimeConfigName, true
	case *aimv1.AIMClusterModel:
		return o.Spec.RuntimeConfigName, true
	case *aimv1.AIMServiceTemplate:
		return o.Spec.RuntimeConfigName, true
	case *aimv1.AIMClusterServiceTemplate:
		return o.Spec.RuntimeConfigName, true
	case *aimv1.AIMTemplateCache:
		return o.Spec.RuntimeConfigName, true
	case *aimv1.AIMArtifact:
		return o.Spec.RuntimeConfigName, true
	case *aimv1.AIMService:
		return o.Spec.RuntimeConfigName, true
	}
	return "", false
}

// IndexValues are the index values of an object using config name in namespace ns.
func IndexValues(ns, name string) []string {
	name = EffectiveName(name)
	if ns == "" {
		return []string{name}
	}
	return []string{name, controller.IndexValue(ns, name)}
}

// Indexers returns the index to add to the informer of any AIM kind with spec.runtimeConfigName.
func Indexers() cache.Indexers {
	return cache.Indexers{IndexName: func(obj any) ([]string, error) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		name, ok := RefName(obj)
		if !ok {
			return nil, nil
		}
		m, ok := obj.(metav1.Object)
		if !ok {
			return nil, nil
		}
		return IndexValues(m.GetNamespace(), name), nil
	}}
}

// MapClusterConfig maps an AIMClusterRuntimeConfig event to every dependent (any namespace) using that name.
func MapClusterConfig(dependents cache.Indexer) controller.MapFunc {
	return controller.MapByIndex(dependents, IndexName, func(o metav1.Object) []string { return []string{o.GetName()} })
}

// MapNamespaceConfig maps an AIMRuntimeConfig event to the dependents of its namespace using that name.
// Cluster-scoped dependents read only cluster configs and are never indexed under "ns/name".
func MapNamespaceConfig(dependents cache.Indexer) controller.MapFunc {
	return controller.MapByIndex(dependents, IndexName, func(o metav1.Object) []string {
		return []string{controller.IndexValue(o.GetNamespace(), o.GetName())}
	})
}
