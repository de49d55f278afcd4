package inspect_test

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/aimlite/aimlite/pkg/statemachine/inspect"
)

// memoryLogs serves container logs from memory, as a test would.
type memoryLogs map[string][]string

func (m memoryLogs) TailLogs(_ context.Context, _ *corev1.Pod, container string, _ int64) ([]string, error) {
	return m[container], nil
}

func ExamplePodInspector() {
	failed := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{
		Name:  "download",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", Message: "download failed"}},
	}}}}
	logs := memoryLogs{"download": {"fetching s3://bucket/model", "write /cache/x: no space left on device"}}

	h := inspect.PodInspector{Logs: logs}.Health(context.Background(), []*corev1.Pod{failed})
	fmt.Println(h.GetState(), h.GetReason())
	fmt.Println(h.GetMessage())
	// Output:
	// Failed StorageFull
	// Storage full error detected in pod logs: Container download failed with exit code 1: download failed
	//
	// Log excerpt:
	// write /cache/x: no space left on device
}
