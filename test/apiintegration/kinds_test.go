package apiintegration

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	"github.com/aimlite/aimlite/pkg/generated/informers/externalversions"
)

// object is what every AIM kind's pointer type implements.
type object interface {
	runtime.Object
	metav1.Object
}

// typedClient is the part of a generated typed client (AIMModelInterface, ...) the tests use.
type typedClient[T object] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Get(context.Context, string, metav1.GetOptions) (T, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

// kindAPI reaches one kind through its generated typed client, typed lister and informer, so the
// sample tests can loop over kinds without losing the generated types.
type kindAPI struct {
	namespaced bool
	create     func(ctx context.Context, ns string, obj runtime.Object) (object, error)
	get        func(ctx context.Context, ns, name string) (object, error)
	delete     func(ctx context.Context, ns, name string) error
	list       func(ns, name string) (object, error) // through the lister (informer cache)
	informer   cache.SharedIndexInformer
}

func namespacedAPI[T object](client func(ns string) typedClient[T], lister func(ns, name string) (T, error), inf cache.SharedIndexInformer) kindAPI {
	return kindAPI{
		namespaced: true,
		create: func(ctx context.Context, ns string, obj runtime.Object) (object, error) {
			o, ok := obj.(T)
			if !ok {
				return nil, fmt.Errorf("object is %T, want %T", obj, o)
			}
			return client(ns).Create(ctx, o, metav1.CreateOptions{})
		},
		get: func(ctx context.Context, ns, name string) (object, error) {
			return client(ns).Get(ctx, name, metav1.GetOptions{})
		},
		delete: func(ctx context.Context, ns, name string) error {
			return client(ns).Delete(ctx, name, metav1.DeleteOptions{})
		},
		list:     func(ns, name string) (object, error) { return lister(ns, name) },
		informer: inf,
	}
}

func clusterAPI[T object](client typedClient[T], lister func(name string) (T, error), inf cache.SharedIndexInformer) kindAPI {
	return kindAPI{
		create: func(ctx context.Context, _ string, obj runtime.Object) (object, error) {
			o, ok := obj.(T)
			if !ok {
				return nil, fmt.Errorf("object is %T, want %T", obj, o)
			}
			return client.Create(ctx, o, metav1.CreateOptions{})
		},
		get: func(ctx context.Context, _, name string) (object, error) {
			return client.Get(ctx, name, metav1.GetOptions{})
		},
		delete: func(ctx context.Context, _, name string) error {
			return client.Delete(ctx, name, metav1.DeleteOptions{})
		},
		list:     func(_, name string) (object, error) { return lister(name) },
		informer: inf,
	}
}

// kindAPIs builds the table of all ten kinds. Calling Informer() registers each informer with the
// factory, so start the factory after this.
func kindAPIs(cs versioned.Interface, f externalversions.SharedInformerFactory) map[string]kindAPI {
	c, i := cs.AimV1alpha1(), f.Aim().V1alpha1()
	return map[string]kindAPI{
		"AIMModel": namespacedAPI(
			func(ns string) typedClient[*aimv1alpha1.AIMModel] { return c.AIMModels(ns) },
			func(ns, n string) (*aimv1alpha1.AIMModel, error) { return i.AIMModels().Lister().AIMModels(ns).Get(n) },
			i.AIMModels().Informer()),
		"AIMClusterModel": clusterAPI[*aimv1alpha1.AIMClusterModel](
			c.AIMClusterModels(), i.AIMClusterModels().Lister().Get, i.AIMClusterModels().Informer()),
		"AIMServiceTemplate": namespacedAPI(
			func(ns string) typedClient[*aimv1alpha1.AIMServiceTemplate] { return c.AIMServiceTemplates(ns) },
			func(ns, n string) (*aimv1alpha1.AIMServiceTemplate, error) {
				return i.AIMServiceTemplates().Lister().AIMServiceTemplates(ns).Get(n)
			},
			i.AIMServiceTemplates().Informer()),
		"AIMClusterServiceTemplate": clusterAPI[*aimv1alpha1.AIMClusterServiceTemplate](
			c.AIMClusterServiceTemplates(), i.AIMClusterServiceTemplates().Lister().Get, i.AIMClusterServiceTemplates().Informer()),
		"AIMService": namespacedAPI(
			func(ns string) typedClient[*aimv1alpha1.AIMService] { return c.AIMServices(ns) },
			func(ns, n string) (*aimv1alpha1.AIMService, error) {
				return i.AIMServices().Lister().AIMServices(ns).Get(n)
			},
			i.AIMServices().Informer()),
		"AIMRuntimeConfig": namespacedAPI(
			func(ns string) typedClient[*aimv1alpha1.AIMRuntimeConfig] { return c.AIMRuntimeConfigs(ns) },
			func(ns, n string) (*aimv1alpha1.AIMRuntimeConfig, error) {
				return i.AIMRuntimeConfigs().Lister().AIMRuntimeConfigs(ns).Get(n)
			},
			i.AIMRuntimeConfigs().Informer()),
		"AIMClusterRuntimeConfig": clusterAPI[*aimv1alpha1.AIMClusterRuntimeConfig](
			c.AIMClusterRuntimeConfigs(), i.AIMClusterRuntimeConfigs().Lister().Get, i.AIMClusterRuntimeConfigs().Informer()),
		"AIMTemplateCache": namespacedAPI(
			func(ns string) typedClient[*aimv1alpha1.AIMTemplateCache] { return c.AIMTemplateCaches(ns) },
			func(ns, n string) (*aimv1alpha1.AIMTemplateCache, error) {
				return i.AIMTemplateCaches().Lister().AIMTemplateCaches(ns).Get(n)
			},
			i.AIMTemplateCaches().Informer()),
		"AIMArtifact": namespacedAPI(
			func(ns string) typedClient[*aimv1alpha1.AIMArtifact] { return c.AIMArtifacts(ns) },
			func(ns, n string) (*aimv1alpha1.AIMArtifact, error) {
				return i.AIMArtifacts().Lister().AIMArtifacts(ns).Get(n)
			},
			i.AIMArtifacts().Informer()),
		"AIMClusterModelSource": clusterAPI[*aimv1alpha1.AIMClusterModelSource](
			c.AIMClusterModelSources(), i.AIMClusterModelSources().Lister().Get, i.AIMClusterModelSources().Informer()),
	}
}
