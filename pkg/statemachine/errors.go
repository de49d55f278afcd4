package statemachine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ErrorCategory drives the parent conditions and the queue decision (see the package doc).
type ErrorCategory int

const (
	CategoryUnknown ErrorCategory = iota
	CategoryInfrastructure
	CategoryAuth
	CategoryMissingDownstreamDependency
	CategoryMissingUpstreamDependency
	CategoryInvalidSpec
	CategoryResourceExhaustion
)

func (c ErrorCategory) String() string {
	switch c {
	case CategoryInfrastructure:
		return "Infrastructure"
	case CategoryAuth:
		return "Auth"
	case CategoryMissingDownstreamDependency:
		return "MissingDependency"
	case CategoryMissingUpstreamDependency:
		return "MissingReference"
	case CategoryInvalidSpec:
		return "InvalidSpec"
	case CategoryResourceExhaustion:
		return "ResourceExhaustion"
	}
	return "Unknown"
}

// StateEngineError is an error with a category, a condition reason and a user-facing message.
type StateEngineError interface {
	error
	Category() ErrorCategory
	Reason() string
	UserMessage() string
}

type categorized struct {
	category ErrorCategory
	reason   string
	message  string
	cause    error
}

func (e *categorized) Error() string           { return e.reason + ": " + e.message }
func (e *categorized) Unwrap() error           { return e.cause }
func (e *categorized) Category() ErrorCategory { return e.category }
func (e *categorized) Reason() string          { return e.reason }
func (e *categorized) UserMessage() string     { return e.message }
func newErr(c ErrorCategory, reason, message string, cause error) StateEngineError {
	return &categorized{category: c, reason: reason, message: message, cause: cause}
}

// NewError builds a StateEngineError of any category; the typed constructors below are shorthands.
func NewError(c ErrorCategory, reason, message string, cause error) StateEngineError {
	return newErr(c, reason, message, cause)
}

func NewInfrastructureError(reason, message string, cause error) StateEngineError {
	return newErr(CategoryInfrastructure, reason, message, cause)
}
func NewAuthError(reason, message string, cause error) StateEngineError {
	return newErr(CategoryAuth, reason, message, cause)
}
func NewInvalidSpecError(reason, message string, cause error) StateEngineError {
	return newErr(CategoryInvalidSpec, reason, message, cause)
}
func NewMissingUpstreamDependencyError(reason, message string, cause error) StateEngineError {
	return newErr(CategoryMissingUpstreamDependency, reason, message, cause)
}
func NewMissingDownstreamDependencyError(reason, message string, cause error) StateEngineError {
	return newErr(CategoryMissingDownstreamDependency, reason, message, cause)
}
func NewResourceExhaustionError(reason, message string, cause error) StateEngineError {
	return newErr(CategoryResourceExhaustion, reason, message, cause)
}

// IsStateEngineError reports whether err (or something it wraps) is already categorized.
func IsStateEngineError(err error) bool {
	var se StateEngineError
	return errors.As(err, &se)
}

// CategorizeError is the single classifier. A wrapped StateEngineError keeps its own category; API status
// errors, network errors and context deadlines are mapped as in the contract catalogue; anything else is
// Unknown (which the engine treats as infrastructure). It returns nil for a nil error.
func CategorizeError(err error) StateEngineError {
	if err == nil {
		return nil
	}
	var se StateEngineError
	if errors.As(err, &se) {
		return se
	}
	infra := func(reason, msg string) StateEngineError { return newErr(CategoryInfrastructure, reason, msg, err) }
	spec := func(reason, msg string) StateEngineError { return newErr(CategoryInvalidSpec, reason, msg, err) }
	switch {
	case apierrors.IsNotFound(err):
		return newErr(CategoryMissingDownstreamDependency, "NotFound", "Resource not found", err)
	case apierrors.IsUnauthorized(err):
		return newErr(CategoryAuth, "Unauthorized", "Authentication required or invalid credentials", err)
	case apierrors.IsForbidden(err):
		return newErr(CategoryAuth, "Forbidden", "Insufficient permissions to access resource", err)
	case apierrors.IsInvalid(err):
		return spec("InvalidSpec", "Resource specification is invalid")
	case apierrors.IsAlreadyExists(err):
		return spec("AlreadyExists", "Resource already exists")
	case apierrors.IsConflict(err):
		return infra("Conflict", "Resource conflict - version mismatch or concurrent modification")
	case apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err):
		return infra("Timeout", "Request timed out")
	case apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err):
		return infra("ServiceUnavailable", "Kubernetes API server unavailable or internal error")
	case apierrors.IsTooManyRequests(err):
		return infra("RateLimited", "Too many requests - rate limited")
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if code := status.Status().Code; code >= 500 {
			return infra("ServerError", "Server error (5xx)")
		} else if code >= 400 {
			return spec("ClientError", "Client error (4xx)")
		}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return infra("ConnectionRefused", "Connection refused - service may be down")
	case errors.Is(err, syscall.ETIMEDOUT):
		return infra("NetworkTimeout", "Network timeout")
	case errors.Is(err, syscall.ECONNRESET):
		return infra("ConnectionReset", "Connection reset by peer")
	case errors.Is(err, context.DeadlineExceeded):
		// Not in the reference table (it fell to Unknown, treated as infra anyway); named for clarity.
		return infra("Timeout", "Request timed out")
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return infra("DNSFailure", "DNS resolution failed for "+dnsErr.Name)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return infra("NetworkError", "Network operation failed: "+opErr.Op)
	}
	return newErr(CategoryUnknown, "UnknownError", err.Error(), err)
}

// InfrastructureError is what Run returns for transient failures: a stable text for the workqueue's
// rate limiter and logs, with the causes reachable through errors.Is/As.
type InfrastructureError struct {
	Errors []error
}

func (e *InfrastructureError) Error() string {
	if len(e.Errors) == 1 {
		return "infrastructure error (1 failure)"
	}
	return fmt.Sprintf("infrastructure errors (%d failures)", len(e.Errors))
}

func (e *InfrastructureError) Unwrap() []error { return e.Errors }
