import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { createLogger } from '@kube-dns-legacy/processkit';
import { Metrics } from './metrics.js';
import { Reconciler } from './reconcile.js';
import { serviceRecords } from './records/service.js';
import { podRecords } from './records/pod.js';
import type { RecordContext } from './records/types.js';
import { EtcdStore, type KeyValueStore } from './store.js';

const ctx: RecordContext = { domain: 'cluster.local.', prefix: 'skydns' };
const a = (ip: string): string => `{"host":"${ip}","priority":10,"weight":10,"ttl":30,"targetstrip":0}`;
let etcd: EtcdServer;

before(async () => {
  etcd = await EtcdServer.start();
});
after(async () => {
  await etcd?.stop();
});

async function revision(): Promise<number> {
  const out = JSON.parse(await etcd.etcdctl('get', 'none', '-w', 'json')) as { header: { revision: number } };
  return Number(out.header.revision);
}

function reconciler(batchSize?: number): { r: Reconciler; metrics: Metrics } {
  const metrics = new Metrics();
  const store = new EtcdStore({ endpoints: [etcd.endpoint], timeoutMs: 2_000 });
  const r = new Reconciler({
    store,
    ctx,
    logger: createLogger('kube2sky', 'error'),
    metrics,
    backoffBaseMs: 20,
    backoffCapMs: 200,
    ...(batchSize ? { batchSize } : {}),
  });
  return { r, metrics };
}

const svc = (name: string, ip: string, ports: Array<{ name?: string; port: number }> = []): Map<string, string> =>
  serviceRecords(
    ctx,
    {
      metadata: { name, namespace: 'default' },
      spec: { clusterIP: ip, ports: ports.map((p) => ({ protocol: 'TCP', ...p })) },
    },
    undefined,
  ).records;

test('start-up sweep deletes stale keys of our subtrees only; no-op updates and resyncs write nothing', async () => {
  const foreign: Array<[string, string]> = [
    ['/skydns/config', '{"dns_addr":"0.0.0.0:53"}'],
    ['/skydns/local/cluster/dns/ns/a', a('10.0.0.10')],
    ['/skydns/local/cluster/dns/stub/com/example/x', a('8.8.8.8')],
    ['/skydns/local/other/svc/default/x/1', a('10.9.9.9')],
    ['/skydns/arpa/in-addr/10/0/0/99', a('host.other.domain.')],
    ['/other/local/cluster/svc/default/x/1', a('10.0.0.1')],
  ];
  const stale: Array<[string, string]> = [
    ['/skydns/local/cluster/svc/default/gone/c88f1059', a('10.0.0.1')],
    ['/skydns/local/cluster/pod/default/10-244-9-9/abc', a('10.244.9.9')],
    ['/skydns/arpa/in-addr/10/0/0/77', a('gone.default.svc.cluster.local.')],
  ];
  for (const [k, v] of [...foreign, ...stale]) await etcd.etcdctl('put', k, v);
  // An existing correct key must not be rewritten.
  await etcd.etcdctl('put', '/skydns/local/cluster/svc/default/kubernetes/c88f1059', a('10.0.0.1'));

  const { r, metrics } = reconciler();
  r.update('svc/default/kubernetes', svc('kubernetes', '10.0.0.1', [{ name: 'https', port: 443 }]));
  await r.idle();
  const before = await etcd.dump('/');
  for (const [k] of stale) assert.ok(before.has(k), `nothing deleted before the initial sync: ${k}`);
  assert.equal(r.ready, false);
  r.markSynced();
  await r.whenReady();
  const dump = await etcd.dump('/');
  const expected = new Map<string, string>([
    ...foreign,
    ['/skydns/local/cluster/svc/default/kubernetes/c88f1059', a('10.0.0.1')],
    [
      '/skydns/local/cluster/svc/default/kubernetes/_tcp/_https/c88f1059',
      '{"host":"kubernetes.default.svc.cluster.local.","port":443,"priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    ],
    ['/skydns/arpa/in-addr/10/0/0/1', a('kubernetes.default.svc.cluster.local.')],
  ]);
  assert.deepEqual(new Map([...dump].sort()), new Map([...expected].sort()));
  assert.equal(
    await metrics.keysPut.get().then((m) => m.values[0]?.value),
    2,
    'the existing A record was not rewritten',
  );
  assert.equal(await metrics.keysDeleted.get().then((m) => m.values[0]?.value), 3);

  const rev = await revision();
  r.update('svc/default/kubernetes', svc('kubernetes', '10.0.0.1', [{ name: 'https', port: 443 }]));
  r.resync();
  await r.idle();
  assert.equal(await revision(), rev, 'a no-op update and a resync leave the etcd revision unchanged');

  // Update: new IP → new keys written before the old ones are deleted.
  r.update('svc/default/kubernetes', svc('kubernetes', '10.0.0.10', [{ name: 'https', port: 443 }]));
  await r.idle();
  const updated = await etcd.dump('/skydns/local/cluster/svc/');
  assert.deepEqual([...updated.keys()].sort(), [
    '/skydns/local/cluster/svc/default/kubernetes/21172049',
    '/skydns/local/cluster/svc/default/kubernetes/_tcp/_https/21172049',
  ]);
  r.remove('svc/default/kubernetes');
  await r.idle();
  assert.equal((await etcd.dump('/skydns/local/cluster/svc/')).size, 0);
  assert.equal((await etcd.dump('/skydns/arpa/in-addr/10/0/0/10')).size, 0);
  await r.close();
});

test('shared pod IPs keep their record until the last pod goes; big changes are batched', async () => {
  await etcd.etcdctl('del', '--prefix', '/');
  const { r, metrics } = reconciler(50);
  r.markSynced();
  await r.whenReady();
  const pod = (name: string, ip: string): Map<string, string> =>
    podRecords(ctx, { metadata: { name, namespace: 'default' }, status: { podIP: ip } }).records;
  r.update('pod/default/a', pod('a', '10.244.1.5'));
  r.update('pod/default/b', pod('b', '10.244.1.5'));
  await r.idle();
  r.remove('pod/default/a');
  await r.idle();
  assert.deepEqual(
    [...(await etcd.dump('/skydns/local/cluster/pod/')).keys()],
    ['/skydns/local/cluster/pod/default/10-244-1-5/9e51737e'],
  );
  r.remove('pod/default/b');
  await r.idle();
  assert.equal((await etcd.dump('/skydns/local/cluster/pod/')).size, 0);

  const txBefore = (await metrics.transactions.get()).values[0]?.value ?? 0;
  for (let i = 0; i < 120; i++) r.update(`pod/default/p${i}`, pod(`p${i}`, `10.244.2.${i + 1}`));
  await r.idle();
  assert.equal((await etcd.dump('/skydns/local/cluster/pod/')).size, 120);
  assert.equal(((await metrics.transactions.get()).values[0]?.value ?? 0) - txBefore, 3, '120 puts in batches of 50');
  await r.close();
});

test('etcd down: no crash, back-off, convergence when it returns (even empty)', async () => {
  await etcd.etcdctl('del', '--prefix', '/');
  const { r, metrics } = reconciler();
  r.update('svc/default/a', svc('a', '10.0.0.1'));
  r.markSynced();
  await r.whenReady();
  await etcd.kill();
  r.update('svc/default/b', svc('b', '10.0.0.10'));
  await waitFor(
    'an etcd error to be counted',
    async () => ((await metrics.errors.get()).values[0]?.value ?? 0) >= 2,
    15_000,
  );
  assert.equal(r.etcdHealthy, false);
  assert.ok(r.lagSeconds() > 0);
  await etcd.resume({ empty: true });
  await waitFor(
    'etcd to hold both services again',
    async () => {
      const dump = await etcd.dump('/skydns/local/cluster/svc/');
      return (
        dump.has('/skydns/local/cluster/svc/default/a/c88f1059') &&
        dump.has('/skydns/local/cluster/svc/default/b/21172049')
      );
    },
    20_000,
    100,
  );
  await r.idle();
  assert.equal(r.etcdHealthy, true);
  assert.equal(r.lagSeconds(), 0);
  await r.close();
});

/** A reconciler that has written service `a` to an etcd whose revision is past 5, then etcd killed. */
async function syncedThenEtcdKilled(): Promise<Reconciler> {
  await etcd.etcdctl('del', '--prefix', '/');
  for (let i = 0; i < 5; i++) await etcd.etcdctl('put', `/unrelated/${i}`, 'x');
  const { r } = reconciler();
  r.update('svc/default/a', svc('a', '10.0.0.1'));
  r.markSynced();
  await r.whenReady();
  await etcd.kill();
  return r;
}

test('etcd re-created empty between two writes: the next write notices the older revision and everything is rewritten', async () => {
  const r = await syncedThenEtcdKilled();
  await etcd.resume({ empty: true });
  r.update('svc/default/b', svc('b', '10.0.0.10'));
  await waitFor(
    'both services in etcd',
    async () => {
      const dump = await etcd.dump('/skydns/local/cluster/svc/');
      return (
        dump.has('/skydns/local/cluster/svc/default/a/c88f1059') &&
        dump.has('/skydns/local/cluster/svc/default/b/21172049')
      );
    },
    20_000,
    100,
  );
  await r.close();
});

test('etcd re-created empty while nothing changes: the idle etcd check notices and rewrites everything', async () => {
  const r = await syncedThenEtcdKilled();
  await r.checkEtcd(); // etcd away: nothing to repair yet, and no crash
  await etcd.resume({ empty: true });
  assert.equal((await etcd.dump('/skydns/')).size, 0);
  // As kube2sky's timer does: check every second until etcd answers again.
  await waitFor(
    'the record rewritten without any object changing',
    async () => {
      await r.checkEtcd();
      await r.idle();
      return (
        (await etcd.dump('/skydns/local/cluster/svc/')).get('/skydns/local/cluster/svc/default/a/c88f1059') ===
        a('10.0.0.1')
      );
    },
    20_000,
    1_000,
  );
  await r.close();
});

test('lists that complete while a write is in flight: ready only once their records are in etcd and stale keys are swept', async () => {
  await etcd.etcdctl('del', '--prefix', '/');
  await etcd.etcdctl('put', '/skydns/local/cluster/svc/default/gone/c88f1059', a('10.0.0.1'));
  const metrics = new Metrics();
  const etcdStore = new EtcdStore({ endpoints: [etcd.endpoint], timeoutMs: 2_000 });
  let onFirstWrite: (() => void) | undefined;
  const written = { puts: 0, deletes: 0 };
  // The real etcd store, with a hook at the first transaction: the last lists arrive while it is being written.
  const store: KeyValueStore = {
    load: (prefixes, onEntry) => etcdStore.load(prefixes, onEntry),
    epoch: () => etcdStore.epoch(),
    apply: (puts, deletes) => {
      const hook = onFirstWrite;
      onFirstWrite = undefined;
      hook?.();
      return etcdStore.apply(puts, deletes).then((epoch) => {
        written.puts += puts.length;
        written.deletes += deletes.length;
        return epoch;
      });
    },
    close: () => etcdStore.close(),
  };
  const r = new Reconciler({ store, ctx, logger: createLogger('kube2sky', 'error'), metrics, batchSize: 10 });
  for (let i = 0; i < 20; i++) r.update(`svc/default/s${i}`, svc(`s${i}`, `10.0.1.${i + 1}`));
  onFirstWrite = () => {
    for (let i = 20; i < 40; i++) r.update(`svc/default/s${i}`, svc(`s${i}`, `10.0.1.${i + 1}`));
    r.markSynced();
  };
  await r.whenReady();
  // Checked as readiness is announced, before any later write can run.
  assert.deepEqual(
    written,
    { puts: 80, deletes: 1 },
    'A and PTR of all 40 services written and the stale key swept before readiness',
  );
  const dump = await etcd.dump('/skydns/local/cluster/svc/');
  assert.equal(dump.size, 40);
  assert.equal(dump.has('/skydns/local/cluster/svc/default/gone/c88f1059'), false);
  await r.close();
});
