package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

var logsGVR = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "logs"}

// SetPodLogs makes the kubelet log endpoint (kwok) return text for one container of a pod:
// `GetLogs` / `kubectl logs` then read it. The text is written to a CRI-format file in logDir and a kwok
// Logs object named after the pod points at it; other containers' entries on the same object are kept.
// The pod need not exist yet.
func SetPodLogs(ctx context.Context, dyn dynamic.Interface, logDir, ns, pod, container, text string) error {
	dir := filepath.Join(logDir, "pod-logs", ns, pod)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file := filepath.Join(dir, container+".log")
	// CRI log format, one entry per line: "<RFC3339Nano> stdout F <text>".
	var b strings.Builder
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fmt.Fprintf(&b, "%s stdout F %s\n", ts, line)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return err
	}
	entry := map[string]any{"containers": []any{container}, "logsFile": file}
	res := dyn.Resource(logsGVR).Namespace(ns)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := res.Get(ctx, pod, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			obj = &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
				"metadata": map[string]any{"name": pod, "namespace": ns},
				"spec":     map[string]any{"logs": []any{entry}},
			}}
			_, err = res.Create(ctx, obj, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		logs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "logs")
		kept := []any{entry}
		for _, l := range logs {
			m, _ := l.(map[string]any)
			cs, _, _ := unstructured.NestedStringSlice(m, "containers")
			if len(cs) == 1 && cs[0] == container {
				continue
			}
			kept = append(kept, l)
		}
		if err := unstructured.SetNestedSlice(obj.Object, kept, "spec", "logs"); err != nil {
			return err
		}
		_, err = res.Update(ctx, obj, metav1.UpdateOptions{})
		return err
	})
}
