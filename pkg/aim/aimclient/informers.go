package aimclient

import (
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/controller"
	listers "github.com/aimlite/aimlite/pkg/generated/listers/aim/v1alpha1"
)

// Informer pairs a shared informer with its typed lister.
type Informer[L any] struct {
	informer cache.SharedIndexInformer
	lister   L
}

// Informer returns the shared informer.
func (i Informer[L]) Informer() cache.SharedIndexInformer { return i.informer }

// Lister returns the typed lister over the informer's cache.
func (i Informer[L]) Lister() L { return i.lister }

// InformerFactory hands out one shared informer per AIM kind, built with
// controller.NewInformer over Interface. It replaces the generated informer
// factory, which needs the generated clientset and thereby client-go's
// discovery and kubernetes/scheme (every API group) in the binary.
// Options.Namespace(s) scope the namespaced kinds; cluster-scoped kinds are
// always watched cluster-wide. Start it (or register it with
// controller.Manager.AddInformerFactory) after the informers were requested.
type InformerFactory struct {
	client Interface
	o      controller.CacheOptions

	mu        sync.Mutex
	informers map[string]cache.SharedIndexInformer
	started   map[string]bool
}

// NewInformerFactory returns a factory over client; o.LabelSelector and
// o.FieldSelector apply to every kind.
func NewInformerFactory(client Interface, o controller.CacheOptions) *InformerFactory {
	return &InformerFactory{client: client, o: o, informers: map[string]cache.SharedIndexInformer{}, started: map[string]bool{}}
}

func informerFor[L runtime.Object, LS any](f *InformerFactory, resource string, namespaced bool, example runtime.Object,
	client func(namespace string) controller.ListWatcher[L], newLister func(cache.Indexer) LS) Informer[LS] {
	f.mu.Lock()
	defer f.mu.Unlock()
	inf, ok := f.informers[resource]
	if !ok {
		if namespaced {
			inf = controller.NewNamespacedInformer(client, example, f.o)
		} else {
			inf = controller.NewInformer[L](client(""), example, f.o)
		}
		f.informers[resource] = inf
	}
	return Informer[LS]{informer: inf, lister: newLister(inf.GetIndexer())}
}

// Start runs every informer requested so far that is not running yet.
func (f *InformerFactory) Start(stop <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for r, inf := range f.informers {
		if !f.started[r] {
			f.started[r] = true
			go inf.Run(stop)
		}
	}
}

// AIMArtifacts returns the shared AIMArtifact informer and lister.
func (f *InformerFactory) AIMArtifacts() Informer[listers.AIMArtifactLister] {
	return informerFor(f, "aimartifacts", true, &aimv1.AIMArtifact{}, func(ns string) controller.ListWatcher[*aimv1.AIMArtifactList] {
		return f.client.AimV1alpha1().AIMArtifacts(ns)
	}, listers.NewAIMArtifactLister)
}

// AIMClusterModels returns the shared AIMClusterModel informer and lister.
func (f *InformerFactory) AIMClusterModels() Informer[listers.AIMClusterModelLister] {
	return informerFor(f, "aimclustermodels", false, &aimv1.AIMClusterModel{}, func(string) controller.ListWatcher[*aimv1.AIMClusterModelList] {
		return f.client.AimV1alpha1().AIMClusterModels()
	}, listers.NewAIMClusterModelLister)
}

// AIMClusterModelSources returns the shared AIMClusterModelSource informer and lister.
func (f *InformerFactory) AIMClusterModelSources() Informer[listers.AIMClusterModelSourceLister] {
	return informerFor(f, "aimclustermodelsources", false, &aimv1.AIMClusterModelSource{}, func(string) controller.ListWatcher[*aimv1.AIMClusterModelSourceList] {
		return f.client.AimV1alpha1().AIMClusterModelSources()
	}, listers.NewAIMClusterModelSourceLister)
}

// AIMClusterRuntimeConfigs returns the shared AIMClusterRuntimeConfig informer and lister.
func (f *InformerFactory) AIMClusterRuntimeConfigs() Informer[listers.AIMClusterRuntimeConfigLister] {
	return informerFor(f, "aimclusterruntimeconfigs", false, &aimv1.AIMClusterRuntimeConfig{}, func(string) controller.ListWatcher[*aimv1.AIMClusterRuntimeConfigList] {
		return f.client.AimV1alpha1().AIMClusterRuntimeConfigs()
	}, listers.NewAIMClusterRuntimeConfigLister)
}

// AIMClusterServiceTemplates returns the shared AIMClusterServiceTemplate informer and lister.
func (f *InformerFactory) AIMClusterServiceTemplates() Informer[listers.AIMClusterServiceTemplateLister] {
	return informerFor(f, "aimclusterservicetemplates", false, &aimv1.AIMClusterServiceTemplate{}, func(string) controller.ListWatcher[*aimv1.AIMClusterServiceTemplateList] {
		return f.client.AimV1alpha1().AIMClusterServiceTemplates()
	}, listers.NewAIMClusterServiceTemplateLister)
}

// AIMModels returns the shared AIMModel informer and lister.
func (f *InformerFactory) AIMModels() Informer[listers.AIMModelLister] {
	return informerFor(f, "aimmodels", true, &aimv1.AIMModel{}, func(ns string) controller.ListWatcher[*aimv1.AIMModelList] {
		return f.client.AimV1alpha1().AIMModels(ns)
	}, listers.NewAIMModelLister)
}

// AIMRuntimeConfigs returns the shared AIMRuntimeConfig informer and lister.
func (f *InformerFactory) AIMRuntimeConfigs() Informer[listers.AIMRuntimeConfigLister] {
	return informerFor(f, "aimruntimeconfigs", true, &aimv1.AIMRuntimeConfig{}, func(ns string) controller.ListWatcher[*aimv1.AIMRuntimeConfigList] {
		return f.client.AimV1alpha1().AIMRuntimeConfigs(ns)
	}, listers.NewAIMRuntimeConfigLister)
}

// AIMServices returns the shared AIMService informer and lister.
func (f *InformerFactory) AIMServices() Informer[listers.AIMServiceLister] {
	return informerFor(f, "aimservices", true, &aimv1.AIMService{}, func(ns string) controller.ListWatcher[*aimv1.AIMServiceList] {
		return f.client.AimV1alpha1().AIMServices(ns)
	}, listers.NewAIMServiceLister)
}

// AIMServiceTemplates returns the shared AIMServiceTemplate informer and lister.
func (f *InformerFactory) AIMServiceTemplates() Informer[listers.AIMServiceTemplateLister] {
	return informerFor(f, "aimservicetemplates", true, &aimv1.AIMServiceTemplate{}, func(ns string) controller.ListWatcher[*aimv1.AIMServiceTemplateList] {
		return f.client.AimV1alpha1().AIMServiceTemplates(ns)
	}, listers.NewAIMServiceTemplateLister)
}

// AIMTemplateCaches returns the shared AIMTemplateCache informer and lister.
func (f *InformerFactory) AIMTemplateCaches() Informer[listers.AIMTemplateCacheLister] {
	return informerFor(f, "aimtemplatecaches", true, &aimv1.AIMTemplateCache{}, func(ns string) controller.ListWatcher[*aimv1.AIMTemplateCacheList] {
		return f.client.AimV1alpha1().AIMTemplateCaches(ns)
	}, listers.NewAIMTemplateCacheLister)
}
