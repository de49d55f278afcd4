#!/usr/bin/env bash
# End-to-end suite (test/e2e) against the real aimlite binary.
#   hack/e2e.sh                 local control plane (built/cached by hack/build-cluster.sh), aimlite built and started
#   KUBECONFIG=... hack/e2e.sh  an existing cluster (kind) where aimlite already runs;
#                               add E2E_START_OPERATOR=1 to build and start aimlite locally against it
# Extra arguments go to `go test` (e.g. -run 'TestE2E/scenarios/ServiceByModelNameRuns').
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}
exec go test ./test/e2e/ -count=1 -v -timeout 10m "$@"
