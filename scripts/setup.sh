#!/usr/bin/env bash
# Make this checkout ready to run: system tools, npm dependencies, a fresh build.
# Idempotent and quick when everything is already present; used by `npm test`, `npm run up`, `npm run bench`.
# Usage: scripts/setup.sh [extra-tool ...]   (extra tools: dnsperf knotd, for the benchmarks; dnsmasq serves the stub-zone tests,
# g++ builds skydns's batched-UDP addon, whose tests run both UDP paths)
set -euo pipefail
cd "$(dirname "$0")/.."

# tool -> Debian package
declare -A PACKAGE=(
  [etcd]=etcd-server
  [etcdctl]=etcd-client
  [busybox]=busybox
  [dig]=dnsutils
  [kubectl]=kubernetes-client
  [openssl]=openssl
  [dnsperf]=dnsperf
  [dnsmasq]=dnsmasq
  [knotd]=knot
  [ip]=iproute2
  [unshare]=util-linux
  [g++]=g++
)
tools=(etcd etcdctl busybox dig kubectl openssl ip unshare dnsmasq g++ "$@")
missing=()
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE[$tool]:-$tool}")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing tools; as root run: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

# npm ci when node_modules is absent or older than the lockfile.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

npx tsc -b
# skydns's batched-UDP addon (g++ and Node's headers; without them skydns uses dgram and says so).
bash packages/udp-batch/build.sh
# tsc writes files without the execute bit; the executables need it to run as `npx skydns` or directly.
chmod +x packages/*/dist/main.js
# Link the workspace executables (skydns, kube2sky, …) now that their dist/main.js exist, so `npx skydns --help` works.
npm rebuild --ignore-scripts --loglevel=error >/dev/null
