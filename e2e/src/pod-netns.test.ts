import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { requireTool } from '@kube-dns-legacy/testkit';
import { repoRoot } from './pod.js';

const exec = promisify(execFile);

// A pod's point of view: a private network and mount namespace where the local pod serves DNS on
// 127.0.0.1:53 and /etc/resolv.conf is what the kubelet writes for a ClusterFirst pod. The local pod
// starts before the bind mount, as skydns (dnsPolicy: Default) sees the node's resolv.conf.
const SCRIPT = `
set -eu
ip link set lo up
state=$(mktemp -d)
node "$1" --free-ports --dns-port 53 --state-dir "$state" > "$state/log" 2>&1 &
pod=$!
trap 'kill -INT $pod; wait $pod || true; rm -rf "$state"' EXIT
for i in $(seq 1 450); do grep -q 'Stop with Ctrl-C' "$state/log" && break; sleep 0.2; done
grep -q 'Stop with Ctrl-C' "$state/log" || { cat "$state/log"; exit 3; }
printf 'nameserver 127.0.0.1\\nsearch default.svc.cluster.local svc.cluster.local cluster.local\\noptions ndots:5\\n' > "$state/resolv.conf"
mount --bind "$state/resolv.conf" /etc/resolv.conf
echo "== getent"
getent hosts kubernetes.default
echo "== nslookup"
busybox nslookup kubernetes.default.svc.cluster.local
echo "== healthz"
sh -c 'busybox nslookup kubernetes.default.svc.cluster.local 127.0.0.1 >/dev/null' && echo "healthz command ok"
`;

test('inside a pod network namespace, glibc with the search path and busybox nslookup resolve kubernetes.default', async () => {
  if (process.getuid?.() !== 0) assert.fail('this test needs root for unshare --net --mount (run npm test as root)');
  for (const tool of ['unshare', 'ip', 'getent', 'busybox', 'etcd']) requireTool(tool);
  const { stdout } = await exec(
    'unshare',
    ['--net', '--mount', 'sh', '-c', SCRIPT, 'netns', join(repoRoot, 'packages', 'local-pod', 'dist', 'main.js')],
    { timeout: 120_000 },
  );
  const section = (name: string): string => stdout.split(`== ${name}\n`)[1]?.split('\n== ')[0] ?? '';
  assert.match(section('getent'), /^10\.0\.0\.1\s+kubernetes\.default\.svc\.cluster\.local$/m, stdout);
  assert.match(
    section('nslookup'),
    /Server:\s+127\.0\.0\.1\nAddress:\s+127\.0\.0\.1:53\n\nName:\s+kubernetes\.default\.svc\.cluster\.local\nAddress: 10\.0\.0\.1\n/,
    stdout,
  );
  assert.match(section('healthz'), /^healthz command ok$/m, stdout);
});
