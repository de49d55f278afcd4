// Package models holds the integration tests of the runtime-config, model and service-template
// reconcilers on a real local control plane (internal/testenv: etcd, kube-apiserver, kube-controller-
// manager with the Job and garbage-collector controllers, kwok nodes with AMD GPU labels). The reconcilers
// run in-process against testenv's rest.Config; discovery pods are completed by kwok, and their output is
// served by kwok's log endpoint (testenv.SetPodLogs), read through the real pods/log API.
package models

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/klog/v2"

	"github.com/go-logr/logr"

	"github.com/aimlite/aimlite/internal/testenv"
	"github.com/aimlite/aimlite/pkg/aim/aimclient"
	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/discovery"
	"github.com/aimlite/aimlite/pkg/aim/imagemeta"
	"github.com/aimlite/aimlite/pkg/controller"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	"github.com/aimlite/aimlite/pkg/kubeclient"
	"github.com/aimlite/aimlite/pkg/reconciler/model"
	"github.com/aimlite/aimlite/pkg/reconciler/runtimeconfig"
	"github.com/aimlite/aimlite/pkg/reconciler/servicetemplate"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard()) // condition logs are asserted through status instead
	env.Main(m)
}

// Test settings of the in-process operator.
const (
	systemNS     = "aim-system"
	discoveryCap = 4
	testBackoff  = 3 * time.Second
	// failPrefix: discovery pods of templates whose name starts with it fail on their first attempt.
	failPrefix = "fail-"
)

// operator is the runtime-config, model and template controllers running in-process.
type operator struct {
	muts   *testenv.Mutations  // the operator's mutating requests; idle must add none
	client versioned.Interface // the test's own client (not counted)
	kube   kubernetes.Interface
	dyn    dynamic.Interface
	tpl    *servicetemplate.Registered
	// maxRunning is the largest number of running discovery Jobs seen by the Job watcher.
	maxRunning atomic.Int64
}

var (
	opOnce sync.Once
	op     *operator
)

func startOperator(t *testing.T) *operator {
	t.Helper()
	opOnce.Do(func() {
		ctx := context.Background()
		o := &operator{client: versioned.NewForConfigOrDie(env.Config), kube: env.Client, dyn: env.Dynamic}
		if _, err := env.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNS}}, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("system namespace: %v", err)
		}
		cfg, muts := testenv.CountMutations(env.Config)
		o.muts = muts
		cfg.QPS, cfg.Burst = 200, 400
		client := aimclient.NewForConfigOrDie(cfg)
		kube, err := kubeclient.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dyn := dynamic.NewForConfigOrDie(cfg)

		aimFactory := aimclient.NewInformerFactory(client, controller.CacheOptions{})
		// Nodes as metadata only, as cmd/aimlite wires them.
		nodes := controller.NewMetadataInformer(metadata.NewForConfigOrDie(cfg), schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, controller.CacheOptions{})
		mgr := controller.NewManager()
		mgr.AddInformer(nodes)
		q := controller.DefaultQueueOptions()
		q.Workers = 4
		if err := runtimeconfig.Register(runtimeconfig.Deps{Manager: mgr, Informers: aimFactory, Client: client, Queue: q}); err != nil {
			t.Fatal(err)
		}
		if err := model.Register(model.Deps{Manager: mgr, Informers: aimFactory, Client: client, Kube: kube, Dynamic: dyn,
			Fetcher: imagemeta.RegistryFetcher{}, Queue: q, SystemNamespace: systemNS}); err != nil {
			t.Fatal(err)
		}
		reg, err := servicetemplate.Register(servicetemplate.Deps{Manager: mgr, AIMInformers: aimFactory, Nodes: nodes,
			Client: client, Kube: kube, Dynamic: dyn, Queue: q, SystemNamespace: systemNS, DiscoveryCap: discoveryCap,
			Backoff: discovery.Backoff{Base: testBackoff},
			PodAnnotations: func(_, tpl string, attempt int32) map[string]string {
				if strings.HasPrefix(tpl, failPrefix) && attempt == 0 {
					return map[string]string{"localcluster.aimlite.dev/exit-code": "3",
						"localcluster.aimlite.dev/termination-message": "simulated discovery failure"}
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		o.tpl = reg
		go func() { _ = mgr.Run(context.Background()) }()
		if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true,
			func(context.Context) (bool, error) { return mgr.HasSynced(), nil }); err != nil {
			t.Fatalf("caches did not sync: %v", err)
		}
		go o.serveDiscoveryLogs(context.Background())
		go o.watchRunning(context.Background())
		op = o
	})
	if op == nil {
		t.Fatal("operator failed to start")
	}
	return op
}

// DiscoveryOutput is what the fake AIM image prints for `dry-run --format=json`: log noise, then the JSON.
const DiscoveryOutput = `INFO starting dry run [rank 0]
[{"filename":"vllm-mi300x-fp8-tp1-latency.yaml","profile":{"model":"org/llama","metadata":{"engine":"vllm","gpu":"MI300X","precision":"fp8","gpu_count":1,"metric":"latency","type":"optimized"},"engine_args":{"tensor-parallel-size":1},"env_vars":{"VLLM_X":"1"}},"models":[{"name":"org/llama","source":"hf://org/llama","size_gb":15.5}]}]
INFO done`

// serveDiscoveryLogs plays the discovery container: it gives every new discovery pod its output
// through kwok's log endpoint, as soon as the pod exists.
func (o *operator) serveDiscoveryLogs(ctx context.Context) {
	done := map[string]bool{}
	for ctx.Err() == nil {
		pods, err := o.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: constants.LabelTemplate})
		if err == nil {
			for _, p := range pods.Items {
				key := p.Namespace + "/" + p.Name
				if done[key] || p.Annotations["localcluster.aimlite.dev/exit-code"] != "" {
					continue
				}
				if err := env.SetPodLogs(ctx, p.Namespace, p.Name, constants.DiscoveryContainerName, DiscoveryOutput); err == nil {
					done[key] = true
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// watchRunning records the peak number of running discovery Jobs seen in the API (not the cache).
func (o *operator) watchRunning(ctx context.Context) {
	for ctx.Err() == nil {
		jobs, err := o.kube.BatchV1().Jobs("").List(ctx, metav1.ListOptions{LabelSelector: constants.LabelK8sName + "=" + constants.DiscoveryAppName})
		if err == nil {
			n := int64(0)
			for i := range jobs.Items {
				if discovery.Finished(&jobs.Items[i]) == nil {
					n++
				}
			}
			for {
				cur := o.maxRunning.Load()
				if n <= cur || o.maxRunning.CompareAndSwap(cur, n) {
					break
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually polls cond until it holds or the timeout expires.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, msg := cond()
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not reached in %s; last: %s", what, timeout, last)
	}
}
