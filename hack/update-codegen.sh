#!/usr/bin/env bash
# Regenerates deepcopy, OpenAPI definitions, apply configurations (with Extract functions),
# the typed clientset, listers and informers from the Go types in pkg/apis, using
# k8s.io/code-generator's kube_codegen.sh at the version pinned in hack/tools/go.mod.
set -o errexit
set -o nounset
set -o pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${REPO_ROOT}"

MODULE="$(go list -m)"
BOILERPLATE="${REPO_ROOT}/hack/boilerplate.go.txt"
# New API rule violations (openapi-gen's lint) show up as a diff of this file in verify-codegen.sh.
API_VIOLATIONS="${REPO_ROOT}/hack/api-rule-violations.list"

CODEGEN_DIR="$(go list -modfile=hack/tools/go.mod -m -f '{{.Dir}}' k8s.io/code-generator)"
CODEGEN_VERSION="$(go list -modfile=hack/tools/go.mod -m -f '{{.Version}}' k8s.io/code-generator)"
if [[ -z "${CODEGEN_DIR}" || ! -f "${CODEGEN_DIR}/kube_codegen.sh" ]]; then
    # The module is required but not downloaded yet (fresh module cache).
    go mod download -modfile=hack/tools/go.mod k8s.io/code-generator
    CODEGEN_DIR="$(go list -modfile=hack/tools/go.mod -m -f '{{.Dir}}' k8s.io/code-generator)"
fi

# kube_codegen.sh `go install`s the generators into GOBIN. Keep them in a versioned cache outside
# the repository so they never mix with anyone's GOPATH/bin and survive between runs.
export GOBIN="${AIMLITE_CODEGEN_BIN:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/aimlite/code-generator-${CODEGEN_VERSION}/bin}"
mkdir -p "${GOBIN}"

# shellcheck source=/dev/null
source "${CODEGEN_DIR}/kube_codegen.sh"

TMP_DIR="$(mktemp -d)"
trap 'rm -rf "${TMP_DIR}"' EXIT

# kube_codegen.sh greps these for stale files before the first generation creates them.
mkdir -p pkg/generated/{applyconfiguration,clientset,listers,informers}

# The types embed k8s.io/api/core/v1 types (EnvVar, ResourceRequirements, ...): their OpenAPI
# models must be generated too, or the schema handed to applyconfiguration-gen has dangling refs.
KUBE_CODEGEN_READONLY_PKGS+=(k8s.io/api/core/v1)

# Use client-go's apply configurations for every core/v1 type instead of generating copies:
# one entry per <Type>ApplyConfiguration that client-go ships; unused entries are ignored.
CLIENT_GO_DIR="$(go list -m -f '{{.Dir}}' k8s.io/client-go)"
APPLYCONFIG_EXTERNALS="$(
    grep -ho '^type [A-Za-z0-9]*ApplyConfiguration struct' "${CLIENT_GO_DIR}"/applyconfigurations/core/v1/*.go \
        | sed -E 's|^type ([A-Za-z0-9]*)ApplyConfiguration struct|k8s.io/api/core/v1.\1:k8s.io/client-go/applyconfigurations/core/v1|' \
        | LC_ALL=C sort | paste -sd, -
)"

kube::codegen::gen_helpers \
    --boilerplate "${BOILERPLATE}" \
    "${REPO_ROOT}/pkg/apis"

kube::codegen::gen_openapi \
    --output-dir "${REPO_ROOT}/pkg/generated/openapi" \
    --output-pkg "${MODULE}/pkg/generated/openapi" \
    --extra-pkgs k8s.io/api/core/v1 \
    --report-filename "${API_VIOLATIONS}" \
    --update-report \
    --boilerplate "${BOILERPLATE}" \
    "${REPO_ROOT}/pkg/apis"

# Keep only our own packages' violations: the apimachinery and core/v1 ones are not ours to fix.
{ grep -F ",${MODULE}/" "${API_VIOLATIONS}" || true; } > "${TMP_DIR}/api-rule-violations.list"
mv "${TMP_DIR}/api-rule-violations.list" "${API_VIOLATIONS}"

# applyconfiguration-gen needs the models as an OpenAPI v2 document to emit Extract<Kind>
# functions and the structured-merge-diff schema that fake.NewClientset uses for Apply.
echo "Dumping the OpenAPI schema for applyconfiguration-gen"
go run ./hack/openapi-schema > "${TMP_DIR}/openapi-schema.json"

kube::codegen::gen_client \
    --with-watch \
    --with-applyconfig \
    --applyconfig-externals "${APPLYCONFIG_EXTERNALS}" \
    --applyconfig-openapi-schema "${TMP_DIR}/openapi-schema.json" \
    --output-dir "${REPO_ROOT}/pkg/generated" \
    --output-pkg "${MODULE}/pkg/generated" \
    --boilerplate "${BOILERPLATE}" \
    "${REPO_ROOT}/pkg/apis"
