// Command aimlite runs the AIM operator: it connects to the apiserver, elects a
// leader, and on the leader starts the controllers registered in controllers.go.
// Probes (/healthz, /readyz) and /metrics are served by every replica.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/controller/metrics"
)

func main() {
	o := defaultOptions()
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	o.bindFlags(fs)
	bindModelFlags(fs)
	klog.InitFlags(fs)
	_ = fs.Parse(os.Args[1:])
	if err := setupLogging(o.logFormat); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, o)
	klog.Flush()
	if err != nil {
		klog.ErrorS(err, "aimlite exiting")
		klog.FlushAndExit(klog.ExitFlushTimeout, 1)
	}
}

func run(ctx context.Context, o options) error {
	logger := klog.FromContext(ctx)
	if err := o.validate(); err != nil {
		return err
	}
	cfg, err := o.restConfig()
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	metrics.RegisterClientGo(reg)
	prom := metrics.New("aimlite", reg)

	e, err := newEnv(cfg, o, prom)
	if err != nil {
		return err
	}
	if err := registerControllers(ctx, e); err != nil {
		return fmt.Errorf("registering controllers: %w", err)
	}
	e.Manager.SetReconcileObserver(prom)

	le := controller.NewLeaderElector(e.Kube.CoordinationV1(), o.leader)
	healthz := []controller.Check{
		{Name: "ping", Check: func(*http.Request) error { return nil }},
		{Name: "leader-election", Check: le.Check},
	}
	readyz := []controller.Check{{Name: "caches", Check: func(*http.Request) error {
		// A standby replica is ready but idle: it holds no cache until elected.
		if !le.IsLeader() || e.Manager.HasSynced() {
			return nil
		}
		return errors.New("caches not synced")
	}}}

	srvCtx, stopServers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServers()
	probeAddr, probeDone, err := controller.Serve(srvCtx, o.probeAddr, controller.HealthHandler(healthz, readyz))
	if err != nil {
		return fmt.Errorf("probe server: %w", err)
	}
	metricsAddr, metricsDone, err := controller.Serve(srvCtx, o.metricsAddr, controller.MetricsHandler(reg))
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	logger.Info("Serving", "probes", addrString(probeAddr), "metrics", addrString(metricsAddr),
		"leaderElect", o.leader.Enabled, "identity", le.Identity(), "namespaces", o.namespaces.String(),
		"controllers", len(e.Manager.Controllers()))

	runErr := le.Run(ctx, func(ctx context.Context) {
		if err := e.Manager.Run(ctx); err != nil {
			logger.Error(err, "Manager stopped with errors")
		}
	})
	stopServers()
	<-probeDone
	<-metricsDone
	return runErr
}

func addrString(a net.Addr) string {
	if a == nil {
		return "disabled"
	}
	return a.String()
}
