package labels

import (
	"reflect"
	"testing"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

func TestPropagate(t *testing.T) {
	parent := map[string]string{"aim.eai.amd.com/x": "1", "team-a": "blue", "cost": "9", "keep": "parent"}
	on := &aimv1.AIMRuntimeConfigSpec{LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true, Match: []string{"team-*", "keep"}}}
	off := &aimv1.AIMRuntimeConfigSpec{LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: false, Match: []string{"team-*"}}}
	cases := []struct {
		name  string
		child map[string]string
		cfg   *aimv1.AIMRuntimeConfigSpec
		want  map[string]string
	}{
		{"no config: only aim labels", nil, nil, map[string]string{"aim.eai.amd.com/x": "1"}},
		{"disabled", nil, off, map[string]string{"aim.eai.amd.com/x": "1"}},
		{"enabled with globs, child wins", map[string]string{"keep": "child"}, on,
			map[string]string{"aim.eai.amd.com/x": "1", "team-a": "blue", "keep": "child"}},
		{"enabled without match", nil, &aimv1.AIMRuntimeConfigSpec{LabelPropagation: &aimv1.AIMLabelPropagationConfig{Enabled: true}},
			map[string]string{"aim.eai.amd.com/x": "1"}},
	}
	for _, c := range cases {
		got, _ := Propagate(parent, c.child, c.cfg)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
		}
	}
}
