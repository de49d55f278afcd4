package runtimeconfig

import (
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

func bp(b bool) *bool    { return &b }
func ip(i int32) *int32  { return &i }
func sp(s string) string { return s }

func TestMerge(t *testing.T) {
	cases := []struct {
		name          string
		cluster, ns   *aimv1.AIMRuntimeConfigSpec
		want          *aimv1.AIMRuntimeConfigSpec
		clusterBefore *aimv1.AIMRuntimeConfigSpec
	}{
		{name: "both nil"},
		{
			name:    "only cluster",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "A", Value: "1"}}}},
			want:    &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "A", Value: "1"}}}},
		},
		{
			name:    "explicit namespace false overrides cluster true",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Enabled: bp(true), PathTemplate: "/a"}}, LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"team-*"}}, Model: &aimv1.AIMModelConfig{AutoDiscovery: bp(true)}},
			ns:      &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Enabled: bp(false)}}, LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: false}, Model: &aimv1.AIMModelConfig{AutoDiscovery: bp(false)}},
			want:    &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Enabled: bp(false), PathTemplate: "/a"}}, LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: false, Match: []string{"team-*"}}, Model: &aimv1.AIMModelConfig{AutoDiscovery: bp(false)}},
		},
		{
			name:    "unset namespace pointer keeps cluster true",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Enabled: bp(true)}}},
			ns:      &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{PathTemplate: "/ns"}}},
			want:    &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Enabled: bp(true), PathTemplate: "/ns"}}},
		},
		{
			name: "maps merged by key, lists replaced",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Annotations: map[string]string{"a": "1", "b": "1"}}},
				LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"x", "y"}}},
			ns: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Annotations: map[string]string{"b": "2", "c": "2"}}},
				LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"z"}}},
			want: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{Annotations: map[string]string{"a": "1", "b": "2", "c": "2"}}},
				LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"z"}}},
		},
		{
			name: "env by name with AIM_ENGINE_ARGS deep merge",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{
				{Name: "A", Value: "1"}, {Name: "AIM_ENGINE_ARGS", Value: `{"x":{"p":1,"q":2},"y":1}`}, {Name: "B", Value: "1"}}}},
			ns: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{
				{Name: "C", Value: "3"}, {Name: "AIM_ENGINE_ARGS", Value: `{"x":{"q":3},"z":true}`}, {Name: "A", Value: "ns"}}}},
			want: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{
				{Name: "A", Value: "ns"}, {Name: "AIM_ENGINE_ARGS", Value: `{"x":{"p":1,"q":3},"y":1,"z":true}`}, {Name: "B", Value: "1"}, {Name: "C", Value: "3"}}}},
		},
		{
			name:    "AIM_ENGINE_ARGS not JSON: namespace value wins",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "AIM_ENGINE_ARGS", Value: `{"x":1}`}}}},
			ns:      &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "AIM_ENGINE_ARGS", Value: `--tp 2`}}}},
			want:    &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "AIM_ENGINE_ARGS", Value: `--tp 2`}}}},
		},
		{
			name:    "storage per field and deprecated fields migrated",
			cluster: &aimv1.AIMRuntimeConfigSpec{DefaultStorageClassName: "old-sc", PVCHeadroomPercent: ip(20)},
			ns:      &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Storage: &aimv1.AIMStorageConfig{PVCHeadroomPercent: ip(0)}}},
			want: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Storage: &aimv1.AIMStorageConfig{DefaultStorageClassName: "old-sc", PVCHeadroomPercent: ip(0)}},
				DefaultStorageClassName: "old-sc", PVCHeadroomPercent: ip(20)},
		},
		{
			name:    "routing gateway and timeout from namespace",
			cluster: &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{GatewayRef: &aimv1.AIMGatewayParentReference{Name: "cl"}}}},
			ns:      &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{GatewayRef: &aimv1.AIMGatewayParentReference{Name: sp("ns")}, RequestTimeout: &metav1.Duration{Duration: 5}}}},
			want:    &aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Routing: &aimv1.AIMRoutingConfig{GatewayRef: &aimv1.AIMGatewayParentReference{Name: "ns"}, RequestTimeout: &metav1.Duration{Duration: 5}}}},
		},
	}
	for _, c := range cases {
		before := c.cluster.DeepCopy()
		got := Merge(c.cluster, c.ns)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
		if !reflect.DeepEqual(before, c.cluster) {
			t.Errorf("%s: Merge mutated its cluster input", c.name)
		}
	}
}

func TestResolve(t *testing.T) {
	ns := &aimv1.AIMRuntimeConfig{Spec: aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "N", Value: "1"}}}}}
	cl := &aimv1.AIMClusterRuntimeConfig{Spec: aimv1.AIMRuntimeConfigSpec{AIMRuntimeConfigCommon: aimv1.AIMRuntimeConfigCommon{Env: []corev1.EnvVar{{Name: "C", Value: "1"}}}}}

	r, err := Resolve("", nil, nil)
	if err != nil || r.Name != "default" || r.Spec != nil || r.Scope != ScopeNone {
		t.Errorf("missing default: %+v %v", r, err)
	}
	_, err = Resolve("gpu", nil, nil)
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "gpu" || err.Error() != "RuntimeConfig gpu not found" {
		t.Errorf("missing named: %v", err)
	}
	for _, c := range []struct {
		ns    *aimv1.AIMRuntimeConfig
		cl    *aimv1.AIMClusterRuntimeConfig
		scope Scope
		env   int
	}{{ns, nil, ScopeNamespace, 1}, {nil, cl, ScopeCluster, 1}, {ns, cl, ScopeMerged, 2}} {
		r, err := Resolve("x", c.ns, c.cl)
		if err != nil || r.Scope != c.scope || len(r.Spec.Env) != c.env {
			t.Errorf("scope %s: %+v %v", c.scope, r, err)
		}
	}
}
