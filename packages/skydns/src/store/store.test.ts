import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { encodeRecord, leafLabel } from '@kube-dns-legacy/skymsg';
import { connectEtcd } from '@kube-dns-legacy/etcdkit';
import { EtcdStore, type StoreOptions } from './index.js';

const A = (ip: string): string => encodeRecord({ host: ip, priority: 10, weight: 10, ttl: 30 });
const SVC = '/skydns/local/cluster/svc/default';

let etcd: EtcdServer;
before(async () => {
  etcd = await EtcdServer.start();
});
after(async () => {
  await etcd.stop();
});

function store(extra: Partial<StoreOptions> = {}): {
  store: EtcdStore;
  bad: string[];
  changes: string[][];
  logs: string[];
} {
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
    log: (level, message, meta) => logs.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`),
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
    const putMs = await waitFor(
      'put visible',
      () => (hosts(s, `${SVC}/web`)?.[0] === '10.0.0.2' ? Date.now() - started : undefined),
      2000,
      2,
    );
    await etcd.etcdctl('del', `${SVC}/web/${leafLabel(v2)}`);
    started = Date.now();
    const delMs = await waitFor(
      'delete visible',
      () => (hosts(s, `${SVC}/web`) === undefined ? Date.now() - started : undefined),
      2000,
      2,
    );
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
      const status = JSON.parse(await etcd.etcdctl('endpoint', 'status', '-w', 'json')) as Array<{
        Status: { header: { revision: number } };
      }>;
      await etcd.etcdctl('compaction', String(status[0]?.Status.header.revision));
    },
  });
  s.start();
  try {
    await waitFor(
      'the put made during compaction is seen',
      () => hosts(s, `${SVC}/compacted`)?.[0] === '10.0.0.4',
      10_000,
      10,
    );
    assert.ok(
      logs.some((l) => /listing again/.test(l)),
      logs.join('\n'),
    );
    assert.ok(logs.filter((l) => /loaded records|reloaded records/.test(l)).length >= 2);
    assert.ok(!logs.some((l) => /refilled/.test(l)), 'a compacted watch is re-listed at once, without a hold');

    await etcd.kill();
    await etcd.resume({ empty: true });
    const v = A('10.0.0.5');
    await etcd.etcdctl('put', `${SVC}/fresh/${leafLabel(v)}`, v);
    await waitFor(
      'fresh etcd re-listed',
      () => hosts(s, `${SVC}/fresh`)?.[0] === '10.0.0.5' && hosts(s, `${SVC}/compacted`) === undefined,
      15_000,
      10,
    );
  } finally {
    await s.stop();
  }
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A store over three names, loaded and watching, with etcd then killed and restarted empty. */
async function wipedUnder(hold: { quietMs: number; maxMs: number }): Promise<ReturnType<typeof store>> {
  await etcd.etcdctl('del', '--prefix', '/skydns/');
  for (const [i, name] of ['one', 'two', 'three'].entries())
    await etcd.etcdctl('put', `${SVC}/${name}/x`, A(`10.0.1.${i + 1}`));
  const made = store({ hold });
  made.store.start();
  await waitFor('first load', () => made.store.tree.ready && made.store.connected, 10_000);
  await etcd.kill();
  await etcd.resume({ empty: true });
  await waitFor('the hold to begin', () => made.logs.some((l) => /while it is refilled/.test(l)), 15_000, 10);
  return made;
}

test('etcd back empty: the last good data serves until the refill has been quiet, then the refilled data replaces it', async () => {
  const { store: s, logs, changes } = await wipedUnder({ quietMs: 700, maxMs: 20_000 });
  try {
    // Before the refill begins nothing is switched, however long it takes.
    for (const end = Date.now() + 1500; Date.now() < end; await sleep(50)) {
      assert.deepEqual([hosts(s, `${SVC}/one`), hosts(s, `${SVC}/three`)], [['10.0.1.1'], ['10.0.1.3']]);
    }
    const changesBefore = changes.length;
    await etcd.etcdctl('put', `${SVC}/one/x`, A('10.0.1.1'));
    await etcd.etcdctl('put', `${SVC}/two/x`, A('10.0.2.2'));
    await sleep(300);
    assert.deepEqual(
      [hosts(s, `${SVC}/two`), hosts(s, `${SVC}/three`)],
      [['10.0.1.2'], ['10.0.1.3']],
      'still the last good data while the refill goes on',
    );
    await etcd.etcdctl('put', `${SVC}/four/x`, A('10.0.2.4'));
    const lastWrite = Date.now();
    await waitFor('the switch to the refilled data', () => hosts(s, `${SVC}/four`) !== undefined, 10_000, 5);
    const quietMs = Date.now() - lastWrite;
    assert.ok(quietMs >= 600, `switched ${quietMs} ms after the last write (quiet period 700 ms)`);
    assert.deepEqual(
      [hosts(s, `${SVC}/one`), hosts(s, `${SVC}/two`), hosts(s, `${SVC}/three`)],
      [['10.0.1.1'], ['10.0.2.2'], undefined],
    );
    assert.deepEqual(changes.slice(changesBefore), [['/skydns']], 'one change at the switch, none during the hold');
    assert.ok(
      logs.some((l) => /info switched to the refilled etcd data .*"reason":"quiet"/.test(l)),
      logs.join('\n'),
    );
    // Afterwards changes apply at once again.
    await etcd.etcdctl('put', `${SVC}/five/x`, A('10.0.2.5'));
    const started = Date.now();
    await waitFor('a put after the switch', () => hosts(s, `${SVC}/five`) !== undefined, 2000, 2);
    assert.ok(Date.now() - started < 300, `a put after the switch seen in ${Date.now() - started} ms`);
  } finally {
    await s.stop();
  }
});

test('etcd back empty and never refilled: the hold ends after its longest time', async () => {
  const { store: s, logs } = await wipedUnder({ quietMs: 700, maxMs: 1500 });
  try {
    assert.deepEqual(hosts(s, `${SVC}/one`), ['10.0.1.1']);
    await waitFor('the longest hold to end', () => hosts(s, `${SVC}/one`) === undefined, 10_000, 10);
    assert.equal(s.tree.size, 0);
    assert.ok(
      logs.some((l) => /info switched to the refilled etcd data .*"reason":"max-hold"/.test(l)),
      logs.join('\n'),
    );
  } finally {
    await s.stop();
  }
});

test('the load reads the tree in pages, all at one revision, and the watch starts right after it', async () => {
  await etcd.etcdctl('del', '--prefix', '/skydns/');
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
  const keys = Array.from({ length: 4500 }, (_, i) => `${SVC}/paged/${String(i).padStart(5, '0')}`);
  try {
    for (let i = 0; i < keys.length; i += 250)
      await Promise.all(
        keys.slice(i, i + 250).map((k, j) => client.put(k, A(`10.1.${(i + j) >> 8}.${(i + j) & 255}`))),
      );
  } finally {
    client.close();
  }
  const revision = Number(
    (JSON.parse(await etcd.etcdctl('get', '/skydns/none', '-w', 'json')) as { header: { revision: string } }).header
      .revision,
  );
  const { store: s } = store();
  s.start();
  try {
    await waitFor('the paged load', () => s.tree.ready && s.connected, 15_000);
    assert.equal(s.tree.size, keys.length, 'every page read (three pages of at most 2000 keys)');
    assert.equal(s.revision, revision, 'the load is at the revision etcd had');
    assert.deepEqual(
      s.tree.lookup(`${SVC}/paged`, 3)?.map((r) => r.key),
      keys.slice(0, 3),
    );
    assert.deepEqual(hosts(s, keys[4499] as string), ['10.1.17.147']);
    await etcd.etcdctl('del', keys[0] as string);
    await waitFor('the first change after the load', () => s.tree.size === keys.length - 1, 2000, 2);
  } finally {
    await s.stop();
    await etcd.etcdctl('del', '--prefix', '/skydns/');
  }
});

test("the initial load reads a tree larger than 4 MiB (gRPC's default reply limit, which etcd3 hit)", async () => {
  await etcd.etcdctl('del', '--prefix', '/skydns/');
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
  try {
    // Five values of 1 MB (not records: skipped and counted, but read in the same range as the records).
    for (let i = 0; i < 5; i++) await client.put(`${SVC}/big${i}/x`, 'x'.repeat(1_000_000));
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
