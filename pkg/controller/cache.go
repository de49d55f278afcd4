package controller

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/tools/cache"
)

// LastAppliedAnnotation is kubectl's client-side-apply copy of the whole object:
// often the largest piece of metadata, and never needed by a controller.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// StripTransform returns an informer transform that drops managedFields entries
// of every manager not listed in keepManagers, and the last-applied annotation.
// Our own managers' entries are kept so the apply engine can Extract what it
// applied last and skip no-op applies; everyone else's cost memory for nothing
// (20–30 % of a typical object). Tombstones pass through unchanged. The
// transform edits the object in place, which is safe: it runs before the
// object is stored or shared.
func StripTransform(keepManagers ...string) cache.TransformFunc {
	keep := map[string]bool{}
	for _, m := range keepManagers {
		keep[m] = true
	}
	return func(obj any) (any, error) {
		if _, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			return obj, nil
		}
		o := asObject(obj)
		if o == nil {
			return obj, nil
		}
		if mf := o.GetManagedFields(); len(mf) > 0 {
			var kept []metav1.ManagedFieldsEntry
			for _, e := range mf {
				if keep[e.Manager] {
					kept = append(kept, e)
				}
			}
			if len(kept) != len(mf) {
				o.SetManagedFields(kept)
			}
		}
		if a := o.GetAnnotations(); a != nil {
			if _, ok := a[LastAppliedAnnotation]; ok {
				delete(a, LastAppliedAnnotation)
				o.SetAnnotations(a)
			}
		}
		return obj, nil
	}
}

// LabelSelector builds a selector string for key: "key" (exists) when no values
// are given, else "key in (v1,v2,...)". Use it to watch only the children an
// operator manages, e.g. LabelSelector("app.kubernetes.io/managed-by", ours...).
func LabelSelector(key string, values ...string) (string, error) {
	op := selection.In
	if len(values) == 0 {
		op = selection.Exists
	}
	r, err := labels.NewRequirement(key, op, values)
	if err != nil {
		return "", fmt.Errorf("label selector on %q: %w", key, err)
	}
	return labels.NewSelector().Add(*r).String(), nil
}

// WithLabelSelector returns a list-options tweak that restricts a watch to
// labelSelector (ANDed with any selector already set).
func WithLabelSelector(labelSelector string) func(*metav1.ListOptions) {
	return func(o *metav1.ListOptions) {
		switch {
		case labelSelector == "":
		case o.LabelSelector == "":
			o.LabelSelector = labelSelector
		default:
			o.LabelSelector += "," + labelSelector
		}
	}
}

// watchedNamespaces returns Namespaces, else Namespace ("" meaning all).
func (o CacheOptions) watchedNamespaces() []string {
	if len(o.Namespaces) > 0 {
		return o.Namespaces
	}
	return []string{o.Namespace}
}

// tweak returns the list-options tweak applying o's selectors.
func (o CacheOptions) tweak() func(*metav1.ListOptions) {
	label := WithLabelSelector(o.LabelSelector)
	return func(lo *metav1.ListOptions) {
		label(lo)
		switch {
		case o.FieldSelector == "":
		case lo.FieldSelector == "":
			lo.FieldSelector = o.FieldSelector
		default:
			lo.FieldSelector += "," + o.FieldSelector
		}
	}
}

// CacheOptions scope the informers of a factory.
type CacheOptions struct {
	// Namespace limits watches to one namespace; "" watches all.
	Namespace string
	// Namespaces, when set, limits watches of namespaced kinds to these
	// namespaces (one informer each behind NewMultiNamespaceInformer) and
	// overrides Namespace. Built with NewNamespacedInformer.
	Namespaces []string
	// LabelSelector limits watches to matching objects; "" watches all.
	LabelSelector string
	// FieldSelector narrows watches further on the server, e.g. Events
	// "involvedObject.kind=InferenceService,type=Warning" instead of every Event.
	FieldSelector string
	// Transform runs on every object before it is cached (e.g. StripTransform).
	Transform cache.TransformFunc
	// Resync is the informer resync period; 0 (recommended) disables it.
	Resync time.Duration
	// Clientset is the clientset a NewInformer ListWatcher comes from. It is
	// only asked whether it supports watch-list streaming (fake clientsets do
	// not); nil means it does.
	Clientset any
}
