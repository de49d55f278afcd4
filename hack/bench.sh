#!/usr/bin/env bash
# Footprint figures: the stripped aimlite binary size, and aimlite's RSS after
# cache sync on (a) an empty cluster and (b) one with 5,000 unrelated Pods and
# 20,000 Events (hack/bench/main.go; a local control plane unless KUBECONFIG is set).
# Targets: binary ≤ 32 MB; (b) - (a) ≤ 5 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}
bin=${BIN:-bin}
mkdir -p "$bin"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin/aimlite" ./cmd/aimlite
size=$(stat -c %s "$bin/aimlite")
awk -v s="$size" 'BEGIN { printf "binary: %s bytes = %.2f MB = %.2f MiB (stripped; target ≤ 32 MB)\n", s, s / 1e6, s / 1048576 }'
go run ./hack/bench -binary "$bin/aimlite" "$@"
