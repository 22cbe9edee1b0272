#!/usr/bin/env bash
# Build the batched-UDP addon (native/udp_batch.cc) into build/udp_batch.node with g++ and the
# running Node's own N-API headers: no node-gyp download, no network. Idempotent: does nothing
# when the addon is newer than its source. Never fails the caller: without g++ or the headers it
# says so and skydns falls back to Node's dgram (it logs which UDP path it uses at start-up).
# N-API is ABI-stable, so one build loads in Node 20 and Node 24 alike.
set -euo pipefail
cd "$(dirname "$0")"
src=native/udp_batch.cc
out=build/udp_batch.node
if [[ -f $out && $out -nt $src && $out -nt build.sh ]]; then exit 0; fi
include=$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")
[[ -f $include/node_api.h ]] || include=/usr/include/node
if ! command -v g++ >/dev/null 2>&1 || [[ ! -f $include/node_api.h || ! -f $include/uv.h ]]; then
  echo "udp-batch: not built (needs g++ and Node's headers in $include); skydns will use dgram" >&2
  exit 0
fi
mkdir -p build
if g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter \
  -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=udp_batch -I"$include" -o "$out.tmp" "$src"; then
  mv "$out.tmp" "$out"
else
  rm -f "$out.tmp"
  echo "udp-batch: the build failed; skydns will use dgram" >&2
fi
