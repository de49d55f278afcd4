package services

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aimlite/aimlite/pkg/aim/naming"
	"github.com/aimlite/aimlite/pkg/aim/routing"
	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// Routing renders the path template into the HTTPRoute and status.routing.path; a template
// that cannot render is ConfigValid=False/PathTemplateInvalid, never a silent default.
func TestRouting(t *testing.T) {
	startOperator(t)
	ns := env.Namespace(t)
	paintModel(t, ns, "llama", "ghcr.io/example/llama:1.0", "Ready")
	paintTemplate(t, ns, "tpl", "llama", "Ready", "fp8")
	yes := true
	gw := &aimv1.AIMGatewayParentReference{Name: "gw"}
	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "routed", Labels: map[string]string{"team": "Blue"}},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}, AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{
			Routing: &aimv1.AIMRoutingConfig{Enabled: &yes, GatewayRef: gw, PathTemplate: "/{.metadata.namespace}/{.metadata.labels['team']}"}}}})
	routeName := naming.HTTPRouteName("routed", ns)
	var route *unstructured.Unstructured
	eventually(t, 30*time.Second, "HTTPRoute", func() error {
		var err error
		route, err = env.Dynamic.Resource(routing.GVR).Namespace(ns).Get(bg, routeName, metav1.GetOptions{})
		return err
	})
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	path := rules[0].(map[string]any)["matches"].([]any)[0].(map[string]any)["path"].(map[string]any)["value"]
	if want := "/" + ns + "/blue"; path != want {
		t.Fatalf("route path %v, want %s", path, want)
	}
	s := waitServiceStatus(t, ns, "routed", "Starting", "HTTPRouteReady", "HTTPRoutePending", 30*time.Second)
	if s.Status.Routing == nil || s.Status.Routing.Path != "/"+ns+"/blue" {
		t.Fatalf("status.routing %+v", s.Status.Routing)
	}
	// The gateway accepts the route.
	eventually(t, 10*time.Second, "route status", func() error {
		r, err := env.Dynamic.Resource(routing.GVR).Namespace(ns).Get(bg, routeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		_ = unstructured.SetNestedSlice(r.Object, []any{map[string]any{"parentRef": map[string]any{"name": "gw"},
			"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted"}}}}, "status", "parents")
		_, err = env.Dynamic.Resource(routing.GVR).Namespace(ns).UpdateStatus(bg, r, metav1.UpdateOptions{})
		return err
	})
	waitServiceStatus(t, ns, "routed", "Starting", "HTTPRouteReady", "HTTPRouteAccepted", 30*time.Second)

	createService(t, ns, &aimv1.AIMService{ObjectMeta: metav1.ObjectMeta{Name: "badpath"},
		Spec: aimv1.AIMServiceSpec{Model: aimv1.AIMServiceModel{Name: "llama"}, AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{
			Routing: &aimv1.AIMRoutingConfig{Enabled: &yes, GatewayRef: gw, PathTemplate: "/{.metadata.labels['missing']}"}}}})
	s = waitServiceStatus(t, ns, "badpath", "Failed", "HTTPRouteReady", "PathTemplateInvalid", 30*time.Second)
	if c := cond(s.Status.Conditions, "ConfigValid"); c == nil || c.Status != "False" || c.Reason != "InvalidSpec" {
		t.Fatalf("ConfigValid %+v", c)
	}
	if _, err := env.Dynamic.Resource(routing.GVR).Namespace(ns).Get(bg, naming.HTTPRouteName("badpath", ns), metav1.GetOptions{}); err == nil {
		t.Fatal("a route was created from an unrenderable template")
	}
	if s.Status.Routing != nil {
		t.Fatalf("status.routing set: %+v", s.Status.Routing)
	}
}
