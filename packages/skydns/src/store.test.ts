import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { encodeRecord, leafLabel } from '@kube-dns-legacy/skymsg';
import { Etcd3 } from 'etcd3';
import { EtcdStore, type StoreOptions } from './store.js';

const A = (ip: string): string => encodeRecord({ host: ip, priority: 10, weight: 10, ttl: 30 });
const SVC = '/skydns/local/cluster/svc/default';

let etcd: EtcdServer;
before(async () => {
  etcd = await EtcdServer.start();
});
after(async () => {
  await etcd.stop();
});

function store(extra: Partial<StoreOptions> = {}): { store: EtcdStore; bad: string[]; changes: string[][]; logs: string[] } {
  const bad: string[] = [];
  const changes: string[][] = [];
  const logs: string[] = [];
  const s = new EtcdStore({
    endpoints: [etcd.endpoint],
    prefix: 'skydns',
    caCert: '',
    tlsKey: '',
    tlsPem: '',
    username: '',
    password: '',
    log: (level, message) => logs.push(`${level} ${message}`),
    onChange: (keys) => changes.push([...keys]),
    onBadValue: (key) => bad.push(key),
    ...extra,
  });
  return { store: s, bad, changes, logs };
}

const hosts = (s: EtcdStore, key: string): string[] | undefined => s.tree.lookup(key)?.map((r) => r.record.host ?? '');

test('initial load, bad values skipped and counted, put/delete visible within 100 ms', async () => {
  const v1 = A('10.0.0.1');
  await etcd.etcdctl('put', `${SVC}/kubernetes/${leafLabel(v1)}`, v1);
  await etcd.etcdctl('put', `${SVC}/broken/x`, 'not json');
  await etcd.etcdctl('put', `${SVC}/wrongtype/x`, '{"host":"10.0.0.9","ttl":"30"}');
  await etcd.etcdctl('put', `${SVC}/longlabel/x`, JSON.stringify({ host: `${'a'.repeat(64)}.example.com` }));
  await etcd.etcdctl('put', '/skydns/config', '{"ttl":60}');
  await etcd.etcdctl('put', '/skydnsx/other', A('10.9.9.9'));
  const { store: s, bad } = store();
  assert.equal(s.tree.ready, false);
  s.start();
  try {
    await waitFor('first load', () => s.tree.ready, 10_000);
    assert.deepEqual(hosts(s, `${SVC}/kubernetes`), ['10.0.0.1']);
    assert.deepEqual(bad.sort(), [`${SVC}/broken/x`, `${SVC}/longlabel/x`, `${SVC}/wrongtype/x`]);
    assert.equal(s.tree.size, 1, 'config key and other prefixes are not records');
    assert.equal(await s.readConfig(), '{"ttl":60}');
    await waitFor('watch connected', () => s.connected, 5000);

    const v2 = A('10.0.0.2');
    await etcd.etcdctl('put', `${SVC}/web/${leafLabel(v2)}`, v2);
    let started = Date.now();
    const putMs = await waitFor('put visible', () => (hosts(s, `${SVC}/web`)?.[0] === '10.0.0.2' ? Date.now() - started : undefined), 2000, 2);
    await etcd.etcdctl('del', `${SVC}/web/${leafLabel(v2)}`);
    started = Date.now();
    const delMs = await waitFor('delete visible', () => (hosts(s, `${SVC}/web`) === undefined ? Date.now() - started : undefined), 2000, 2);
    // Measured from the moment etcdctl reports the write committed.
    assert.ok(putMs < 100 && delMs < 100, `put ${putMs} ms, delete ${delMs} ms`);
    await etcd.etcdctl('put', `${SVC}/kubernetes/${leafLabel(v1)}`, 'garbage now');
    await waitFor('a value turned bad is removed', () => hosts(s, `${SVC}/kubernetes`) === undefined, 2000, 2);
    assert.equal(bad.length, 4);
    await etcd.etcdctl('put', `${SVC}/kubernetes/${leafLabel(v1)}`, v1);
    await waitFor('restored', () => hosts(s, `${SVC}/kubernetes`)?.length === 1, 2000, 2);
  } finally {
    await s.stop();
  }
});

test('etcd killed and restarted: the last good data keeps serving, then the store catches up', async () => {
  const { store: s } = store();
  s.start();
  try {
    await waitFor('first load', () => s.tree.ready && s.connected, 10_000);
    const before = s.tree.size;
    assert.ok(before > 0);
    await etcd.kill();
    await waitFor('disconnect noticed', () => !s.connected, 10_000);
    assert.equal(s.tree.size, before, 'data kept while etcd is away');
    assert.equal(s.tree.ready, true);
    await etcd.resume();
    const v = A('10.0.0.3');
    await etcd.etcdctl('put', `${SVC}/after/${leafLabel(v)}`, v);
    const started = Date.now();
    await waitFor('caught up after restart', () => hosts(s, `${SVC}/after`)?.[0] === '10.0.0.3', 15_000, 10);
    assert.ok(Date.now() - started < 5000, `caught up in ${Date.now() - started} ms`);
  } finally {
    await s.stop();
  }
});

test('a compacted watch is re-listed; a wiped etcd is re-listed', async () => {
  let compactOnce = true;
  const { store: s, logs } = store({
    afterLoad: async () => {
      if (!compactOnce) return;
      compactOnce = false;
      const v = A('10.0.0.4');
      await etcd.etcdctl('put', `${SVC}/compacted/${leafLabel(v)}`, v);
      await etcd.etcdctl('put', `${SVC}/compacted2/x`, v);
      const status = JSON.parse(await etcd.etcdctl('endpoint', 'status', '-w', 'json')) as Array<{ Status: { header: { revision: number } } }>;
      await etcd.etcdctl('compaction', String(status[0]?.Status.header.revision));
    },
  });
  s.start();
  try {
    await waitFor('the put made during compaction is seen', () => hosts(s, `${SVC}/compacted`)?.[0] === '10.0.0.4', 10_000, 10);
    assert.ok(logs.some((l) => /listing again/.test(l)), logs.join('\n'));
    assert.ok(logs.filter((l) => /loaded records|reloaded records/.test(l)).length >= 2);

    await etcd.kill();
    await etcd.resume({ empty: true });
    const v = A('10.0.0.5');
    await etcd.etcdctl('put', `${SVC}/fresh/${leafLabel(v)}`, v);
    await waitFor('fresh etcd re-listed', () => hosts(s, `${SVC}/fresh`)?.[0] === '10.0.0.5' && hosts(s, `${SVC}/compacted`) === undefined, 15_000, 10);
  } finally {
    await s.stop();
  }
});

test('the initial load reads a tree larger than gRPC\'s default 4 MiB reply limit', async () => {
  await etcd.etcdctl('del', '--prefix', '/skydns/');
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    // Five values of 1 MB (not records: skipped and counted, but read in the same range as the records).
    for (let i = 0; i < 5; i++) await client.put(`${SVC}/big${i}/x`).value('x'.repeat(1_000_000));
  } finally {
    client.close();
  }
  const v = A('10.0.0.7');
  await etcd.etcdctl('put', `${SVC}/small/${leafLabel(v)}`, v);
  const { store: s, bad } = store();
  s.start();
  try {
    await waitFor('first load of a 5 MB tree', () => s.tree.ready, 15_000);
    assert.deepEqual(hosts(s, `${SVC}/small`), ['10.0.0.7']);
    assert.equal(bad.length, 5);
  } finally {
    await s.stop();
    await etcd.etcdctl('del', '--prefix', '/skydns/');
  }
});
