package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aimlite/aimlite/pkg/controller"
)

type options struct {
	kubeconfig      string
	namespaces      namespaceList // watched namespaces; empty = all
	systemNamespace string
	queue           controller.QueueOptions
	rest            controller.RESTOptions
	leader          controller.LeaderElectionOptions
	metricsAddr     string
	probeAddr       string
	logFormat       string
	optionalPoll    time.Duration
}

func defaultOptions() options {
	ns := systemNamespace()
	// The lease namespace defaults to --system-namespace (see validate).
	le := controller.DefaultLeaderElectionOptions("aimlite-leader")
	return options{
		systemNamespace: ns,
		queue:           controller.DefaultQueueOptions(),
		rest:            controller.DefaultRESTOptions(),
		leader:          le,
		metricsAddr:     ":8080",
		probeAddr:       ":8081",
		logFormat:       "text",
		optionalPoll:    30 * time.Second,
	}
}

// systemNamespace follows the reference: AIM_SYSTEM_NAMESPACE, else the
// service account's namespace, else aim-system.
func systemNamespace() string {
	if ns := os.Getenv("AIM_SYSTEM_NAMESPACE"); ns != "" {
		return ns
	}
	if b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		if ns := strings.TrimSpace(string(b)); ns != "" {
			return ns
		}
	}
	return "aim-system"
}

func (o *options) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "Path to a kubeconfig; empty means in-cluster configuration.")
	fs.Var(&o.namespaces, "namespace", "Only watch these namespaces, comma-separated or repeated (empty: all namespaces).")
	fs.StringVar(&o.systemNamespace, "system-namespace", o.systemNamespace, "The operator's own namespace (cluster-scoped kinds run their Jobs here).")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", o.metricsAddr, "Address of the Prometheus /metrics endpoint; \"0\" disables it.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", o.probeAddr, "Address of /healthz and /readyz; \"0\" disables it.")
	fs.StringVar(&o.logFormat, "log-format", o.logFormat, "Log format: text or json.")
	fs.DurationVar(&o.optionalPoll, "optional-kind-poll", o.optionalPoll, "How often discovery is asked whether optional CRDs (KServe, Gateway API) are installed.")
	o.queue.BindFlags(fs)
	o.rest.BindFlags(fs)
	o.leader.BindFlags(fs)
}

func (o *options) validate() error {
	for _, ns := range o.namespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return fmt.Errorf("--namespace %q: %s", ns, strings.Join(errs, "; "))
		}
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, not %q", o.logFormat)
	}
	if o.queue.Workers < 1 {
		return errors.New("--workers must be at least 1")
	}
	if o.leader.Namespace == "" {
		o.leader.Namespace = o.systemNamespace
	}
	return nil
}

// childNamespaces are the namespaces of the built-in children we watch: the
// watched namespaces plus the system namespace, where cluster-scoped templates
// run their discovery Jobs (nil: all namespaces).
func (o *options) childNamespaces() []string {
	if len(o.namespaces) == 0 || slices.Contains(o.namespaces, o.systemNamespace) {
		return o.namespaces
	}
	return append(slices.Clone(o.namespaces), o.systemNamespace)
}

// namespaceList is a flag.Value of namespaces: "a,b", or the flag repeated.
type namespaceList []string

func (l *namespaceList) String() string { return strings.Join(*l, ",") }

func (l *namespaceList) Set(v string) error {
	for _, ns := range strings.Split(v, ",") {
		if ns = strings.TrimSpace(ns); ns != "" && !slices.Contains(*l, ns) {
			*l = append(*l, ns)
		}
	}
	return nil
}

func (o *options) restConfig() (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if o.kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kube client configuration: %w", err)
	}
	cfg = o.rest.Apply(cfg)
	cfg.UserAgent = "aimlite"
	return cfg, nil
}
