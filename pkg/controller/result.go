package controller

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
)

// Key identifies the object a reconcile is about: namespace/name, with an empty
// namespace for cluster-scoped kinds. It is client-go's cache.ObjectName, so
// cache.NewObjectName, ParseObjectName and String work on it.
type Key = cache.ObjectName

// NewKey builds a Key. Use an empty namespace for cluster-scoped objects.
func NewKey(namespace, name string) Key { return cache.NewObjectName(namespace, name) }

// Result tells the worker what to do after a successful reconcile.
//
//   - zero value: done; the item's rate-limit history is forgotten.
//   - RequeueAfter > 0: forget the history and re-add the key after the delay
//     (polling / waiting on something that has no watch event).
//   - Requeue: re-add the key through the rate limiter (backs off exponentially).
//
// When the reconcile returns an error, Result is ignored (a warning is logged if
// it was not zero): errors always go through the rate limiter, except Terminal ones.
type Result struct {
	Requeue      bool
	RequeueAfter time.Duration
}

// IsZero reports whether r asks for nothing.
func (r Result) IsZero() bool { return !r.Requeue && r.RequeueAfter == 0 }

// ReconcileFunc brings the world in line with the object named by key. It must be
// idempotent: the same key may be reconciled again at any time.
type ReconcileFunc func(ctx context.Context, key Key) (Result, error)

// terminalError marks an error that retrying cannot fix (bad user input that the
// reconciler already reported in status). The worker forgets the key.
type terminalError struct{ err error }

func (t *terminalError) Error() string    { return "terminal: " + t.err.Error() }
func (t *terminalError) Unwrap() error    { return t.err }
func (t *terminalError) Category() string { return CategoryTerminal }

// Terminal wraps err so the worker does not retry it. A nil err stays nil.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return &terminalError{err: err}
}

// IsTerminal reports whether err (or anything it wraps) was made by Terminal.
func IsTerminal(err error) bool {
	var t *terminalError
	return errors.As(err, &t)
}

// Error categories used by DefaultErrorCategory. Reconcilers may use their own
// strings: an error implementing Categorized reports its category itself.
const (
	CategoryTerminal  = "terminal"
	CategoryConflict  = "conflict"
	CategoryTransient = "transient"
)

// Categorized is implemented by errors that know their metric category
// (for example the reconcile engine's typed errors).
type Categorized interface {
	Category() string
}

// DefaultErrorCategory returns the category of the first error in err's chain
// that implements Categorized; else "conflict" for API conflicts; else "transient".
func DefaultErrorCategory(err error) string {
	var c Categorized
	if errors.As(err, &c) {
		if s := c.Category(); s != "" {
			return s
		}
	}
	if apierrors.IsConflict(err) {
		return CategoryConflict
	}
	return CategoryTransient
}
