// Package caching holds the Shared / Dedicated ownership rules of template caches and
// artifacts: which existing object a service or a cache may reuse, and which it must create.
package caching

import (
	"sort"

	"k8s.io/apimachinery/pkg/types"

	"github.com/aimlite/aimlite/pkg/aim/constants"
)

// Mode is the normalized caching mode.
type Mode string

const (
	Shared    Mode = "Shared"
	Dedicated Mode = "Dedicated"
)

// ModeOf maps a spec value, legacy spellings included: Dedicated and Never are Dedicated;
// Shared, Always, Auto, empty and anything unknown are Shared (the CRD default).
func ModeOf(raw string) Mode {
	switch raw {
	case "Dedicated", "Never":
		return Dedicated
	}
	return Shared
}

// Object is what ownership matching needs from a cache or an artifact.
type Object struct {
	Name      string
	Status    string
	OwnerUIDs []types.UID
	// Key is the kind-specific identity to match: the template name for caches, the
	// source URI for artifacts.
	Key string
	// StorageClass is the artifact's storage class ("" for caches).
	StorageClass string
	// Deleting objects are never reused.
	Deleting bool
}

// Usable reports whether o may serve a consumer with the given mode: Shared consumers take
// only unowned objects; Dedicated consumers only objects owned by ownerUID.
func Usable(o Object, mode Mode, ownerUID types.UID) bool {
	if o.Deleting {
		return false
	}
	if mode == Dedicated {
		for _, u := range o.OwnerUIDs {
			if u == ownerUID {
				return true
			}
		}
		return false
	}
	return len(o.OwnerUIDs) == 0
}

// Best returns the usable object with the given key (and storage class, when wanted is not
// empty) and the best status; ties go to the name that sorts first, so the choice is stable.
// Objects not yet given a status count as Pending: they are still ours to wait for.
func Best(objs []Object, key, storageClass string, mode Mode, ownerUID types.UID) *Object {
	var cands []Object
	for _, o := range objs {
		if o.Key != key || (storageClass != "" && o.StorageClass != storageClass) || !Usable(o, mode, ownerUID) {
			continue
		}
		cands = append(cands, o)
	}
	if len(cands) == 0 {
		return nil
	}
	sort.SliceStable(cands, func(i, j int) bool {
		pi, pj := constants.StatusPriority(statusOrPending(cands[i].Status)), constants.StatusPriority(statusOrPending(cands[j].Status))
		if pi != pj {
			return pi > pj
		}
		return cands[i].Name < cands[j].Name
	})
	return &cands[0]
}

func statusOrPending(s string) string {
	if s == "" {
		return constants.StatusPending
	}
	return s
}

// Worst returns the worst status among statuses (empty counts as Pending); "" for none.
func Worst(statuses ...string) string {
	worst := ""
	for _, s := range statuses {
		s = statusOrPending(s)
		if worst == "" || constants.StatusPriority(s) < constants.StatusPriority(worst) {
			worst = s
		}
	}
	return worst
}
