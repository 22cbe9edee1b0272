import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { V1Service } from '@kubernetes/client-node';
import { waitFor } from '@kube-dns-legacy/testkit';
import { Harness, a, baseRecords, h } from './kube2sky-harness.js';

let k: Harness;
before(async () => {
  k = await Harness.start(true);
  await k.startKube2sky('--log-level=info');
});
after(async () => {
  await k?.close();
});

/** A port-bearing ClusterIP service body (unnamed port: A and PTR only). */
const service = (name: string, ip: string): { namespace: string; body: V1Service } => ({
  namespace: 'default',
  body: { metadata: { name }, spec: { clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }] } },
});
/** The records of such a service. */
function add(expected: Map<string, string>, name: string, ip: string): void {
  expected.set(`/skydns/local/cluster/svc/default/${name}/${h(ip)}`, a(ip));
  expected.set(`/skydns/arpa/in-addr/${ip.split('.').join('/')}`, a(`${name}.default.svc.cluster.local.`));
}

async function healthz(): Promise<{ status: number; body: { checks: Record<string, boolean> } }> {
  const res = await fetch(`http://127.0.0.1:${k.healthzPort}/healthz`);
  return { status: res.status, body: (await res.json()) as { checks: Record<string, boolean> } };
}

test('restart with deletions made while kube2sky was down: stale keys are swept', async () => {
  const expected = baseRecords();
  await k.core.createNamespacedService(service('gone', '10.0.0.30'));
  await k.core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'pgone' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { podIP: '10.244.9.9' },
    },
  });
  add(expected, 'gone', '10.0.0.30');
  expected.set(`/skydns/local/cluster/pod/default/10-244-9-9/${h('10.244.9.9')}`, a('10.244.9.9'));
  await k.expectEtcd(expected, 'before the restart');

  await k.stopKube2sky();
  await k.core.deleteNamespacedService({ name: 'gone', namespace: 'default' });
  await k.core.deleteNamespacedPod({ name: 'pgone', namespace: 'default' });
  await k.core.createNamespacedService(service('born', '10.0.0.31'));
  await k.startKube2sky();
  const after = baseRecords();
  add(after, 'born', '10.0.0.31');
  await k.expectEtcd(after, 'after the restart: deleted objects swept, the new one written', 2_000);
  assert.ok((await k.metric('kube2sky_etcd_keys_deleted_total')) >= 3);
});

test('etcd stopped and restarted mid-change (and restarted empty): kube2sky stays up and converges', async () => {
  const expected = baseRecords();
  add(expected, 'born', '10.0.0.31');
  const errorsBefore = await k.metric('kube2sky_errors_total', 'kind="etcd"');
  await k.etcd.kill();
  await k.core.createNamespacedService(service('during', '10.0.0.32'));
  add(expected, 'during', '10.0.0.32');
  await waitFor(
    'kube2sky to count etcd errors',
    async () => (await k.metric('kube2sky_errors_total', 'kind="etcd"')) > errorsBefore,
    20_000,
    100,
  );
  const sick = await healthz();
  assert.equal(sick.status, 503);
  assert.equal(sick.body.checks['etcd'], false);
  assert.ok((await k.metric('kube2sky_sync_lag_seconds')) > 0);
  assert.ok(k.kube2sky?.alive, 'kube2sky keeps running while etcd is down');
  await k.etcd.resume();
  await k.expectEtcd(expected, 'converged after etcd came back', 30_000);
  await waitFor('/healthz to recover', async () => (await healthz()).status === 200, 10_000);

  await k.etcd.kill();
  await k.etcd.resume({ empty: true });
  await k.core.createNamespacedService(service('empty', '10.0.0.33'));
  add(expected, 'empty', '10.0.0.33');
  await k.expectEtcd(expected, 'everything rewritten after etcd lost its data', 30_000);
});

test('the API server drops watches, answers 410, then 500s: kube2sky converges', async () => {
  const expected = new Map(await k.etcd.dump('/skydns/'));
  k.api.faults.dropWatches();
  await k.core.createNamespacedService(service('after-drop', '10.0.0.40'));
  add(expected, 'after-drop', '10.0.0.40');
  await k.expectEtcd(expected, 'after dropped watches');

  k.api.faults.goneOnWatch(true);
  k.api.faults.dropWatches();
  await k.core.createNamespacedService(service('during-410', '10.0.0.41'));
  await k.core.deleteNamespacedService({ name: 'after-drop', namespace: 'default' });
  add(expected, 'during-410', '10.0.0.41');
  for (const key of [...expected.keys()])
    if (key.includes('/after-drop/') || key === '/skydns/arpa/in-addr/10/0/0/40') expected.delete(key);
  await k.expectEtcd(expected, 'after 410 Gone on watches (re-list)');
  k.api.faults.goneOnWatch(false);

  const restarts = await k.metric('kube2sky_watch_restarts_total');
  k.api.faults.failWith(500);
  k.api.faults.dropWatches();
  await waitFor(
    'kube2sky to restart failed watches',
    async () => (await k.metric('kube2sky_watch_restarts_total')) >= restarts + 3,
    15_000,
    100,
  );
  const sick = await healthz();
  assert.equal(sick.status, 503);
  assert.equal(sick.body.checks['services'], false);
  k.api.faults.failWith(undefined);
  await k.core.createNamespacedService(service('after-500', '10.0.0.42'));
  add(expected, 'after-500', '10.0.0.42');
  await k.expectEtcd(expected, 'after 500s stopped', 30_000);
  await waitFor('/healthz to recover', async () => (await healthz()).status === 200, 15_000);
});
