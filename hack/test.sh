#!/usr/bin/env bash
# Everything CI checks. `hack/test.sh unit` skips the control plane and the integration tests.
#
# Steps: gofmt, go vet, generated-code drift, the local control plane binaries (built once and
# cached outside the repo, see docs/local-control-plane.md), then every Go test. Integration test
# binaries each start their own control plane on free loopback ports (internal/testenv).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

step "go vet"
go vet ./...

step "generated code and CRDs are up to date"
hack/verify-codegen.sh

pkgs=$(go list ./... )
if [ "$mode" = unit ]; then
  export AIMLITE_SKIP_INTEGRATION=1
else
  step "local control plane binaries"
  hack/localcluster.sh build
fi

step "go test"
if [ -n "${TEST_LOG:-}" ]; then log=$TEST_LOG; else log=$(mktemp); trap 'rm -f "$log"' EXIT; fi
set +e
# -p 2: two test binaries (and so at most two control planes) at once on a 2-core machine.
# The full -v log goes to a file; the console shows package results, failures and test log lines.
go test -v -p 2 -timeout 30m -count=1 -cover $pkgs >"$log" 2>&1 &
gopid=$!
tail -n +1 -f "$log" --pid=$gopid | grep --line-buffered -E '^(ok|FAIL|--- FAIL|panic:)|^\s+--- FAIL|_test\.go:[0-9]+:'
wait $gopid
rc=$?
set -e

step "summary"
grep -E '^(ok|FAIL)\s' "$log" || true
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
pkgs_ok=$(grep -cE '^ok\s' "$log" || true)
pkgs_fail=$(grep -cE '^FAIL\s' "$log" || true)
echo "packages: ${pkgs_ok} ok, ${pkgs_fail} failed; total time $(( $(date +%s) - started ))s"
echo "go test: ${passed} passed, ${failed} failed"
exit "$rc"
