#!/usr/bin/env bash
# Quick local throughput check: skydns (built dist/main.js) vs dnsmasq serving the same names.
# Needs etcd, etcdctl, dnsperf and dnsmasq (apt-get install -y dnsperf dnsmasq). Not part of npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
WORK=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ETCD_PORT=$(port); PEER_PORT=$(port); DNS_PORT=$(port); MASQ_PORT=$(port); RAW_PORT=$(port)
etcd --name bench --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-cluster "bench=http://127.0.0.1:$PEER_PORT" \
  --log-level error >/dev/null 2>&1 & pids+=($!)
export ETCDCTL_API=3
until etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" endpoint health >/dev/null 2>&1; do sleep 0.1; done
: >"$WORK/queries"; masq_args=()
for i in $(seq 1 50); do
  ip="10.0.$((i / 250)).$((i % 250 + 1))"
  value="{\"host\":\"$ip\",\"priority\":10,\"weight\":10,\"ttl\":30,\"targetstrip\":0}"
  etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" put "/skydns/local/cluster/svc/default/svc$i/x" "$value" >/dev/null
  echo "svc$i.default.svc.cluster.local A" >>"$WORK/queries"
  masq_args+=("--host-record=svc$i.default.svc.cluster.local,$ip")
done
node ${NODE_ARGS:-} dist/main.js -machines="http://127.0.0.1:$ETCD_PORT" -addr="127.0.0.1:$DNS_PORT" -ns-rotate=false -domain=cluster.local. -no-rec \
  >"$WORK/skydns.log" 2>&1 & pids+=($!)
dnsmasq --keep-in-foreground --port="$MASQ_PORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --pid-file="$WORK/dnsmasq.pid" --user=root --local-ttl=30 "${masq_args[@]}" >/dev/null 2>&1 & pids+=($!)
# The Node ceiling: a bare dgram server that answers every query with one canned reply (ID patched).
node -e '
const dgram = require("node:dgram");
const reply = Buffer.from("00008180000100010000000003737663310764656661756c74037376630763"
  + "6c7573746572056c6f63616c0000010001c00c000100010000001e00040a000002", "hex");
const s = dgram.createSocket("udp4");
s.on("message", (m, r) => { const out = Buffer.from(reply); m.copy(out, 0, 0, 2); s.send(out, r.port, r.address); });
s.bind(Number(process.argv[1]), "127.0.0.1");' "$RAW_PORT" & pids+=($!)
until dig @127.0.0.1 -p "$DNS_PORT" +short svc1.default.svc.cluster.local | grep -q 10.0; do sleep 0.2; done
# Interleaved rounds, so that load from other work on the machine hits every target alike.
for round in $(seq 1 "${ROUNDS:-3}"); do
  for target in "skydns $DNS_PORT" "dnsmasq $MASQ_PORT" "raw-node-dgram $RAW_PORT"; do
    set -- $target
    qps=$(dnsperf -s 127.0.0.1 -p "$2" -d "$WORK/queries" -l "$SECONDS_PER_RUN" -c 4 -q 200 2>&1 | awk '/Queries per second/ {printf "%d", $4}')
    echo "round $round $1 $qps qps"
  done
done
