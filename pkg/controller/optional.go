package controller

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// OptionalKind is a kind served by a CRD that may be missing (another project's
// API, such as an inference-serving or gateway CRD). Its informer starts only
// once discovery serves the resource; until then Available is false and the
// operator keeps running. When the kind appears, registered handlers are
// attached to a new informer and, once it has synced, every controller that
// registered with OwnsOptional/WatchesOptional re-enqueues all its primaries.
// If the CRD is removed later, the informer stops and Available turns false.
type OptionalKind struct {
	gvr         schema.GroupVersionResource
	disco       ResourceDiscoverer
	newInformer func() cache.SharedIndexInformer
	interval    time.Duration
	trigger     chan struct{}

	mu        sync.Mutex
	informer  cache.SharedIndexInformer // nil until available
	available bool
	stop      context.CancelFunc
	handlers  []cache.ResourceEventHandler
	onStart   []func()
	indexers  cache.Indexers
}

// ResourceDiscoverer is the part of discovery.DiscoveryInterface OptionalKind
// uses; NewResourceDiscoverer implements it without client-go's discovery
// package. A group/version that is not served must yield an error for which
// apierrors.IsNotFound is true.
type ResourceDiscoverer interface {
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// OptionalKindOptions configure NewOptionalKind.
type OptionalKindOptions struct {
	// NewInformer builds a fresh, unstarted informer for the kind; see DynamicInformer.
	NewInformer func() cache.SharedIndexInformer
	// Discovery is asked whether the group/version serves the resource
	// (NewResourceDiscoverer, or any uncached discovery.DiscoveryInterface).
	Discovery ResourceDiscoverer
	// PollInterval is how often discovery is asked; zero means 30 s. A CRD
	// watch (WatchCRDs) makes a newly installed CRD noticed at once.
	PollInterval time.Duration
}

// NewOptionalKind describes an optional kind. Start it with Run (the Manager
// does this for kinds added with AddOptional).
func NewOptionalKind(gvr schema.GroupVersionResource, o OptionalKindOptions) *OptionalKind {
	if o.PollInterval <= 0 {
		o.PollInterval = 30 * time.Second
	}
	return &OptionalKind{
		gvr: gvr, disco: o.Discovery, newInformer: o.NewInformer, interval: o.PollInterval,
		trigger: make(chan struct{}, 1),
	}
}

// DynamicInformer returns a NewInformer function building a dynamic
// (unstructured) informer for gvr, scoped by o: its namespace(s) ("" = all),
// label and field selectors and transform. It is built directly on the
// dynamic client rather than with dynamicinformer, which imports client-go's
// informers factory and so every API group.
func DynamicInformer(client dynamic.Interface, gvr schema.GroupVersionResource, o CacheOptions) func() cache.SharedIndexInformer {
	o.Clientset = client // the fake dynamic client opts out of watch-list streaming
	return func() cache.SharedIndexInformer {
		return NewNamespacedInformer(func(ns string) ListWatcher[*unstructured.UnstructuredList] {
			return client.Resource(gvr).Namespace(ns)
		}, &unstructured.Unstructured{}, o)
	}
}

// GVR returns the kind's group, version and resource.
func (k *OptionalKind) GVR() schema.GroupVersionResource { return k.gvr }

// Available reports whether the kind is served and its cache has synced.
// Reconcilers use it to report a clear condition instead of failing.
func (k *OptionalKind) Available() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.available
}

// Informer returns the running informer, or nil while the kind is unavailable.
// Read objects with Informer().GetIndexer().
func (k *OptionalKind) Informer() cache.SharedIndexInformer {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.available {
		return nil
	}
	return k.informer
}

// AddIndexers adds indexers to every informer this kind will run. Call before Run.
func (k *OptionalKind) AddIndexers(ix cache.Indexers) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.indexers == nil {
		k.indexers = cache.Indexers{}
	}
	for n, f := range ix {
		k.indexers[n] = f
	}
}

func (k *OptionalKind) addHandler(h cache.ResourceEventHandler, onStart func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.handlers = append(k.handlers, h)
	k.onStart = append(k.onStart, onStart)
}

// Trigger asks for an immediate discovery check (a CRD was added or removed).
func (k *OptionalKind) Trigger() {
	select {
	case k.trigger <- struct{}{}:
	default:
	}
}

// Run checks discovery now, on every Trigger and every poll interval, starting
// or stopping the informer accordingly, until ctx is done.
func (k *OptionalKind) Run(ctx context.Context) {
	logger := klog.FromContext(ctx).WithValues("optionalKind", k.gvr.String())
	ctx = klog.NewContext(ctx, logger)
	fastRetries := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			k.stopInformer()
			return
		case <-k.trigger:
			// A CRD event: discovery may lag the CRD by a moment, so re-check
			// every second for a while.
			fastRetries = 10
		case <-timer.C:
		}
		served, err := k.served()
		switch {
		case err != nil:
			logger.V(2).Info("Discovery failed; keeping current state", "err", err.Error())
		case served && !k.running():
			fastRetries = 0
			k.startInformer(ctx)
		case !served && k.running():
			logger.Info("Kind no longer served; stopping its informer")
			k.stopInformer()
		}
		wait := k.interval
		if fastRetries > 0 && !k.running() {
			fastRetries--
			wait = time.Second
		}
		timer.Reset(wait)
	}
}

func (k *OptionalKind) served() (bool, error) {
	list, err := k.disco.ServerResourcesForGroupVersion(k.gvr.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range list.APIResources {
		if r.Name == k.gvr.Resource {
			return true, nil
		}
	}
	return false, nil
}

func (k *OptionalKind) running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.informer != nil
}

func (k *OptionalKind) startInformer(ctx context.Context) {
	logger := klog.FromContext(ctx)
	inf := k.newInformer()
	k.mu.Lock()
	if len(k.indexers) > 0 {
		if err := inf.AddIndexers(k.indexers); err != nil {
			logger.Error(err, "Adding indexers")
		}
	}
	var regs []cache.ResourceEventHandlerRegistration
	for _, h := range k.handlers {
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			logger.Error(err, "Adding handler")
			continue
		}
		regs = append(regs, reg)
	}
	onStart := append([]func(){}, k.onStart...)
	ictx, cancel := context.WithCancel(ctx)
	k.informer, k.stop = inf, cancel
	k.mu.Unlock()

	logger.Info("Kind is served; starting its informer")
	go inf.RunWithContext(ictx)
	go func() {
		synced := []cache.InformerSynced{inf.HasSynced}
		for _, r := range regs {
			synced = append(synced, r.HasSynced)
		}
		if !cache.WaitForCacheSync(ictx.Done(), synced...) {
			return
		}
		k.mu.Lock()
		if k.informer != inf { // stopped or replaced meanwhile
			k.mu.Unlock()
			return
		}
		k.available = true
		k.mu.Unlock()
		logger.Info("Optional kind available; re-enqueueing dependants")
		for _, f := range onStart {
			f()
		}
	}()
}

func (k *OptionalKind) stopInformer() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stop != nil {
		k.stop()
	}
	k.informer, k.stop, k.available = nil, nil, false
}

// WatchCRDs triggers a discovery check of the matching optional kind whenever a
// CustomResourceDefinition named "<resource>.<group>" is added or deleted. inf
// should be a metadata-only informer on customresourcedefinitions: CRDs are few
// and their metadata small, while full CRD objects carry large schemas.
func WatchCRDs(inf cache.SharedIndexInformer, kinds ...*OptionalKind) error {
	notify := crdNotifier(kinds...)
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, n any) { notify(n) }, // e.g. a new version became served
		DeleteFunc: notify,
	})
	return err
}

func crdNotifier(kinds ...*OptionalKind) func(obj any) {
	byName := map[string]*OptionalKind{}
	for _, k := range kinds {
		byName[k.gvr.Resource+"."+k.gvr.Group] = k
	}
	return func(obj any) {
		if o := asObject(obj); o != nil {
			if k := byName[o.GetName()]; k != nil {
				k.Trigger()
			}
		}
	}
}
