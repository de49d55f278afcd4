package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/internal/localcluster"
)

func init() {
	register("TemplateGPUNotAvailable", templateGPUNotAvailable)
	register("TemplateInlineModelSources", templateInlineModelSources)
	register("TemplateDiscoveryJob", templateDiscoveryJob)
	register("TemplateDiscoveryFails", templateDiscoveryFails)
}

// metadataModel creates a model with in-spec metadata and no recommended deployments: no registry access
// and no generated templates, so the model's state follows the templates the test creates.
func metadataModel(t *testing.T, ns, name, image string) *U {
	t.Helper()
	return create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: %s
spec:
  image: %s
  imageMetadata:
    model:
      canonicalName: org/%s
`, name, image, name)
}

// A template whose GPU model is absent from the cluster is NotAvailable/GPUNotAvailable and starts no
// discovery; its model becomes NotAvailable/NoTemplatesAvailable without feeding that back to the template
// (deadlock guard, §2.9). Locally, a node with that GPU arriving makes the template available.
func templateGPUNotAvailable(t *testing.T, ns string) {
	metadataModel(t, ns, "gpu-absent", "ghcr.io/silogen/aim-gpu-absent:0.1.0")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: tpl-mi355x
spec:
  modelName: gpu-absent
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI355X
      requests: 1
`)
	if !env.Local() {
		requireNoGPU(t, "MI355X")
	}
	waitFor(t, "AIMServiceTemplate", ns, "tpl-mi355x", 30*time.Second, statusIs("NotAvailable"),
		hasCond("GPUReady", "False", "GPUNotAvailable", "Required GPU model 'MI355X' not available in cluster. Available: *"),
		hasCond("Ready", "False", "GPUNotAvailable", "Component GPU is not ready: Required GPU model 'MI355X' not available in cluster*"),
		hasCond("ModelReady", "True", "ModelFound", "AIMModel found with valid image"))
	waitFor(t, "AIMModel", ns, "gpu-absent", 30*time.Second, statusIs("NotAvailable"),
		hasCond("ServiceTemplatesReady", "False", "NoTemplatesAvailable",
			"None of the model's templates are available (no matching GPUs in the cluster)"))
	if jobs := list(t, "Job", ns, "aim.eai.amd.com/template=tpl-mi355x"); len(jobs) > 0 {
		t.Errorf("discovery started although the GPU is absent: %v", names(jobs))
	}
	// The template still says NotAvailable after the model went NotAvailable (no feedback loop).
	waitFor(t, "AIMServiceTemplate", ns, "tpl-mi355x", 10*time.Second, statusIs("NotAvailable"),
		hasCond("ModelReady", "True", "ModelFound", ""))

	if !env.Local() {
		return
	}
	// The Node watch: an MI355X node appears, the template's GPU becomes available and discovery runs.
	node := localcluster.Node{Name: "e2e-mi355x-" + ns[len(ns)-5:], GPUs: 8,
		Labels: map[string]string{localcluster.LabelGPUDeviceID: "75a3"}}
	if err := env.AddNode(bg, node); err != nil {
		t.Fatalf("add node: %v", err)
	}
	t.Cleanup(func() { _ = env.DeleteNode(bg, node.Name) })
	waitFor(t, "AIMServiceTemplate", ns, "tpl-mi355x", 90*time.Second, statusIs("Ready"),
		hasCond("GPUReady", "True", "GPUAvailable", "GPU model 'MI355X' is available"))
	waitFor(t, "AIMModel", ns, "gpu-absent", 30*time.Second, statusIs("Ready"),
		hasCond("ServiceTemplatesReady", "True", "AllTemplatesReady", ""))
}

// requireNoGPU skips when an external cluster happens to have the GPU the test wants absent.
func requireNoGPU(t *testing.T, model string) {
	t.Helper()
	nodes, err := env.Client.CoreV1().Nodes().List(bg, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	for _, n := range nodes.Items {
		for _, id := range gpuDeviceIDs[model] {
			if n.Labels["amd.com/gpu.device-id"] == id {
				t.Skipf("this cluster has an %s node", model)
			}
		}
	}
}

// A template with in-line modelSources is Ready at once (no discovery): Discovered=True/
// InlineModelSources, status copied from the spec, node affinity on the GPU's device IDs.
func templateInlineModelSources(t *testing.T, ns string) {
	requireGPU(t, "MI300X")
	metadataModel(t, ns, "inline-model", "ghcr.io/silogen/aim-inline:0.1.0")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: tpl-inline
spec:
  modelName: inline-model
  type: optimized
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
  modelSources:
  - modelId: org/inline-1b
    sourceUri: hf://org/inline-1b
    size: 3Gi
`)
	tpl := waitFor(t, "AIMServiceTemplate", ns, "tpl-inline", 30*time.Second, statusIs("Ready"),
		hasCond("Discovered", "True", "InlineModelSources", "Model sources provided in-line in spec"),
		hasCond("ModelReady", "True", "ModelFound", "AIMModel found with valid image"),
		hasCond("GPUReady", "True", "GPUAvailable", "GPU model 'MI300X' is available"),
		hasCond("RuntimeConfigReady", "True", "DefaultConfigNotFound", "Default config was not found"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	expect(t, tpl,
		noCond("DiscoveryJobReady"), noCond("DiscoveryPodsReady"),
		fieldIs("1 x MI300X", "status", "hardwareSummary"),
		fieldIs("hf://org/inline-1b", "status", "modelSources", "0", "sourceUri"),
		fieldIs("org/inline-1b", "status", "modelSources", "0", "modelId"),
		fieldIs("inline-model", "status", "resolvedModel", "name"),
		nodeAffinityOn(gpuDeviceIDs["MI300X"]),
	)
	if jobs := list(t, "Job", ns, "aim.eai.amd.com/template=tpl-inline"); len(jobs) > 0 {
		t.Errorf("template with in-line sources started discovery Jobs %v", names(jobs))
	}
	printerColumnsPopulated(t, "AIMServiceTemplate", ns, "tpl-inline", "Model", "Status", "Hardware", "Metric", "Precision")
	waitFor(t, "AIMModel", ns, "inline-model", 30*time.Second, statusIs("Ready"),
		hasCond("ServiceTemplatesReady", "True", "AllTemplatesReady", "All templates are ready"))
}

// nodeAffinityOn expects status.resolvedNodeAffinity to require amd.com/gpu.device-id In ids (any order).
func nodeAffinityOn(ids []string) check {
	return nodeAffinityAt(ids, "status", "resolvedNodeAffinity")
}

// nodeAffinityAt expects the node affinity at path to require amd.com/gpu.device-id In ids (any order).
func nodeAffinityAt(ids []string, path ...string) check {
	return func(u *U) error {
		got := field(u, append(path, "requiredDuringSchedulingIgnoredDuringExecution")...)
		if !strings.Contains(got, `"key":"amd.com/gpu.device-id"`) || !strings.Contains(got, `"operator":"In"`) {
			return fmt.Errorf("%s %s lacks amd.com/gpu.device-id In", strings.Join(path, "."), got)
		}
		for _, id := range ids {
			if !strings.Contains(got, `"`+id+`"`) {
				return fmt.Errorf("%s %s lacks device ID %s", strings.Join(path, "."), got, id)
			}
		}
		return nil
	}
}

// Discovery: a template without sources runs the discovery Job of catalogue C3 (exact name, labels,
// spec, env §6.2); its output (served as the pod's log) fills the template's status and makes it Ready.
func templateDiscoveryJob(t *testing.T, ns string) {
	requireLocal(t, "the discovery pod's output is served through kwok's log endpoint (testenv.SetPodLogs)")
	const image = "ghcr.io/silogen/aim-disc:1.0.0"
	metadataModel(t, ns, "disc-model", image)
	tpl := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: tpl-disc
spec:
  modelName: disc-model
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
`)
	// s = modelName + image + serviceAccount + env + pull secrets + metric + precision + gpu + profileId.
	jobName := discoveryJobName("tpl-disc", "disc-model"+image+""+""+""+"latency"+"fp8"+"MI300X"+"1"+"")
	var job *U
	waitUntil(t, 30*time.Second, "discovery Job", func() (bool, string) {
		jobs := list(t, "Job", ns, "aim.eai.amd.com/template=tpl-disc")
		if len(jobs) == 0 {
			return false, "no Job labelled aim.eai.amd.com/template=tpl-disc"
		}
		job = &jobs[0]
		return true, ""
	})
	if job.GetName() != jobName {
		t.Errorf("discovery Job name %s, want %s (catalogue C3)", job.GetName(), jobName)
	}
	expect(t, job,
		labelIs("app.kubernetes.io/name", "aim-discovery"),
		labelIs("app.kubernetes.io/component", "discovery"),
		labelIs("app.kubernetes.io/managed-by", "aim-controller"),
		labelIs("aim.eai.amd.com/template", "tpl-disc"),
		controlledBy(tpl),
		fieldIs(0, "spec", "backoffLimit"),
		fieldIs(60, "spec", "ttlSecondsAfterFinished"),
		fieldIs("tpl-disc", "spec", "template", "metadata", "labels", "aim.eai.amd.com/template"),
		fieldIs("Never", "spec", "template", "spec", "restartPolicy"),
		fieldIs(65532, "spec", "template", "spec", "securityContext", "runAsUser"),
		fieldIs(true, "spec", "template", "spec", "securityContext", "runAsNonRoot"),
		fieldIs("RuntimeDefault", "spec", "template", "spec", "securityContext", "seccompProfile", "type"),
		fieldIs("discovery", "spec", "template", "spec", "containers", "0", "name"),
		fieldIs(image, "spec", "template", "spec", "containers", "0", "image"),
		fieldIs(`["dry-run","--format=json"]`, "spec", "template", "spec", "containers", "0", "args"),
		fieldIs(false, "spec", "template", "spec", "containers", "0", "securityContext", "allowPrivilegeEscalation"),
		fieldIs(`["ALL"]`, "spec", "template", "spec", "containers", "0", "securityContext", "capabilities", "drop"),
		envIs([]string{"spec", "template", "spec", "containers", "0", "env"},
			"AIM_LOG_LEVEL_ROOT=CRITICAL", "AIM_LOG_LEVEL=CRITICAL", "AIM_METRIC=latency", "AIM_PRECISION=fp8",
			"AIM_GPU_MODEL=MI300X", "AIM_GPU_COUNT=1"),
	)
	expect(t, job, controllerRefBlocksDeletion())
	got := waitFor(t, "AIMServiceTemplate", ns, "tpl-disc", 90*time.Second, statusIs("Ready"),
		hasCond("Ready", "True", "AllComponentsReady", "All components are ready"))
	// The discovery components are computed until the template is Ready and then stay as they were.
	expect(t, got, hasCond("DiscoveryJobReady", "True", "Ready", ""),
		hasCond("DiscoveryPodsReady", "True", "PodsReady", "Pods are ready"))
	id := discoveredModelID(image)
	expect(t, got,
		fieldIs(job.GetName(), "status", "discoveryJob", "name"),
		fieldIs(ns, "status", "discoveryJob", "namespace"),
		fieldIs(ns, "status", "resolvedModel", "namespace"),
		fieldIs("hf://"+id, "status", "modelSources", "0", "sourceUri"),
		fieldIs(id, "status", "modelSources", "0", "modelId"),
		fieldIs("vllm", "status", "profile", "metadata", "engine"),
		fieldIs("1 x MI300X", "status", "hardwareSummary"),
		nodeAffinityOn(gpuDeviceIDs["MI300X"]),
		// The reference ends the discovery path on Discovered=False/AwaitingDiscovery (a bug, §3.4);
		// either that or True/DiscoveryComplete is acceptable, nothing else.
		func(u *U) error {
			c := findCond(u, "Discovered")
			if c == nil || !(c.Status == "True" && c.Reason == "DiscoveryComplete" || c.Status == "False" && c.Reason == "AwaitingDiscovery") {
				return fmt.Errorf("Discovered = %+v", c)
			}
			return nil
		},
	)
}

// envIs expects the env list at path to be exactly these NAME=value pairs, in order.
func envIs(path []string, want ...string) check {
	return func(u *U) error {
		var got []string
		for _, e := range sliceAt(u, path...) {
			m, _ := e.(map[string]any)
			got = append(got, fmt.Sprintf("%v=%v", m["name"], m["value"]))
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			return fmt.Errorf("env %v, want %v", got, want)
		}
		return nil
	}
}

// A discovery pod that fails (exit code 3): with backoffLimit 0 the Job fails at once, which is a spec
// error (§2.4: JobBackoffLimitExceeded, Spec), so the template is Failed with ConfigValid=False/InvalidSpec;
// the failure is counted in status.discovery and Discovered waits for the backoff (§1.2).
func templateDiscoveryFails(t *testing.T, ns string) {
	requireLocal(t, "the discovery pod is made to fail through kwok's failure annotations")
	if !podPolicies {
		t.Skip("no MutatingAdmissionPolicy to make the discovery pod fail")
	}
	metadataModel(t, ns, "fail-model", "ghcr.io/silogen/aim-fail:1.0.0")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: %sdisc
spec:
  modelName: fail-model
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
`, failPrefix)
	tpl := waitFor(t, "AIMServiceTemplate", ns, failPrefix+"disc", 60*time.Second, statusIs("Failed"),
		hasCond("DiscoveryJobReady", "False", "JobBackoffLimitExceeded", ""),
		fieldIs(1, "status", "discovery", "attempts"))
	expect(t, tpl,
		hasCond("Discovered", "False", "AwaitingDiscovery", "Waiting *"),
		func(u *U) error {
			if field(u, "status", "discovery", "lastFailureReason") == "<none>" || field(u, "status", "discovery", "lastAttemptTime") == "<none>" {
				return fmt.Errorf("status.discovery %s lacks lastFailureReason/lastAttemptTime", field(u, "status", "discovery"))
			}
			return nil
		})
	// JobBackoffLimitExceeded and PodFailed are Spec-category (§2.3, §2.4): ConfigValid and Ready say InvalidSpec
	// during the backoff (1m here). A poll, not a snapshot: the failed pod may reach the cache a moment after the Job.
	waitFor(t, "AIMServiceTemplate", ns, failPrefix+"disc", 20*time.Second, statusIs("Failed"),
		hasCond("DiscoveryJobReady", "False", "JobBackoffLimitExceeded", ""),
		hasCond("ConfigValid", "False", "InvalidSpec", "Configuration validation failed"),
		hasCond("Ready", "False", "InvalidSpec", "Configuration validation failed"),
		hasCond("DiscoveryPodsReady", "False", "PodFailed", "Container discovery failed with exit code 3: simulated failure*"))
	waitFor(t, "AIMModel", ns, "fail-model", 30*time.Second, statusIs("Failed"),
		hasCond("ServiceTemplatesReady", "False", "AllTemplatesFailed", "All templates are degraded or failed"))
}

func init() { register("TemplateGPURequirements", templateGPURequirements) }

// GPU requirements other than a model (§2.9, §7): any GPU accepted; a minimum VRAM no node has
// (VRAMNotAvailable, naming the largest GPU); a minimum VRAM only MI325X meets (affinity on its IDs only).
func templateGPURequirements(t *testing.T, ns string) {
	requireLocal(t, "the expected VRAM figures are those of the local MI300X (192G) and MI325X (256G) nodes")
	metadataModel(t, ns, "vram-model", "ghcr.io/silogen/aim-vram:0.1.0")
	tpl := func(name, gpu string) {
		create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMServiceTemplate
metadata:
  name: %s
spec:
  modelName: vram-model
  metric: latency
  precision: fp8
  hardware:
    gpu: %s
  modelSources:
  - modelId: org/vram
    sourceUri: hf://org/vram
    size: 1Gi
`, name, gpu)
	}
	tpl("any-gpu", "{requests: 1}")
	tpl("too-much-vram", "{requests: 1, minVram: 512Gi}")
	tpl("big-vram", "{requests: 1, minVram: 200Gi}")
	waitFor(t, "AIMServiceTemplate", ns, "any-gpu", 30*time.Second, statusIs("Ready"),
		hasCond("GPUReady", "True", "GPUAvailable", "GPU available (any model accepted): *"))
	waitFor(t, "AIMServiceTemplate", ns, "too-much-vram", 30*time.Second, statusIs("NotAvailable"),
		hasCond("GPUReady", "False", "VRAMNotAvailable", ""),
		func(u *U) error { // TemplateGPUNotAvailable may have added its MI355X (288G) node meanwhile
			m := findCond(u, "GPUReady").Message
			const p = "Required minimum VRAM (512Gi) exceeds available GPUs. Highest available: "
			if m != p+"MI325X (256Gi)" && m != p+"MI355X (288Gi)" {
				return fmt.Errorf("GPUReady message %q", m)
			}
			return nil
		})
	big := waitFor(t, "AIMServiceTemplate", ns, "big-vram", 30*time.Second, statusIs("Ready"))
	expect(t, big, nodeAffinityOn(gpuDeviceIDs["MI325X"]), func(u *U) error {
		got := field(u, "status", "resolvedNodeAffinity")
		for _, id := range gpuDeviceIDs["MI300X"] {
			if strings.Contains(got, `"`+id+`"`) {
				return fmt.Errorf("affinity %s admits MI300X (%s, 192G) below minVram 200Gi", got, id)
			}
		}
		return nil
	})
}
