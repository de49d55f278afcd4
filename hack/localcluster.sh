#!/usr/bin/env bash
# Local control plane for development and tests (no container engine needed).
#   hack/localcluster.sh build   build or reuse the cached etcd/kube-*/kwok binaries (hack/build-cluster.sh)
#   hack/localcluster.sh up      start it; prints `export KUBECONFIG=...` on stdout
#   hack/localcluster.sh down    stop it (by the PIDs recorded in the state folder)
#   hack/localcluster.sh env     print `export KUBECONFIG=...` for the running cluster
#   hack/localcluster.sh status  component PIDs and resident memory
# State folder: $LOCALCLUSTER_STATE_DIR (default .state/cluster). See docs/local-control-plane.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmd=${1:-}
case "${cmd}" in
  build)
    hack/build-cluster.sh >/dev/null
    ;;
  up|down|env|status)
    shift
    if [[ "${cmd}" == up ]]; then
      LOCALCLUSTER_BIN_DIR=$(hack/build-cluster.sh)
      export LOCALCLUSTER_BIN_DIR
    fi
    # A stable binary (not `go run`'s temp file): `up` forks it as the background PV binder.
    mkdir -p .state/bin
    go build -o .state/bin/localcluster ./hack/localcluster
    exec .state/bin/localcluster "${cmd}" "$@"
    ;;
  *)
    echo "usage: $0 {build|up|down|env|status}" >&2
    exit 2
    ;;
esac
