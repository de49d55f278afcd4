#!/usr/bin/env bash
# Regenerates the CRD manifests in manifests/crds from the kubebuilder markers in pkg/apis,
# with controller-gen run as a tool from the hack/tools module (never linked into the binary).
# Deepcopy is not generated here: doc.go sets +kubebuilder:object:generate=false and
# hack/update-codegen.sh owns zz_generated.deepcopy.go.
set -o errexit
set -o nounset
set -o pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${REPO_ROOT}"

OUT_DIR="${1:-manifests/crds}"
mkdir -p "${OUT_DIR}"
# Stale files of renamed kinds must not survive a regeneration.
rm -f "${OUT_DIR}"/aim.eai.amd.com_*.yaml

# crd:maxDescLen=0 is not used: descriptions are kept for `kubectl explain`.
go tool -modfile=hack/tools/go.mod controller-gen \
    crd \
    paths=./pkg/apis/... \
    output:crd:dir="${OUT_DIR}"
