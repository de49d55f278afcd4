package controller

import (
	"sync"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/kubeclient"
)

// KubeInformers hands out typed informers for the built-in kinds the operator
// watches, one per (kind, label selector), each registered with the Manager on
// first use. It replaces client-go's informers factory, which links the
// informers of every API group. Namespace(s), Transform and Resync of the
// options apply to every informer; LabelSelector is given per call.
type KubeInformers struct {
	mgr  *Manager
	kube kubeclient.Interface
	o    CacheOptions

	mu sync.Mutex
	m  map[[2]string]cache.SharedIndexInformer
}

// NewKubeInformers returns a KubeInformers over kube whose informers mgr runs.
func NewKubeInformers(mgr *Manager, kube kubeclient.Interface, o CacheOptions) *KubeInformers {
	if o.Clientset == nil {
		o.Clientset = kube // fake clientsets do not support watch-list streaming
	}
	return &KubeInformers{mgr: mgr, kube: kube, o: o, m: map[[2]string]cache.SharedIndexInformer{}}
}

func (k *KubeInformers) get(kind, sel string, build func(CacheOptions) cache.SharedIndexInformer) cache.SharedIndexInformer {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := [2]string{kind, sel}
	if inf, ok := k.m[key]; ok {
		return inf
	}
	o := k.o
	o.LabelSelector = sel
	inf := build(o)
	k.m[key] = inf
	k.mgr.AddInformer(inf)
	return inf
}

// Pods returns the informer of Pods matching labelSelector.
func (k *KubeInformers) Pods(labelSelector string) cache.SharedIndexInformer {
	return k.get("pods", labelSelector, func(o CacheOptions) cache.SharedIndexInformer {
		return NewNamespacedInformer(func(ns string) ListWatcher[*corev1.PodList] { return k.kube.CoreV1().Pods(ns) }, &corev1.Pod{}, o)
	})
}

// PersistentVolumeClaims returns the informer of PVCs matching labelSelector.
func (k *KubeInformers) PersistentVolumeClaims(labelSelector string) cache.SharedIndexInformer {
	return k.get("persistentvolumeclaims", labelSelector, func(o CacheOptions) cache.SharedIndexInformer {
		return NewNamespacedInformer(func(ns string) ListWatcher[*corev1.PersistentVolumeClaimList] {
			return k.kube.CoreV1().PersistentVolumeClaims(ns)
		}, &corev1.PersistentVolumeClaim{}, o)
	})
}

// Nodes returns the informer of Nodes matching labelSelector (cluster-scoped).
func (k *KubeInformers) Nodes(labelSelector string) cache.SharedIndexInformer {
	return k.get("nodes", labelSelector, func(o CacheOptions) cache.SharedIndexInformer {
		return NewInformer[*corev1.NodeList](k.kube.CoreV1().Nodes(), &corev1.Node{}, o)
	})
}

// Jobs returns the informer of Jobs matching labelSelector.
func (k *KubeInformers) Jobs(labelSelector string) cache.SharedIndexInformer {
	return k.get("jobs", labelSelector, func(o CacheOptions) cache.SharedIndexInformer {
		return NewNamespacedInformer(func(ns string) ListWatcher[*batchv1.JobList] { return k.kube.BatchV1().Jobs(ns) }, &batchv1.Job{}, o)
	})
}

// RoleBindings returns the informer of RoleBindings matching labelSelector.
func (k *KubeInformers) RoleBindings(labelSelector string) cache.SharedIndexInformer {
	return k.get("rolebindings", labelSelector, func(o CacheOptions) cache.SharedIndexInformer {
		return NewNamespacedInformer(func(ns string) ListWatcher[*rbacv1.RoleBindingList] { return k.kube.RbacV1().RoleBindings(ns) }, &rbacv1.RoleBinding{}, o)
	})
}

// HorizontalPodAutoscalers returns the informer of autoscaling/v2 HPAs matching labelSelector.
func (k *KubeInformers) HorizontalPodAutoscalers(labelSelector string) cache.SharedIndexInformer {
	return k.get("horizontalpodautoscalers", labelSelector, func(o CacheOptions) cache.SharedIndexInformer {
		return NewNamespacedInformer(func(ns string) ListWatcher[*autoscalingv2.HorizontalPodAutoscalerList] {
			return k.kube.AutoscalingV2().HorizontalPodAutoscalers(ns)
		}, &autoscalingv2.HorizontalPodAutoscaler{}, o)
	})
}
