#!/usr/bin/env bash
# Builds the Go peers the conformance suite and the benchmarks run beside ours, once per version,
# into a cache outside the repo (nothing but modules from the Go module proxy is downloaded):
#   kube-apiserver, kube-controller-manager, kubectl  of Kubernetes $KUBE_VERSION
#   coredns                                           of CoreDNS    $COREDNS_VERSION
# Prints the directory that holds the binaries (bin/) on its last line. Idempotent: a warm cache
# costs a few stat calls.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
COREDNS_VERSION=${COREDNS_VERSION:-v1.15.0}
CACHE=${KUBE_DNS_LEGACY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-dns-legacy}

if ! command -v go >/dev/null 2>&1; then
  echo "conformance needs Go >= 1.26 (with the Go module proxy) to build kube-apiserver, kube-controller-manager, kubectl and CoreDNS; 'go' is not on PATH" >&2
  exit 1
fi

log() { echo "[build-go] $*" >&2; }
# go's "go: downloading …" lines, one per module on a cold cache, say nothing a reader needs.
quiet() { "$@" 2> >(grep -v '^go: downloading' >&2); }

# kube-apiserver, kube-controller-manager, kubectl. k8s.io/kubernetes requires its staging modules
# at v0.0.0 (replaced by ./staging in its own tree), so it cannot be `go install`ed: a wrapper module
# requires it and points every staging module at the matching published v0.Y.Z.
build_kube() {
  local out="$CACHE/kubernetes-$KUBE_VERSION"
  local bins=(kube-apiserver kube-controller-manager kubectl)
  local missing=0
  for b in "${bins[@]}"; do [ -x "$out/bin/$b" ] || missing=1; done
  [ "$missing" = 1 ] || return 0
  local staging="v0.${KUBE_VERSION#v1.}"
  local mod="$out/module"
  mkdir -p "$mod" "$out/bin"
  log "Kubernetes $KUBE_VERSION: resolving modules (staging at $staging)"
  local gomod
  gomod=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module kube-dns-legacy/kubernetes-build"
    echo
    echo "go $(sed -n 's/^go \(.*\)/\1/p' "$gomod")"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } >"$mod/go.mod"
  cat >"$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$mod" && GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true)
  for b in "${bins[@]}"; do
    [ -x "$out/bin/$b" ] && continue
    log "Kubernetes $KUBE_VERSION: building $b (cold: several minutes on 2 cores)"
    local start=$SECONDS
    (cd "$mod" && GOFLAGS=-mod=mod CGO_ENABLED=0 quiet go build -trimpath -ldflags='-s -w' -o "$out/bin/$b.tmp" "k8s.io/kubernetes/cmd/$b")
    mv "$out/bin/$b.tmp" "$out/bin/$b"
    log "Kubernetes $KUBE_VERSION: $b built in $((SECONDS - start)) s"
  done
}

build_coredns() {
  local out="$CACHE/coredns-$COREDNS_VERSION"
  [ -x "$out/bin/coredns" ] && return 0
  mkdir -p "$out/bin"
  log "CoreDNS $COREDNS_VERSION: building (cold: a few minutes on 2 cores)"
  local start=$SECONDS
  GOBIN="$out/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 quiet go install -trimpath -ldflags='-s -w' "github.com/coredns/coredns@$COREDNS_VERSION"
  log "CoreDNS $COREDNS_VERSION: built in $((SECONDS - start)) s"
}

case "${1:-all}" in
  kube) build_kube; echo "$CACHE/kubernetes-$KUBE_VERSION/bin" ;;
  coredns) build_coredns; echo "$CACHE/coredns-$COREDNS_VERSION/bin" ;;
  all) build_kube; build_coredns; echo "$CACHE" ;;
  *) echo "usage: build-go.sh [kube|coredns|all]" >&2; exit 2 ;;
esac
