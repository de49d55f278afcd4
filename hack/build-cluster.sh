#!/usr/bin/env bash
# Builds the pinned local control plane binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) from the Go module proxy into a versioned cache folder outside the
# repository. There is no container engine on our machines, so kind/envtest downloads are not an option.
#
# Idempotent: each step writes a stamp; a second run with the same versions builds nothing (<1 s).
# Prints the bin folder on stdout as its last line.
#
# Env: AIMLITE_CACHE_DIR (default $HOME/.cache/aimlite), LOCALCLUSTER_SKIP_KUBECTL=1 to skip kubectl.
set -euo pipefail

K8S_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0

CACHE_ROOT="${AIMLITE_CACHE_DIR:-${HOME:?set HOME or AIMLITE_CACHE_DIR}/.cache/aimlite}"
ROOT="${CACHE_ROOT}/localcluster/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
BIN="${ROOT}/bin"
WORK="${ROOT}/work"
mkdir -p "${BIN}" "${WORK}"

# The throwaway modules must not see the repository's go.work or a toolchain switch.
export GOWORK=off GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

log() { printf '[build-cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# done_stamp NAME FILES... — true when NAME's stamp exists and every file is present.
done_stamp() {
  local name=$1; shift
  [[ -f "${ROOT}/.stamp-${name}" ]] || return 1
  local f
  for f in "$@"; do [[ -x "${BIN}/${f}" ]] || return 1; done
}
stamp() { date -u +%FT%TZ >"${ROOT}/.stamp-${1}"; }

build_etcd() {
  done_stamp etcd etcd && return
  log "etcd ${ETCD_VERSION}: resolving and building (about 1 min cold)"
  local d="${WORK}/etcd"; local t0=$SECONDS
  mkdir -p "$d"
  cat >"$d/go.mod" <<MOD
module localcluster/etcd

go 1.26.0

require (
	go.etcd.io/etcd/api/v3 ${ETCD_VERSION}
	go.etcd.io/etcd/client/pkg/v3 ${ETCD_VERSION}
	go.etcd.io/etcd/client/v3 ${ETCD_VERSION}
	go.etcd.io/etcd/pkg/v3 ${ETCD_VERSION}
	go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
)
MOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$d/tools.go"
  (cd "$d" && go mod tidy && go build -trimpath -ldflags='-s -w' -o "${BIN}/etcd" go.etcd.io/etcd/server/v3)
  stamp etcd
  log "etcd built in $((SECONDS - t0)) s"
}

build_kube() {
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler)
  [[ "${LOCALCLUSTER_SKIP_KUBECTL:-}" == 1 ]] || cmds+=(kubectl)
  done_stamp kube "${cmds[@]}" && return
  log "kubernetes ${K8S_VERSION} (${cmds[*]}): resolving and building (5-15 min cold)"
  local d="${WORK}/kube"; local t0=$SECONDS
  mkdir -p "$d"
  # kubernetes' go.mod requires its staging modules at v0.0.0 with ../staging replaces;
  # replace each with its published tag instead.
  local modfile
  modfile=$(cd "$d" && GOFLAGS= go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    printf 'module localcluster/kube\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire k8s.io/kubernetes %s\n\n' "${K8S_VERSION}"
    awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$modfile" | sort -u |
      while read -r m; do printf 'replace %s => %s %s\n' "$m" "$m" "${STAGING_VERSION}"; done
  } >"$d/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    local c; for c in "${cmds[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
    printf ')\n'
  } >"$d/tools.go"
  local pkgs=() c; for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w"
  local p
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=1 -X $p.gitMinor=${minor}"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$d" && go mod tidy && log "kubernetes modules resolved after $((SECONDS - t0)) s; compiling" &&
    go build -trimpath -ldflags="$ld" -o "${BIN}/" "${pkgs[@]}")
  stamp kube
  log "kubernetes binaries built in $((SECONDS - t0)) s"
}

build_kwok() {
  done_stamp kwok kwok && [[ -f "${ROOT}/crds/kwok.x-k8s.io_logs.yaml" ]] && return
  log "kwok ${KWOK_VERSION}: downloading and building (about 1-2 min cold)"
  local t0=$SECONDS
  (cd "${WORK}" && GOBIN="${BIN}" GOFLAGS= go install -trimpath -ldflags='-s -w' "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}")
  # kwok serves pod logs from its Logs CRD; keep the CRD that matches this kwok version.
  local dir
  dir=$(cd "${WORK}" && GOFLAGS= go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "${ROOT}/crds"
  cp "${dir}/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" "${ROOT}/crds/"
  chmod 0644 "${ROOT}/crds/"*.yaml
  stamp kwok
  log "kwok built in $((SECONDS - t0)) s"
}

# Parallel test binaries may all call this on a cold machine: one builds, the others wait.
exec 9>"${ROOT}/.lock"
if ! flock -n 9; then
  log "another build of these binaries is running; waiting for it"
  flock 9
fi

t_start=$SECONDS
build_etcd
build_kwok
build_kube
if (( SECONDS - t_start > 1 )); then log "all binaries ready in $((SECONDS - t_start)) s: ${BIN}"; fi
echo "${BIN}"
