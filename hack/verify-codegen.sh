#!/usr/bin/env bash
# Fails when the committed generated code or CRD YAML drifts from the Go types in pkg/apis.
# It regenerates into a throwaway copy of the working tree (so a dirty checkout is never
# touched) with hack/update-codegen.sh and hack/update-crds.sh, then diffs the generated paths.
set -o errexit
set -o nounset
set -o pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${REPO_ROOT}"

# Everything either generator writes. Diffing all of pkg/apis also catches a stale or missing
# zz_generated.* file there.
GENERATED_PATHS=(
    pkg/apis
    pkg/generated
    hack/api-rule-violations.list
    manifests/crds
)

COPY="$(mktemp -d)"
trap 'rm -rf "${COPY}"' EXIT

# Copy tracked and untracked-but-not-ignored files; skip tracked files deleted in the worktree.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [[ -e "${f}" ]] && printf '%s\0' "${f}"; done \
        | tar --null -T - -cf - | tar -xf - -C "${COPY}"
else
    tar --exclude=./.git --exclude=./bin -cf - . | tar -xf - -C "${COPY}"
fi

for script in update-codegen.sh update-crds.sh; do
    if [[ ! -x "${COPY}/hack/${script}" ]]; then
        echo "verify-codegen: hack/${script} is missing or not executable" >&2
        exit 1
    fi
    echo "verify-codegen: running hack/${script} in a copy of the tree"
    "${COPY}/hack/${script}"
done

failed=0
for p in "${GENERATED_PATHS[@]}"; do
    if ! diff -Nru "${REPO_ROOT}/${p}" "${COPY}/${p}"; then
        failed=1
    fi
done
if [[ "${failed}" != 0 ]]; then
    echo "verify-codegen: generated files are out of date; run 'make generate' and commit the result" >&2
    exit 1
fi
echo "verify-codegen: generated code and CRDs are up to date"
