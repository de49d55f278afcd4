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
// that cannot render falls back to the default path (catalogue C12).
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
	// The contract: a template that cannot render falls back to /<namespace>/<uid>, silently.
	var bad *unstructured.Unstructured
	eventually(t, 30*time.Second, "HTTPRoute of badpath", func() error {
		var err error
		bad, err = env.Dynamic.Resource(routing.GVR).Namespace(ns).Get(bg, naming.HTTPRouteName("badpath", ns), metav1.GetOptions{})
		return err
	})
	svcBad := waitServiceStatus(t, ns, "badpath", "Starting", "HTTPRouteReady", "HTTPRoutePending", 30*time.Second)
	rules, _, _ = unstructured.NestedSlice(bad.Object, "spec", "rules")
	path = rules[0].(map[string]any)["matches"].([]any)[0].(map[string]any)["path"].(map[string]any)["value"]
	if want := "/" + ns + "/" + string(svcBad.UID); path != want {
		t.Fatalf("route path %v, want the default %s", path, want)
	}
	if c := cond(svcBad.Status.Conditions, "ConfigValid"); c != nil && c.Status != "True" {
		t.Fatalf("a path that cannot render is not a spec error: ConfigValid %+v", c)
	}
}
