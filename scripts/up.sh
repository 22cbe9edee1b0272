#!/usr/bin/env bash
# `npm run up`: install and build, then run the DNS pod locally (packages/local-pod).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [[ -f packages/local-pod/dist/main.js ]]; then
  exec node packages/local-pod/dist/main.js "$@"
fi
echo "up: built. The local pod (packages/local-pod) has not landed yet; it will run etcd, kube2sky, skydns and healthz"
echo "up: as local processes with the arguments of manifests/skydns-rc.yaml."
