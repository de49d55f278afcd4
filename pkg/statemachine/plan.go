package statemachine

import "time"

// PlanResult is what PlanResources decides. Objects can be generated apply configurations (ours or
// k8s.io/client-go/applyconfigurations), *unstructured.Unstructured for foreign kinds, or typed objects:
// anything that marshals to JSON with apiVersion, kind and metadata.name (typed objects without TypeMeta are
// resolved through Pipeline.Scheme). Prefer apply configurations or unstructured objects holding only the
// fields you own: a typed struct claims every non-omitempty zero field. (aimlite builds unstructured
// objects: client-go's apply configurations import discovery and with it every API group's scheme.)
type PlanResult struct {
	// RequeueAfter asks for another reconcile after this delay (e.g. to poll something unwatched).
	RequeueAfter time.Duration

	apply, applyNoOwner, del []any
}

// Apply server-side applies obj with a controller owner reference to the reconciled object
// (blockOwnerDeletion=true), forcing conflicts: we own it, so it is garbage-collected with the owner.
func (p *PlanResult) Apply(obj any) { p.apply = append(p.apply, obj) }

// ApplyWithoutOwnerRef server-side applies obj without an owner reference and without forcing conflicts
// (shared objects that must survive the owner).
func (p *PlanResult) ApplyWithoutOwnerRef(obj any) { p.applyNoOwner = append(p.applyNoOwner, obj) }

// Delete deletes obj (background propagation); an absent object is skipped.
func (p *PlanResult) Delete(obj any) { p.del = append(p.del, obj) }

// ToApply, ToApplyWithoutOwnerRef and ToDelete expose the plan to planner tests.
func (p PlanResult) ToApply() []any                { return p.apply }
func (p PlanResult) ToApplyWithoutOwnerRef() []any { return p.applyNoOwner }
func (p PlanResult) ToDelete() []any               { return p.del }

// Empty reports whether the plan changes nothing.
func (p PlanResult) Empty() bool { return len(p.apply)+len(p.applyNoOwner)+len(p.del) == 0 }
