package statemachine_test

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	sm "github.com/aimlite/aimlite/pkg/statemachine"
)

type U = *unstructured.Unstructured

// greeter reconciles example.com/v1 Greetings (no Go types): each owns a ConfigMap holding its message.
type greeter struct {
	configMaps dynamic.NamespaceableResourceInterface
}

// seen is both the fetch result and the observation; it reports one component, "ConfigMap".
type seen struct{ cm sm.FetchResult[U] }

func (s seen) GetComponentHealth() []sm.ComponentHealth {
	return []sm.ComponentHealth{s.cm.ToDownstreamComponentHealth("ConfigMap", func(U) sm.ComponentHealth {
		return sm.ComponentHealth{State: sm.StateReady, Reason: "Written"}
	})}
}

func (g greeter) FetchRemoteState(ctx context.Context, rc sm.ReconcileContext[U]) seen {
	return seen{sm.FetchUnstructured(ctx, g.configMaps.Namespace(rc.Object.GetNamespace()), rc.Object.GetName())}
}

func (greeter) ComposeState(_ context.Context, _ sm.ReconcileContext[U], s seen) seen { return s }

func (greeter) PlanResources(_ context.Context, rc sm.ReconcileContext[U], _ seen) sm.PlanResult {
	msg, _, _ := unstructured.NestedString(rc.Object.Object, "spec", "message")
	var plan sm.PlanResult
	plan.Apply(corev1ac.ConfigMap(rc.Object.GetName(), rc.Object.GetNamespace()).WithData(map[string]string{"message": msg}))
	return plan
}

func Example() {
	ctx := context.Background()
	greetings, dyn, mapper := fakeCluster()
	p := &sm.Pipeline[U, U, seen, seen]{
		Name:       "greeter",
		Reconciler: greeter{configMaps: dyn.Resource(corev1.SchemeGroupVersion.WithResource("configmaps"))},
		StatusOf:   func(u U) U { return u },
		Fields:     sm.UnstructuredStatus,
		UpdateStatus: func(ctx context.Context, u U) error {
			_, err := greetings.Namespace(u.GetNamespace()).UpdateStatus(ctx, u, metav1.UpdateOptions{})
			return err
		},
		OwnerGVK: greetingGVK,
		Applier:  sm.NewApplier(dyn, sm.MapperResolver(mapper), "greeter-controller"),
	}
	for i := 0; i < 3; i++ {
		obj, _ := greetings.Namespace("default").Get(ctx, "hello", metav1.GetOptions{})
		res, err := p.Run(ctx, obj)
		obj, _ = greetings.Namespace("default").Get(ctx, "hello", metav1.GetOptions{})
		status, _, _ := unstructured.NestedString(obj.Object, "status", "status")
		fmt.Println(status, res, err, p.Applier.Stats())
	}
	// Output:
	// Progressing {0s false} <nil> {1 0 0 0}
	// Ready {0s false} <nil> {1 1 0 0}
	// Ready {0s false} <nil> {1 2 0 0}
}

var greetingGVK = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Greeting"}

// fakeCluster serves Greetings from a plain dynamic fake and ConfigMaps from client-go's field-managed fake,
// which implements server-side apply.
func fakeCluster() (dynamic.NamespaceableResourceInterface, dynamic.Interface, meta.RESTMapper) {
	hello := &unstructured.Unstructured{}
	hello.SetGroupVersionKind(greetingGVK)
	hello.SetNamespace("default")
	hello.SetName("hello")
	hello.SetUID("uid-hello")
	_ = unstructured.SetNestedField(hello.Object, "Hello, world", "spec", "message")
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), hello)

	typed := fake.NewClientset()
	react := k8stesting.ObjectReaction(typed.Tracker())
	dyn.PrependReactor("*", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := react(a)
		if cm, ok := obj.(*corev1.ConfigMap); ok && err == nil {
			m, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(cm)
			u := &unstructured.Unstructured{Object: m}
			u.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
			return handled, u, nil
		}
		return handled, obj, err
	})
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(corev1.SchemeGroupVersion.WithKind("ConfigMap"), meta.RESTScopeNamespace)
	return dyn.Resource(greetingGVK.GroupVersion().WithResource("greetings")), dyn, mapper
}
