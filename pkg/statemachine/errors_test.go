package statemachine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestCategorizeError(t *testing.T) {
	gr := schema.GroupResource{Resource: "things"}
	status := func(code int32) error {
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: metav1.StatusReason("Custom")}}
	}
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("x")}
	for _, tc := range []struct {
		name   string
		err    error
		cat    ErrorCategory
		reason string
		msg    string
	}{
		{"not found", apierrors.NewNotFound(gr, "x"), CategoryMissingDownstreamDependency, "NotFound", "Resource not found"},
		{"unauthorized", apierrors.NewUnauthorized("x"), CategoryAuth, "Unauthorized", "Authentication required or invalid credentials"},
		{"forbidden", apierrors.NewForbidden(gr, "x", errors.New("no")), CategoryAuth, "Forbidden", "Insufficient permissions to access resource"},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "T"}, "x", nil), CategoryInvalidSpec, "InvalidSpec", "Resource specification is invalid"},
		{"already exists", apierrors.NewAlreadyExists(gr, "x"), CategoryInvalidSpec, "AlreadyExists", "Resource already exists"},
		{"conflict", apierrors.NewConflict(gr, "x", errors.New("rv")), CategoryInfrastructure, "Conflict", "Resource conflict - version mismatch or concurrent modification"},
		{"server timeout", apierrors.NewServerTimeout(gr, "get", 1), CategoryInfrastructure, "Timeout", "Request timed out"},
		{"timeout", apierrors.NewTimeoutError("slow", 1), CategoryInfrastructure, "Timeout", "Request timed out"},
		{"unavailable", apierrors.NewServiceUnavailable("x"), CategoryInfrastructure, "ServiceUnavailable", "Kubernetes API server unavailable or internal error"},
		{"internal", apierrors.NewInternalError(errors.New("x")), CategoryInfrastructure, "ServiceUnavailable", "Kubernetes API server unavailable or internal error"},
		{"too many", apierrors.NewTooManyRequests("x", 1), CategoryInfrastructure, "RateLimited", "Too many requests - rate limited"},
		{"other 5xx", status(502), CategoryInfrastructure, "ServerError", "Server error (5xx)"},
		{"other 4xx", status(418), CategoryInvalidSpec, "ClientError", "Client error (4xx)"},
		{"refused", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}, CategoryInfrastructure, "ConnectionRefused", "Connection refused - service may be down"},
		{"etimedout", fmt.Errorf("w: %w", syscall.ETIMEDOUT), CategoryInfrastructure, "NetworkTimeout", "Network timeout"},
		{"reset", fmt.Errorf("w: %w", syscall.ECONNRESET), CategoryInfrastructure, "ConnectionReset", "Connection reset by peer"},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), CategoryInfrastructure, "Timeout", "Request timed out"},
		{"dns", &net.DNSError{Name: "api.example", Err: "no such host"}, CategoryInfrastructure, "DNSFailure", "DNS resolution failed for api.example"},
		{"op", opErr, CategoryInfrastructure, "NetworkError", "Network operation failed: dial"},
		{"unknown", errors.New("strange"), CategoryUnknown, "UnknownError", "strange"},
		{"wrapped categorized", fmt.Errorf("ctx: %w", NewAuthError("Mine", "my message", nil)), CategoryAuth, "Mine", "my message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CategorizeError(tc.err)
			if got.Category() != tc.cat || got.Reason() != tc.reason || got.UserMessage() != tc.msg {
				t.Fatalf("got %s/%s/%q, want %s/%s/%q", got.Category(), got.Reason(), got.UserMessage(), tc.cat, tc.reason, tc.msg)
			}
			if !errors.Is(got, tc.err) && !IsStateEngineError(tc.err) {
				t.Fatal("the cause must stay reachable")
			}
		})
	}
	if CategorizeError(nil) != nil {
		t.Fatal("nil")
	}
}

func TestTypedConstructorsAndStrings(t *testing.T) {
	cause := errors.New("cause")
	for _, tc := range []struct {
		err  StateEngineError
		cat  ErrorCategory
		name string
	}{
		{NewInfrastructureError("R", "m", cause), CategoryInfrastructure, "Infrastructure"},
		{NewAuthError("R", "m", cause), CategoryAuth, "Auth"},
		{NewInvalidSpecError("R", "m", cause), CategoryInvalidSpec, "InvalidSpec"},
		{NewMissingUpstreamDependencyError("R", "m", cause), CategoryMissingUpstreamDependency, "MissingReference"},
		{NewMissingDownstreamDependencyError("R", "m", cause), CategoryMissingDownstreamDependency, "MissingDependency"},
		{NewResourceExhaustionError("R", "m", cause), CategoryResourceExhaustion, "ResourceExhaustion"},
		{NewError(CategoryUnknown, "R", "m", cause), CategoryUnknown, "Unknown"},
	} {
		if tc.err.Category() != tc.cat || tc.cat.String() != tc.name || tc.err.Error() != "R: m" || !errors.Is(tc.err, cause) || !IsStateEngineError(tc.err) {
			t.Errorf("%s: %v", tc.name, tc.err)
		}
	}
	if IsStateEngineError(cause) {
		t.Error("plain error")
	}
	one := &InfrastructureError{Errors: []error{cause}}
	two := &InfrastructureError{Errors: []error{cause, cause}}
	if one.Error() != "infrastructure error (1 failure)" || two.Error() != "infrastructure errors (2 failures)" || !errors.Is(two, cause) {
		t.Errorf("%v / %v", one, two)
	}
}

func TestComponentHealthDerivation(t *testing.T) {
	for _, tc := range []struct {
		errs []error
		want State
	}{
		{nil, StateReady},
		{[]error{NewAuthError("a", "b", nil)}, StateFailed},
		{[]error{NewResourceExhaustionError("a", "b", nil)}, StateFailed},
		{[]error{NewInvalidSpecError("a", "b", nil)}, StateFailed},
		{[]error{NewMissingUpstreamDependencyError("a", "b", nil)}, StateDegraded},
		{[]error{infraErr()}, StateDegraded},
		{[]error{NewMissingDownstreamDependencyError("a", "b", nil)}, StateProgressing},
		{[]error{errors.New("unknown")}, StateProgressing},
		{[]error{infraErr(), NewAuthError("a", "b", nil)}, StateFailed},
	} {
		if got := (ComponentHealth{Errors: tc.errs}).GetState(); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.errs, got, tc.want)
		}
	}
	h := ComponentHealth{}
	if h.GetReason() != "Ready" || h.GetMessage() != "" {
		t.Error("empty health")
	}
	h = ComponentHealth{Errors: []error{NewAuthError("R", "M", nil)}}
	if h.GetReason() != "R" || h.GetMessage() != "M" {
		t.Error("from error")
	}
	h.Reason, h.Message, h.State = "X", "Y", StatePending
	if h.GetReason() != "X" || h.GetMessage() != "Y" || h.GetState() != StatePending {
		t.Error("explicit")
	}
}
