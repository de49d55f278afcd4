#!/usr/bin/env bash
# `make run`: local control plane + CRDs + aimlite + the samples, then their status.
# Ctrl-C stops everything this script started. RUN_ONCE=1 exits after printing the status once.
#   RUN_WAIT   seconds to let aimlite reconcile the samples before the status (default 20)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
state=${LOCALCLUSTER_STATE_DIR:-.state/cluster}
export LOCALCLUSTER_STATE_DIR=$state
logdir=.state/run
mkdir -p "$logdir"

say() { printf '==> %s\n' "$*"; }

say "building aimlite"
make --no-print-directory build

say "building (or reusing) the local control plane binaries (a cold build takes minutes)"
bindir=$(hack/build-cluster.sh)
kubectl="$bindir/kubectl"

aimlite_pid=""
cleanup() {
  set +e
  if [ -n "$aimlite_pid" ] && kill -0 "$aimlite_pid" 2>/dev/null; then
    say "stopping aimlite"
    kill -TERM "$aimlite_pid"; wait "$aimlite_pid" 2>/dev/null
  fi
  say "stopping the local control plane"
  hack/localcluster.sh down >/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting the local control plane (CRDs and KServe/Gateway API stand-in CRDs installed first)"
eval "$(hack/localcluster.sh up)"
export KUBECONFIG
say "KUBECONFIG=$KUBECONFIG"

say "starting aimlite (log: $logdir/aimlite.log)"
bin/aimlite --kubeconfig "$KUBECONFIG" --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
  >"$logdir/aimlite.log" 2>&1 &
aimlite_pid=$!

say "applying config/samples/"
"$kubectl" apply --server-side -k config/samples/

wait_s=${RUN_WAIT:-20}
say "letting aimlite reconcile for ${wait_s}s"
sleep "$wait_s"
kill -0 "$aimlite_pid" 2>/dev/null || { echo "aimlite exited; last log lines:"; tail -n 30 "$logdir/aimlite.log"; exit 1; }

say "status"
"$kubectl" get aim -A -o wide 2>/dev/null || "$kubectl" get aim -A

if [ "${RUN_ONCE:-}" = 1 ]; then
  exit 0
fi
say "running; Ctrl-C stops aimlite and the control plane. KUBECONFIG=$KUBECONFIG"
wait "$aimlite_pid"
