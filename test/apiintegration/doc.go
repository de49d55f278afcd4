// Package apiintegration checks the AIM API end to end against a real kube-apiserver:
//
//   - the CRDs in manifests/crds install with server-side apply and serve all ten kinds;
//   - every valid sample in config/samples (and, sent as written, config/samples/contract) is
//     accepted and reads back unchanged through the generated clientset, listers and informers;
//   - apply configurations round-trip through Extract<Kind> and Extract<Kind>Status;
//   - every manifest in config/samples/invalid and testdata/invalid is rejected as Invalid with the
//     message its `# expect:` line announces, and together they trigger every CEL rule, enum and
//     required field of the AIM types.
//
// fake_apply_test.go checks apply through fake.NewClientset without a control plane.
//
// The control plane comes from internal/testenv (a local one, or KUBECONFIG). With -short or
// AIMLITE_SKIP_INTEGRATION=1 only the control-plane-free tests run.
package apiintegration
