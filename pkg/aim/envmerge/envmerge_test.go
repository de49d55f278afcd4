package envmerge

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func ev(kv ...string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for i := 0; i < len(kv); i += 2 {
		out = append(out, corev1.EnvVar{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name         string
		base, higher []corev1.EnvVar
		json         bool
		want         []corev1.EnvVar
	}{
		{name: "both empty", want: nil},
		{name: "higher replaces in place, new appended", base: ev("A", "1", "B", "2"), higher: ev("C", "3", "A", "9"), want: ev("A", "9", "B", "2", "C", "3")},
		{name: "engine args deep merged", json: true,
			base:   ev(EngineArgs, `{"tp":1,"opts":{"a":1,"b":2}}`),
			higher: ev(EngineArgs, `{"opts":{"b":3,"c":4},"x":"y"}`),
			want:   ev(EngineArgs, `{"opts":{"a":1,"b":3,"c":4},"tp":1,"x":"y"}`)},
		{name: "engine args replaced without json key", base: ev(EngineArgs, `{"a":1}`), higher: ev(EngineArgs, `{"b":2}`), want: ev(EngineArgs, `{"b":2}`)},
		{name: "non-json higher wins", json: true, base: ev(EngineArgs, `{"a":1}`), higher: ev(EngineArgs, `--foo`), want: ev(EngineArgs, `--foo`)},
		{name: "non-json base: higher wins", json: true, base: ev(EngineArgs, `--foo`), higher: ev(EngineArgs, `{"a":1}`), want: ev(EngineArgs, `{"a":1}`)},
		{name: "json array is not an object", json: true, base: ev(EngineArgs, `[1]`), higher: ev(EngineArgs, `[2]`), want: ev(EngineArgs, `[2]`)},
		{name: "duplicate in base collapses", base: ev("A", "1", "A", "2"), want: ev("A", "2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			if tt.json {
				keys = []string{EngineArgs}
			}
			got := Merge(tt.base, tt.higher, keys...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeDoesNotMutateInputs(t *testing.T) {
	base := ev("A", "1")
	Merge(base, ev("A", "2"))
	if base[0].Value != "1" {
		t.Fatal("base mutated")
	}
}

func TestLayersPrecedence(t *testing.T) {
	got := Layers(
		ev("AIM_CACHE_PATH", "/workspace/cache", EngineArgs, `{"a":1}`),
		ev(EngineArgs, `{"b":2}`, "X", "rc"),
		ev("X", "tpl"),
		ev("X", "svc", EngineArgs, `{"a":3}`),
	)
	SortByName(got)
	want := ev("AIM_CACHE_PATH", "/workspace/cache", EngineArgs, `{"a":3,"b":2}`, "X", "svc")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
