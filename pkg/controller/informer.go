package controller

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// ListWatcher is the List/Watch pair every typed client offers for a resource,
// e.g. kube.CoreV1().Pods(namespace) or kube.BatchV1().Jobs("").
type ListWatcher[L runtime.Object] interface {
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// NewInformer builds an informer for one kind straight from a typed client,
// restricted by o.LabelSelector and o.FieldSelector and transformed by o.Transform (o.Namespace is
// chosen by the client passed in). Unlike client-go's informers factory it does
// not link the informers and listers of every API group (about 1.3 MB, measured, of
// binary). Register it with Manager.AddInformer. Example:
//
//	pods := controller.NewInformer[*corev1.PodList](kube.CoreV1().Pods(ns), &corev1.Pod{}, opts)
func NewInformer[L runtime.Object](lw ListWatcher[L], example runtime.Object, o CacheOptions) cache.SharedIndexInformer {
	tweak := o.tweak()
	var client any = lw
	if o.Clientset != nil {
		client = o.Clientset
	}
	inf := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			tweak(&opts)
			return lw.List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			tweak(&opts)
			return lw.Watch(ctx, opts)
		},
	}, client), example, o.Resync, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	if o.Transform != nil {
		_ = inf.SetTransform(o.Transform) // cannot fail before the informer runs
	}
	return inf
}

// NewNamespacedInformer is NewInformer for a namespaced kind: clientFor binds
// the typed client to a namespace, and the informer watches
// o.watchedNamespaces() — one namespace (or all), or several behind one
// composite informer. Example:
//
//	pods := controller.NewNamespacedInformer(func(ns string) controller.ListWatcher[*corev1.PodList] {
//		return kube.CoreV1().Pods(ns)
//	}, &corev1.Pod{}, opts)
func NewNamespacedInformer[L runtime.Object](clientFor func(namespace string) ListWatcher[L], example runtime.Object, o CacheOptions) cache.SharedIndexInformer {
	return NewMultiNamespaceInformer(o.watchedNamespaces(), func(ns string) cache.SharedIndexInformer {
		return NewInformer[L](clientFor(ns), example, o)
	})
}
