package controller

import (
	"context"
	"errors"
	"sync"

	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/aimlite/aimlite/pkg/controller/metrics"
)

// InformerFactory is what every shared informer factory (client-go's typed,
// metadata and dynamic factories, and generated ones) implements.
type InformerFactory interface {
	Start(stopCh <-chan struct{})
}

// Manager runs a set of controllers together with the informers they use.
// Register everything, then call Run once (typically only on the elected
// leader, so standby replicas hold no cache).
type Manager struct {
	mu          sync.Mutex
	controllers []*Controller
	factories   []InformerFactory
	informers   []cache.SharedIndexInformer
	optional    []*OptionalKind
	runnables   []func(context.Context)
	observer    metrics.ReconcileObserver
	started     bool
}

// SetReconcileObserver sets the metrics observer of every controller that was
// created without Options.Metrics. Call before Run.
func (m *Manager) SetReconcileObserver(o metrics.ReconcileObserver) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observer = o
}

// NewManager returns an empty manager.
func NewManager() *Manager { return &Manager{} }

// Add registers controllers.
func (m *Manager) Add(cs ...*Controller) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.controllers = append(m.controllers, cs...)
}

// AddInformerFactory registers a factory; Run starts it after all controllers
// have requested their informers from it.
func (m *Manager) AddInformerFactory(f ...InformerFactory) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.factories = append(m.factories, f...)
}

// AddInformer registers a standalone informer (not from a factory) to run.
func (m *Manager) AddInformer(inf ...cache.SharedIndexInformer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.informers = append(m.informers, inf...)
}

// AddOptional registers optional kinds whose discovery loop Run starts.
func (m *Manager) AddOptional(k ...*OptionalKind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.optional = append(m.optional, k...)
}

// AddRunnable registers a function run in its own goroutine until ctx is done.
func (m *Manager) AddRunnable(f func(ctx context.Context)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runnables = append(m.runnables, f)
}

// Controllers returns the registered controllers.
func (m *Manager) Controllers() []*Controller {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Controller(nil), m.controllers...)
}

// Started reports whether Run has been called.
func (m *Manager) Started() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.started
}

// HasSynced reports whether Run was called and every controller's caches have
// synced (readiness). Optional kinds do not count: they may never appear.
func (m *Manager) HasSynced() bool {
	m.mu.Lock()
	started, cs := m.started, append([]*Controller(nil), m.controllers...)
	m.mu.Unlock()
	if !started {
		return false
	}
	for _, c := range cs {
		if !c.HasSynced() {
			return false
		}
	}
	return true
}

// Run starts informers, optional-kind watchers, runnables and controllers, and
// blocks until ctx is done and every controller has drained.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return errors.New("manager: already started")
	}
	m.started = true
	factories, informers := m.factories, m.informers
	optional, runnables, controllers := m.optional, m.runnables, m.controllers
	for _, c := range controllers {
		if !c.ownMetrics && m.observer != nil {
			c.metrics = m.observer
		}
	}
	m.mu.Unlock()

	logger := klog.FromContext(ctx)
	// Informers stop with ctx; controllers drain on their own before we return.
	for _, f := range factories {
		f.Start(ctx.Done())
	}
	var wg sync.WaitGroup
	for _, inf := range informers {
		wg.Go(func() { inf.RunWithContext(ctx) })
	}
	for _, k := range optional {
		wg.Go(func() { k.Run(ctx) })
	}
	for _, r := range runnables {
		wg.Go(func() { r(ctx) })
	}
	errs := make([]error, len(controllers))
	for i, c := range controllers {
		wg.Go(func() { errs[i] = c.Run(ctx) })
	}
	logger.Info("Manager started", "controllers", len(controllers), "optionalKinds", len(optional))
	wg.Wait()
	for _, f := range factories {
		if s, ok := f.(interface{ Shutdown() }); ok {
			s.Shutdown()
		}
	}
	return errors.Join(errs...)
}
