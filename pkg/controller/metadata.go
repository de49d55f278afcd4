package controller

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
)

// NewMetadataInformer returns a metadata-only informer for gvr
// (PartialObjectMetadata: ~1.6 KB per object instead of ~10 KB for a Pod) for
// "does it exist / which labels / who owns it" lookups, scoped by o.Namespace,
// o.LabelSelector and o.FieldSelector, transformed by o.Transform, resynced every
// o.Resync, and indexed by namespace. Register it with Manager.AddInformer.
// It replaces metadatainformer's factory, which imports client-go's informers
// factory and with it every API group.
func NewMetadataInformer(client metadata.Interface, gvr schema.GroupVersionResource, o CacheOptions) cache.SharedIndexInformer {
	if o.Clientset == nil {
		o.Clientset = client // the fake metadata client opts out of watch-list streaming
	}
	return NewInformer[*metav1.PartialObjectMetadataList](client.Resource(gvr).Namespace(o.Namespace),
		&metav1.PartialObjectMetadata{}, o)
}
