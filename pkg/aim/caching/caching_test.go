package caching

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestModeOf(t *testing.T) {
	for in, want := range map[string]Mode{
		"Shared": Shared, "Dedicated": Dedicated, "Always": Shared, "Auto": Shared, "Never": Dedicated, "": Shared, "bogus": Shared,
	} {
		if got := ModeOf(in); got != want {
			t.Errorf("ModeOf(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBest(t *testing.T) {
	owner := types.UID("cache-uid")
	objs := []Object{
		{Name: "owned-other", Key: "hf://a", Status: "Ready", OwnerUIDs: []types.UID{"other"}},
		{Name: "owned-mine", Key: "hf://a", Status: "Progressing", OwnerUIDs: []types.UID{owner}},
		{Name: "shared-failed", Key: "hf://a", Status: "Failed"},
		{Name: "shared-ready", Key: "hf://a", Status: "Ready"},
		{Name: "shared-ready-sc", Key: "hf://a", Status: "Ready", StorageClass: "fast"},
		{Name: "shared-new", Key: "hf://b", Status: ""},
		{Name: "shared-deleting", Key: "hf://c", Status: "Ready", Deleting: true},
	}
	tests := []struct {
		name, key, sc string
		mode          Mode
		want          string
	}{
		{name: "shared takes best unowned", key: "hf://a", mode: Shared, want: "shared-ready"},
		{name: "shared with storage class", key: "hf://a", sc: "fast", mode: Shared, want: "shared-ready-sc"},
		{name: "dedicated takes only own", key: "hf://a", mode: Dedicated, want: "owned-mine"},
		{name: "status not yet set still counts", key: "hf://b", mode: Shared, want: "shared-new"},
		{name: "deleting never reused", key: "hf://c", mode: Shared, want: ""},
		{name: "no match", key: "hf://z", mode: Shared, want: ""},
		{name: "dedicated without own", key: "hf://b", mode: Dedicated, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Best(objs, tt.key, tt.sc, tt.mode, owner)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tt.want {
				t.Fatalf("got %q, want %q", name, tt.want)
			}
		})
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"Ready", "Ready"}, "Ready"},
		{[]string{"Ready", ""}, "Pending"},
		{[]string{"Ready", "Progressing", "Degraded"}, "Degraded"},
		{[]string{"NotAvailable", "Failed"}, "Failed"},
	}
	for _, tt := range tests {
		if got := Worst(tt.in...); got != tt.want {
			t.Errorf("Worst(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
