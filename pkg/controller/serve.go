package controller

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/klog/v2"
)

// Check is a named health or readiness check; a nil error means healthy.
type Check struct {
	Name  string
	Check func(*http.Request) error
}

// HealthHandler serves /healthz and /readyz from the given checks. A failing
// check answers 500 with its name and error; "?verbose" lists every check.
func HealthHandler(healthz, readyz []Check) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", checksHandler(healthz))
	mux.Handle("/readyz", checksHandler(readyz))
	return mux
}

func checksHandler(checks []Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		failed := false
		for _, c := range checks {
			if err := c.Check(r); err != nil {
				failed = true
				fmt.Fprintf(&b, "[-]%s failed: %v\n", c.Name, err)
			} else {
				fmt.Fprintf(&b, "[+]%s ok\n", c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if failed {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(b.String()))
			return
		}
		if _, verbose := r.URL.Query()["verbose"]; verbose {
			_, _ = w.Write([]byte(b.String()))
		}
		_, _ = w.Write([]byte("ok\n"))
	}
}

// MetricsHandler serves g in the Prometheus text format.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

// Serve listens on addr and serves h until ctx is done, then shuts down
// gracefully. An empty addr or "0" disables the server. The listener is bound
// before Serve returns its first error, so a port conflict fails fast.
func Serve(ctx context.Context, addr string, h http.Handler) (net.Addr, <-chan error, error) {
	done := make(chan error, 1)
	if addr == "" || addr == "0" {
		close(done)
		return nil, done, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			klog.FromContext(ctx).Error(err, "HTTP server failed", "addr", ln.Addr().String())
		}
		done <- err
		close(done)
	}()
	return ln.Addr(), done, nil
}
