#!/usr/bin/env bash
# `npm run conformance`: our pod against the real peers. Builds (once per version, into
# ~/.cache/kube-dns-legacy) kube-apiserver, kube-controller-manager and kubectl of one pinned
# Kubernetes release and CoreDNS, from Go modules; then runs e2e/conformance/*.test.ts.
# Usage: scripts/conformance/run.sh [test file ...]   (default: every e2e/conformance/*.test.ts)
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v go >/dev/null 2>&1; then
  echo "conformance: Go >= 1.26 with the Go module proxy is required (it builds kube-apiserver, kube-controller-manager, kubectl and CoreDNS); 'go' is not on PATH" >&2
  exit 1
fi
bash scripts/setup.sh
start=$SECONDS
bash scripts/conformance/build-go.sh all >/dev/null
echo "conformance: Go peers ready in $((SECONDS - start)) s ($(bash scripts/conformance/build-go.sh all | tail -1))"
npx tsc -p e2e/conformance
if (($#)); then files=("$@"); else files=(e2e/conformance/*.test.ts); fi
# One file at a time: each starts its own control plane, and two would fight over the two cores.
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
