package localcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Label keys and values the operator reads to detect AMD GPUs (catalogue §7, device-ID table).
const (
	LabelGPUDeviceID = "amd.com/gpu.device-id"
	LabelGPUVRAM     = "amd.com/gpu.vram"
	ResourceGPU      = corev1.ResourceName("amd.com/gpu")

	// kwokAnnotation marks nodes that kwok manages (it is started with this selector).
	kwokAnnotation = "kwok.x-k8s.io/node"
)

// Node describes a fake node that kwok keeps Ready.
type Node struct {
	Name   string
	Labels map[string]string // merged over the standard kubernetes.io/* labels
	GPUs   int64             // amd.com/gpu capacity and allocatable; 0 = no GPU resource
	CPU    string            // default "64"
	Memory string            // default "512Gi"
}

// MI300XNode is a node with 8 MI300X GPUs (device ID 74a1, 192G VRAM).
func MI300XNode(name string) Node {
	return Node{Name: name, GPUs: 8, Labels: map[string]string{LabelGPUDeviceID: "74a1", LabelGPUVRAM: "192G"}}
}

// MI325XNode is a node with 8 MI325X GPUs (device ID 74a5, 256G VRAM).
func MI325XNode(name string) Node {
	return Node{Name: name, GPUs: 8, Labels: map[string]string{LabelGPUDeviceID: "74a5", LabelGPUVRAM: "256G"}}
}

// DefaultNodes are created at start: one MI300X node, one MI325X node and one node without GPUs.
func DefaultNodes() []Node {
	return []Node{MI300XNode("kwok-mi300x-0"), MI325XNode("kwok-mi325x-0"), {Name: "kwok-cpu-0"}}
}

func (n Node) object() *corev1.Node {
	labels := map[string]string{
		"kubernetes.io/hostname": n.Name,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     "amd64",
		"type":                   "kwok",
	}
	for k, v := range n.Labels {
		labels[k] = v
	}
	cpu, mem := n.CPU, n.Memory
	if cpu == "" {
		cpu = "64"
	}
	if mem == "" {
		mem = "512Gi"
	}
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(mem),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	if n.GPUs > 0 {
		res[ResourceGPU] = *resource.NewQuantity(n.GPUs, resource.DecimalSI)
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Labels:      labels,
			Annotations: map[string]string{kwokAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		Status: corev1.NodeStatus{Capacity: res, Allocatable: res.DeepCopy()},
	}
}

// CreateNode creates a fake node and waits until it is Ready and untainted (kwok marks it Ready, then
// kcm's node-lifecycle controller removes the not-ready taint that admission added).
func CreateNode(ctx context.Context, c kubernetes.Interface, n Node) error {
	obj := n.object()
	created, err := c.CoreV1().Nodes().Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create node %s: %w", n.Name, err)
	}
	// Status sent with a create is kept today; make sure anyway, since kwok copies allocatable from it.
	if _, ok := created.Status.Allocatable[corev1.ResourceCPU]; !ok {
		created.Status = obj.Status
		if _, err := c.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("set node %s status: %w", n.Name, err)
		}
	}
	return WaitNodesReady(ctx, c, 60*time.Second, n.Name)
}

// DeleteNode deletes a fake node; its pods are then removed by the pod garbage collector.
func DeleteNode(ctx context.Context, c kubernetes.Interface, name string) error {
	err := c.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// WaitNodesReady waits until each named node is Ready and has no taints.
func WaitNodesReady(ctx context.Context, c kubernetes.Interface, timeout time.Duration, names ...string) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		for _, name := range names {
			n, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			if !nodeReady(n) || len(n.Spec.Taints) > 0 {
				last = fmt.Sprintf("node %s: ready=%v taints=%v", name, nodeReady(n), n.Spec.Taints)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("nodes not ready: %s: %w", last, err)
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
