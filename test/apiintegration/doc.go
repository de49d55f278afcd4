// Package apiintegration checks the AIM API end to end against a real kube-apiserver: the CRDs in
// manifests/crds install with server-side apply, every valid sample in config/samples is accepted and
// reads back identically through the generated clientset, listers and informers, apply
// configurations round-trip through Extract<Kind>, and every manifest in config/samples/invalid is
// rejected with the message it announces. fake_apply_test.go checks the fake clientset's apply
// without a control plane.
//
// The control plane comes from internal/testenv (a local one, or KUBECONFIG). With -short or
// AIMLITE_SKIP_INTEGRATION=1 only the control-plane-free tests run.
package apiintegration
