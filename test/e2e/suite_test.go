package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

// scenario is one independent end-to-end flow; each runs in parallel in its own namespace.
type scenario struct {
	name string
	run  func(t *testing.T, ns string)
}

// scenarios is filled by the scenario files' init functions.
var scenarios []scenario

func register(name string, run func(t *testing.T, ns string)) {
	scenarios = append(scenarios, scenario{name, run})
}

// op is the operator subprocess (nil when the suite uses an operator already running in the cluster).
var op *operatorProc

// TestE2E starts one aimlite for all scenarios, runs them in parallel, then stops it. Run one scenario
// with -run 'TestE2E/scenarios/<Name>'.
func TestE2E(t *testing.T) {
	if wantOwnOperator() {
		op = startOperator(t)
	} else {
		t.Log("KUBECONFIG set without E2E_START_OPERATOR=1: using the aimlite already running in the cluster")
	}
	stop := make(chan struct{})
	defer close(stop)
	if env.Local() {
		installPodPolicies(t)
		serveDiscoveryLogs(t, stop)
	}
	t0 := time.Now()
	t.Run("scenarios", func(t *testing.T) {
		for _, s := range scenarios {
			t.Run(s.name, func(t *testing.T) {
				t.Parallel()
				ns := newNamespace(t, s.name)
				t.Cleanup(func() {
					if t.Failed() && op != nil {
						t.Logf("aimlite log lines mentioning %s:\n%s", ns, op.tail(40, ns))
					}
				})
				s.run(t, ns)
			})
		}
	})
	t.Logf("%d scenarios in %s", len(scenarios), time.Since(t0).Round(100*time.Millisecond))
}

// discoveryOutput is what a fake AIM image prints for `dry-run --format=json`: noise, then the JSON array
// of profiles. It is derived from the discovery pod's env so every template gets a matching profile.
func discoveryOutput(p *corev1.Pod) string {
	envOf := map[string]string{}
	image := ""
	for _, c := range p.Spec.Containers {
		if c.Name == "discovery" {
			image = c.Image
			for _, e := range c.Env {
				envOf[e.Name] = e.Value
			}
		}
	}
	id := discoveredModelID(image)
	gpu, metric, precision := envOf["AIM_GPU_MODEL"], envOf["AIM_METRIC"], envOf["AIM_PRECISION"]
	if gpu == "" {
		gpu = "MI300X"
	}
	if metric == "" {
		metric = "latency"
	}
	if precision == "" {
		precision = "fp8"
	}
	profile := []map[string]any{{
		"filename": fmt.Sprintf("vllm-%s-%s-tp1-%s.yaml", strings.ToLower(gpu), precision, metric),
		"profile": map[string]any{
			"model":       id,
			"metadata":    map[string]any{"engine": "vllm", "gpu": gpu, "precision": precision, "gpu_count": 1, "metric": metric, "type": "optimized"},
			"engine_args": map[string]any{"tensor-parallel-size": 1},
			"env_vars":    map[string]any{"VLLM_E2E": "1"},
		},
		"models": []map[string]any{{"name": id, "source": "hf://" + id, "size_gb": 1.5}},
	}}
	b, _ := json.Marshal(profile)
	return "INFO starting dry run [rank 0]\n" + string(b) + "\nINFO done"
}

// discoveredModelID is the model ID the fake discovery reports for an image: org/<repository name>.
func discoveredModelID(image string) string {
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.Index(name, ":"); i >= 0 {
		name = name[:i]
	}
	return "org/" + name
}

// checkSizeOutputs maps "<namespace>/<artifact>" to the check-size output a scenario wants; others get
// a valid 5 GiB answer.
var checkSizeOutputs sync.Map

// checkSizeOutput is the check-size container's log: its last line is {"url", "sizeBytes"} (C7).
func checkSizeOutput(p *corev1.Pod) string {
	if v, ok := checkSizeOutputs.Load(p.Namespace + "/" + p.Labels["aim.eai.amd.com/cache.name"]); ok {
		return v.(string)
	}
	url := ""
	for _, c := range p.Spec.Containers {
		if len(c.Args) > 0 {
			url = c.Args[0]
		}
	}
	return fmt.Sprintf("checking %s\n{\"url\":%q,\"sizeBytes\":5368709120}", url, url)
}

// failPrefix: discovery pods of templates whose name starts with it, and check-size/download pods of
// artifacts whose name contains it (artifact names start with the source URI), fail with exit code 3.
const failPrefix = "fail-"

// outputGate holds the pods whose output the suite plays until their log is set (see installPodPolicies).
const outputGate = "aimlite.dev/e2e-output"

// podPolicies is set once the admission policies below are in force (local control plane only).
var podPolicies bool

// installPodPolicies makes the kwok pods of the operator's Jobs deterministic with two
// MutatingAdmissionPolicies, applied at pod creation, before kwok can run anything:
//   - discovery, check-size and download pods get a scheduling gate; serveLogs sets their log and then
//     removes the gate, so the operator never reads a log that is not there yet;
//   - pods of fail-* templates and artifacts get kwok's failure annotations (exit code 3), so kwok fails
//     them instead of completing them (a patch after creation would race with kwok).
//
// Without the policies (an apiserver without the API) the logs are set as fast as the watch allows and the
// failure scenarios skip.
func installPodPolicies(t *testing.T) {
	t.Helper()
	const policy = `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata:
  name: %[1]s
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["pods"]
  matchConditions:
  - name: selected
    expression: >-
      %[2]s
  failurePolicy: Fail
  reinvocationPolicy: Never
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        %[3]s
`
	const binding = `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata:
  name: %[1]s
spec:
  policyName: %[1]s
`
	labels := "has(object.metadata.labels) && "
	policies := [][3]string{
		{"aimlite-e2e-hold-pods",
			labels + "('aim.eai.amd.com/template' in object.metadata.labels || 'aim.eai.amd.com/component' in object.metadata.labels &&" +
				" object.metadata.labels['aim.eai.amd.com/component'] in ['check-size', 'download'])",
			`Object{spec: Object.spec{schedulingGates: [Object.spec.schedulingGates{name: "` + outputGate + `"}]}}`},
		{"aimlite-e2e-failing-pods",
			labels + "('aim.eai.amd.com/template' in object.metadata.labels &&" +
				" object.metadata.labels['aim.eai.amd.com/template'].startsWith('" + failPrefix + "') ||" +
				" 'aim.eai.amd.com/cache.name' in object.metadata.labels &&" +
				" object.metadata.labels['aim.eai.amd.com/cache.name'].contains('" + failPrefix + "'))",
			`Object{metadata: Object.metadata{annotations: {"localcluster.aimlite.dev/exit-code": "3",` +
				` "localcluster.aimlite.dev/termination-message": "simulated failure"}}}`},
	}
	for _, p := range policies {
		for _, m := range []string{fmt.Sprintf(policy, p[0], p[1], p[2]), fmt.Sprintf(binding, p[0])} {
			u := decode(t, m)
			r := res(u.GetKind(), "")
			if _, err := r.Create(bg, u, metav1.CreateOptions{}); err != nil {
				t.Logf("MutatingAdmissionPolicy unavailable; pod logs race with kwok and failure scenarios skip: %v", err)
				return
			}
			t.Cleanup(func() { _ = r.Delete(bg, u.GetName(), metav1.DeleteOptions{}) })
		}
	}
	// The apiserver picks policies up asynchronously: dry-run a labelled pod until both mutations show.
	probe := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "probe", Labels: map[string]string{"aim.eai.amd.com/template": failPrefix + "probe"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}}}
	waitUntil(t, 30*time.Second, "the pod admission policies", func() (bool, string) {
		p, err := env.Client.CoreV1().Pods(systemNamespace()).Create(bg, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return false, err.Error()
		}
		return p.Annotations["localcluster.aimlite.dev/exit-code"] == "3" && hasGate(p),
			fmt.Sprintf("annotations %v, scheduling gates %v", p.Annotations, p.Spec.SchedulingGates)
	})
	podPolicies = true
}

func hasGate(p *corev1.Pod) bool {
	for _, g := range p.Spec.SchedulingGates {
		if g.Name == outputGate {
			return true
		}
	}
	return false
}

// serveDiscoveryLogs plays the containers whose output the operator reads: the discovery container of
// the AIM image (profiles, or an error for fail-* templates), check-size, and the downloader (a
// "No space left on device" log for failing artifacts), through kwok's log endpoint (testenv.SetPodLogs).
func serveDiscoveryLogs(t *testing.T, stop chan struct{}) {
	serveLogs(t, stop, "aim.eai.amd.com/template", func(p *corev1.Pod) error {
		if strings.HasPrefix(p.Labels["aim.eai.amd.com/template"], failPrefix) {
			return env.SetPodLogs(bg, p.Namespace, p.Name, "discovery", "INFO starting dry run\nERROR no profile matches this hardware")
		}
		return env.SetPodLogs(bg, p.Namespace, p.Name, "discovery", discoveryOutput(p))
	})
	serveLogs(t, stop, "aim.eai.amd.com/component=check-size", func(p *corev1.Pod) error {
		return env.SetPodLogs(bg, p.Namespace, p.Name, "check-size", checkSizeOutput(p))
	})
	serveLogs(t, stop, "aim.eai.amd.com/component=download", func(p *corev1.Pod) error {
		out := "Downloading with XET\nDownload complete"
		if strings.Contains(p.Labels["aim.eai.amd.com/cache.name"], failPrefix) {
			out = "Downloading with XET\nOSError: [Errno 28] No space left on device\nAborting"
		}
		return env.SetPodLogs(bg, p.Namespace, p.Name, "model-download", out)
	})
}

// serveLogs runs handle once for every pod matching selector, then lifts the pod's output gate.
func serveLogs(t *testing.T, stop chan struct{}, selector string, handle func(*corev1.Pod) error) {
	f := informers.NewSharedInformerFactoryWithOptions(env.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	var mu sync.Mutex
	done := map[string]bool{}
	serve := func(obj any) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		key := p.Namespace + "/" + p.Name
		mu.Lock()
		defer mu.Unlock()
		if done[key] {
			return
		}
		if err := handle(p); err != nil {
			t.Logf("playing pod %s: %v", key, err)
			return
		}
		if hasGate(p) {
			// The gate is the only one (nothing else gates these pods): remove the list.
			patch := []byte(`[{"op":"remove","path":"/spec/schedulingGates"}]`)
			err := retry.OnError(retry.DefaultBackoff, func(error) bool { return true }, func() error {
				_, err := env.Client.CoreV1().Pods(p.Namespace).Patch(bg, p.Name, types.JSONPatchType, patch, metav1.PatchOptions{})
				if apierrors.IsNotFound(err) {
					return nil
				}
				return err
			})
			if err != nil {
				t.Logf("ungating pod %s: %v", key, err)
				return
			}
		}
		done[key] = true
	}
	_, _ = f.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: serve, UpdateFunc: func(_, o any) { serve(o) },
	})
	f.Start(stop)
	f.WaitForCacheSync(stop)
}

// gpuDeviceIDs are the device IDs of the GPU models the scenarios use (catalogue §7).
var gpuDeviceIDs = map[string][]string{
	"MI300X": {"74a1", "74a9", "74b5", "74bd"},
	"MI325X": {"74a5", "74b9"},
	"MI355X": {"75a3", "75b3"},
}

// requireGPU skips the test unless some node carries the device-ID label of the GPU model. The local
// control plane always has MI300X and MI325X nodes.
func requireGPU(t *testing.T, model string) {
	t.Helper()
	if env.Local() {
		return
	}
	nodes, err := env.Client.CoreV1().Nodes().List(bg, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	for _, n := range nodes.Items {
		for _, id := range gpuDeviceIDs[model] {
			if n.Labels["amd.com/gpu.device-id"] == id || n.Labels["beta.amd.com/gpu.device-id"] == id {
				return
			}
		}
	}
	t.Skipf("no node with an %s (amd.com/gpu.device-id) label in this cluster", model)
}

// requireLocal skips the test on an external cluster, saying why.
func requireLocal(t *testing.T, why string) {
	t.Helper()
	if !env.Local() {
		t.Skipf("needs the local control plane: %s", why)
	}
}

// Paused dependencies: the reconciler leaves them alone, so the test sets their status (catalogue §4.2).
const pausedAnnotation = `aim.eai.amd.com/reconciliation-paused: "true"`

// paintModel creates a paused AIMModel whose status the test controls.
func paintModel(t *testing.T, ns, name, image, status string) *U {
	t.Helper()
	m := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: %s
  annotations:
    %s
spec:
  image: %s
`, name, pausedAnnotation, image)
	setModelStatus(t, ns, name, status)
	return m
}

func setModelStatus(t *testing.T, ns, name, status string) {
	t.Helper()
	setStatus(t, "AIMModel", ns, name, map[string]any{"status": status})
}

// paintTemplate creates a paused AIMServiceTemplate with a hand-set Ready status and one model source.
func paintTemplate(t *testing.T, ns, name, model, status, sourceURI, modelID string) *U {
	t.Helper()
	tpl := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: %s
  annotations:
    %s
spec:
  modelName: %s
  metric: latency
  precision: fp8
`, name, pausedAnnotation, model)
	readyStatus, reason, message := "True", "AllComponentsReady", "All components are ready"
	if status != "Ready" {
		readyStatus, reason, message = "False", "Progressing", "Waiting for components to become ready"
	}
	setStatus(t, "AIMServiceTemplate", ns, name, map[string]any{
		"status": status,
		"profile": map[string]any{"metadata": map[string]any{"type": "optimized", "metric": "latency", "precision": "fp8",
			"gpu": "MI300X", "gpuCount": int64(1), "engine": "vllm"}},
		"resolvedHardware": map[string]any{"gpu": map[string]any{"requests": int64(1), "model": "MI300X"}},
		"hardwareSummary":  "1 x MI300X",
		"modelSources":     []any{map[string]any{"sourceUri": sourceURI, "modelId": modelID, "size": "1Gi"}},
		"conditions": []any{map[string]any{"type": "Ready", "status": readyStatus, "reason": reason,
			"message": message, "lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)}},
	})
	return tpl
}

// createPredictorPod creates a pod labelled as the ISVC's predictor and waits until it is Ready.
func createPredictorPod(t *testing.T, ns, isvc string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: isvc + "-predictor-e2e", Namespace: ns,
			Labels: map[string]string{"serving.kserve.io/inferenceservice": isvc, "component": "predictor"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kserve-container", Image: "registry.k8s.io/pause:3.10"}}},
	}
	if _, err := env.Client.CoreV1().Pods(ns).Create(bg, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("predictor pod: %v", err)
	}
	waitUntil(t, 60*time.Second, "predictor pod Ready", func() (bool, string) {
		p, err := env.Client.CoreV1().Pods(ns).Get(bg, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true, ""
			}
		}
		return false, fmt.Sprintf("phase %s", p.Status.Phase)
	})
}

// setISVCReady sets the InferenceService's Ready condition to True, as KServe would.
func setISVCReady(t *testing.T, ns, isvc string) {
	t.Helper()
	setStatus(t, "InferenceService", ns, isvc, map[string]any{"conditions": []any{
		map[string]any{"type": "Ready", "status": "True", "lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)},
	}})
}

// printerColumnsPopulated asks the apiserver for the object as a Table (what `kubectl get` prints) and
// expects the named columns to be non-empty.
func printerColumnsPopulated(t *testing.T, kind, ns, name string, columns ...string) {
	t.Helper()
	k := kinds[kind]
	path := fmt.Sprintf("/apis/%s/%s/namespaces/%s/%s/%s", k.gvr.Group, k.gvr.Version, ns, k.gvr.Resource, name)
	if k.cluster {
		path = fmt.Sprintf("/apis/%s/%s/%s/%s", k.gvr.Group, k.gvr.Version, k.gvr.Resource, name)
	}
	raw, err := env.Client.Discovery().RESTClient().Get().AbsPath(path).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(bg).Raw()
	if err != nil {
		t.Errorf("%s %s as Table: %v", kind, name, err)
		return
	}
	var tbl metav1.Table
	if err := json.Unmarshal(raw, &tbl); err != nil || len(tbl.Rows) != 1 {
		t.Errorf("%s %s as Table: %v (%d rows)", kind, name, err, len(tbl.Rows))
		return
	}
	idx := map[string]int{}
	for i, c := range tbl.ColumnDefinitions {
		idx[c.Name] = i
	}
	for _, col := range columns {
		i, ok := idx[col]
		if !ok {
			t.Errorf("%s: no printer column %q (have %v)", kind, col, tbl.ColumnDefinitions)
			continue
		}
		if v := tbl.Rows[0].Cells[i]; v == nil || fmt.Sprint(v) == "" || fmt.Sprint(v) == "<none>" {
			t.Errorf("%s %s: printer column %q is empty", kind, name, col)
		}
	}
}

// newNamespace creates a short-named namespace for a scenario and deletes it when the test ends. Names
// stay short because the InferenceService name budget is 63 − 11 − len(namespace) (catalogue C15).
func newNamespace(t *testing.T, scenario string) string {
	t.Helper()
	short := strings.ToLower(scenario)
	if len(short) > 14 {
		short = short[:14]
	}
	return createNamespace(t, fmt.Sprintf("e2e-%s-%05d", short, rand.IntN(100000)))
}

func createNamespace(t *testing.T, name string) string {
	t.Helper()
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"aimlite.dev/e2e": "true"}}}
	if _, err := env.Client.CoreV1().Namespaces().Create(bg, n, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := env.Client.CoreV1().Namespaces().Delete(bg, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	waitUntil(t, 30*time.Second, "default ServiceAccount in "+name, func() (bool, string) {
		_, err := env.Client.CoreV1().ServiceAccounts(name).Get(bg, "default", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	return name
}

// eventCheck is a check on the events about object name: one of the given type and reason, emitted by
// component (core/v1 source.component, or reportingComponent for events written through events/v1).
func eventCheck(ns, name, typ, reason, component string) check {
	return func(*U) error {
		evs, err := env.Client.CoreV1().Events(ns).List(bg, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return err
		}
		var seen []string
		for _, e := range evs.Items {
			from := e.Source.Component
			if from == "" {
				from = e.ReportingController
			}
			if e.Type == typ && e.Reason == reason && from == component {
				return nil
			}
			seen = append(seen, fmt.Sprintf("%s/%s from %q", e.Type, e.Reason, from))
		}
		return fmt.Errorf("no %s event %s from %s about %s; events %v", typ, reason, component, name, seen)
	}
}
