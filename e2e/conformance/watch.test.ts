import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControlPlane } from '@kube-dns-legacy/control-plane';
import { DnsPod, converge, startControlPlane } from './pod.js';
import { pod, podStatus } from './objects.js';

// The real API server's watch behaviour: bookmarks, an expired resourceVersion (410, then a re-list),
// kube-apiserver restarted, the API server's etcd restarted. After each, kube2sky's etcd must hold
// exactly what the objects call for.

const NS = 'churn';
let plane: ControlPlane;
let dns: DnsPod;
let serial = 0;

before(async () => {
  plane = await startControlPlane();
  await plane.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // Watches end after 20 s: the API server sends a BOOKMARK shortly before each ends.
  dns = await DnsPod.start(plane, ['--watch-timeout=20s']);
});

after(async () => {
  await dns?.stop();
  await plane?.stop();
});

/** Create `count` ClusterIP Services and one Pod (with a kubelet-style status), delete the oldest Service; returns nothing. */
async function churn(count: number): Promise<void> {
  const first = serial;
  for (let i = 0; i < count; i++) {
    serial++;
    await plane.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${serial}`, namespace: NS },
      spec: { ports: [{ name: 'http', port: 80 + (serial % 5) }] },
    });
  }
  const name = `pod-${serial}`;
  await plane.apply({ ...pod(name, { app: 'churn' }), metadata: { name, namespace: NS, labels: { app: 'churn' } } });
  await plane.kubectl([
    'patch',
    'pod',
    name,
    '-n',
    NS,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(podStatus([`10.245.${serial >> 8}.${serial & 255}`], true)),
  ]);
  await plane.kubectl(['delete', 'service', `svc-${first + 1}`, '-n', NS, '--wait=false']);
}

test('bookmarks arrive on quiet watches, which then resume without a re-list', async () => {
  await churn(3);
  await converge(dns, 'the first changes in etcd');
  const before = await dns.metric('kube2sky_lists_total', 'reason="expired"');
  await new Promise((r) => setTimeout(r, 45_000));
  // The real server sends a BOOKMARK only when it carries a newer resourceVersion than the watcher has:
  // services and pods changed in the churn; no EndpointSlice did (its watch just resumes every 20 s).
  for (const resource of ['services', 'pods']) {
    assert.ok(
      (await dns.metric('kube2sky_watch_bookmarks_total', `resource="${resource}"`)) > 0,
      `no BOOKMARK on the ${resource} watch in 45 s`,
    );
  }
  assert.equal(await dns.metric('kube2sky_lists_total', 'reason="expired"'), before, 'a quiet watch was re-listed');
  await churn(2);
  await converge(dns, 'changes after the quiet time in etcd', 10_000);
});

test('an expired resourceVersion (410 after compaction and an API server restart) re-lists and converges exactly', async () => {
  const expired = await dns.metric('kube2sky_lists_total', 'reason="expired"');
  // kube2sky sleeps through changes it then cannot watch from: the API server forgets them.
  process.kill(dns.kube2sky.child.pid ?? 0, 'SIGSTOP');
  try {
    // End its watches first: events sent on them while it sleeps would wait in its socket buffers and
    // bring it up to date without a re-list.
    await plane.restartApiServer();
    await churn(5);
    // A Service kube2sky knew, deleted while it cannot see: only the re-list tells it.
    await plane.kubectl(['delete', 'service', 'svc-2', '-n', NS, '--wait=false']);
    const revision = (
      JSON.parse(await plane.etcd.etcdctl('endpoint', 'status', '-w', 'json')) as Array<{
        Status: { header: { revision: number } };
      }>
    )[0]?.Status.header.revision;
    await plane.etcd.etcdctl('compact', String(revision));
    await plane.restartApiServer();
  } finally {
    process.kill(dns.kube2sky.child.pid ?? 0, 'SIGCONT');
  }
  await converge(dns, 'etcd after the re-list');
  assert.ok(
    (await dns.metric('kube2sky_lists_total', 'reason="expired"')) > expired,
    'kube2sky did not re-list after the 410',
  );
});

test('kube-apiserver killed and restarted: kube2sky carries on and converges exactly', async () => {
  await churn(2);
  await plane.restartApiServer('SIGKILL');
  await churn(3);
  await converge(dns, 'etcd after the API server crash');
  assert.ok(dns.kube2sky.alive);
});

test("the API server's etcd killed and restarted: kube2sky carries on and converges exactly", async () => {
  await churn(2);
  await plane.etcd.kill();
  await new Promise((r) => setTimeout(r, 3_000));
  await plane.etcd.resume();
  await churn(3);
  await converge(dns, "etcd after the API server's etcd came back", 90_000);
  assert.ok(dns.kube2sky.alive);
});
