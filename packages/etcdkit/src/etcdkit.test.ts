import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EtcdCluster, EtcdServer, freePort, waitFor } from '@kube-dns-legacy/testkit';
import {
  connectEtcd,
  EtcdError,
  prefixRangeEnd,
  readPrefix,
  readWatchLoop,
  watchPrefix,
  type WatchEnd,
  type WatchResponse,
} from './index.js';

/** Every event of `res` as `Put key=value` or `Delete key`. */
function described(res: WatchResponse): string[] {
  return res.events.map((e) => (e.type === 'Put' ? `Put ${e.kv.key}=${e.kv.value}` : `Delete ${e.kv.key}`));
}

test("readPrefix reads every page at the first page's revision; watchPrefix continues from the next one", async () => {
  const etcd = await EtcdServer.start();
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
  try {
    for (let i = 0; i < 7; i++) await client.put(`/p/k${i}`, String(i));
    await client.put('/q/outside', 'x');
    await client.put('/p', 'the prefix without its slash is outside');
    const pages: string[][] = [];
    let wrote = false;
    const read = await readPrefix(client, '/p/', { pageSize: 3, timeoutMs: 2000 }, (kvs) => {
      pages.push(kvs.map((kv) => `${kv.key}=${kv.value}`));
      if (!wrote) {
        wrote = true;
        void client.put('/p/k9', 'late');
        void client.delete('/p/k4');
      }
    });
    await waitFor('the late delete', async () => (await client.get('/p/k4')) === undefined, 5000);
    assert.equal(await client.get('/p/k9'), 'late');
    assert.deepEqual(
      pages,
      [['/p/k0=0', '/p/k1=1', '/p/k2=2'], ['/p/k3=3', '/p/k4=4', '/p/k5=5'], ['/p/k6=6']],
      'a key written or deleted after the first page is read as it was at the first page',
    );
    assert.ok(read.revision > 0 && /^\d+$/.test(read.clusterId), `cluster ${read.clusterId}`);
    assert.equal(read.clusterId, (await client.status()).clusterId);
    const seen: string[] = [];
    const watch = watchPrefix(client, '/p/', read.revision + 1, {
      connected: () => true,
      disconnected: () => undefined,
      data: (res) => seen.push(...described(res)),
    });
    await waitFor('the late changes watched', () => seen.length >= 2, 5000);
    assert.deepEqual(seen.sort(), ['Delete /p/k4', 'Put /p/k9=late']);
    watch.stop();
    assert.deepEqual(await watch.ended, { by: 'caller' });
  } finally {
    client.close();
    await etcd.stop();
  }
});

test('range, put, delete, txn and status against a real etcd; a transaction applies all of it at one revision, or nothing', async () => {
  const etcd = await EtcdServer.start();
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
  try {
    assert.equal(await client.get('/t/none'), undefined);
    const put = await client.put('/t/a', 'ä ünïcode');
    assert.equal(await client.get('/t/a'), 'ä ünïcode');
    await client.put('/t/empty', '');
    assert.equal(await client.get('/t/empty'), '', 'an empty value is a value');
    await client.put('/t/gone', 'x');

    const before = (await client.status()).revision;
    const header = await client.txn(
      [
        ['/t/b', 'B'],
        ['/t/c', 'C'],
      ],
      ['/t/gone', '/t/never-was'],
      { timeoutMs: 2000 },
    );
    assert.equal(header.revision, before + 1, 'one revision for the whole transaction');
    const all = await client.range({ key: '/t/', rangeEnd: prefixRangeEnd('/t/') });
    assert.deepEqual(
      all.kvs.map((kv) => [kv.key, kv.value]),
      [
        ['/t/a', 'ä ünïcode'],
        ['/t/b', 'B'],
        ['/t/c', 'C'],
        ['/t/empty', ''],
      ],
    );
    assert.equal(all.count, 4);
    assert.equal(all.more, false);
    assert.deepEqual(
      all.kvs.filter((kv) => kv.key === '/t/b' || kv.key === '/t/c').map((kv) => kv.modRevision),
      [header.revision, header.revision],
    );

    // etcd refuses a transaction that puts and deletes the same key: nothing of it is applied.
    await assert.rejects(client.txn([['/t/d', 'D']], ['/t/d', '/t/a']), (err: Error) => {
      assert.ok(err instanceof EtcdError);
      assert.match(err.message, /duplicate key/);
      assert.equal(err.status, 400);
      assert.ok(err.message.includes(etcd.endpoint), err.message);
      return true;
    });
    assert.equal(await client.get('/t/d'), undefined);
    assert.equal(await client.get('/t/a'), 'ä ünïcode', 'the delete in the refused transaction did not happen');
    assert.equal((await client.status()).revision, header.revision);

    // A read at an older revision, a limit, and etcd's error for a revision it does not have yet.
    const old = await client.range({ key: '/t/', rangeEnd: prefixRangeEnd('/t/'), revision: put.revision });
    assert.deepEqual(
      old.kvs.map((kv) => kv.key),
      ['/t/a'],
    );
    const limited = await client.range({ key: '/t/', rangeEnd: prefixRangeEnd('/t/'), limit: 2 });
    assert.equal(limited.kvs.length, 2);
    assert.equal(limited.more, true);
    assert.deepEqual(limited.after, Buffer.from('/t/b\0'));
    await assert.rejects(
      client.range({ key: '/t/a', revision: header.revision + 100 }),
      /future revision \(HTTP 400\)/,
    );
    assert.equal((await client.delete('/t/', prefixRangeEnd('/t/'))).deleted, 4);
  } finally {
    client.close();
    await etcd.stop();
  }
});

test('a watch from a revision reports puts and deletes in order; one from a compacted revision is ended by etcd', async () => {
  const etcd = await EtcdServer.start();
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
  try {
    const first = await client.put('/w/a', '1');
    await client.put('/w/b', '2');
    await client.put('/other', 'x');
    await client.delete('/w/a');
    await client.txn([['/w/c', '3']], ['/w/b']);
    const seen: string[] = [];
    const connected: number[] = [];
    const watch = watchPrefix(client, '/w/', first.revision, {
      connected: (revision) => {
        connected.push(revision);
        return true;
      },
      disconnected: () => undefined,
      data: (res) => seen.push(...described(res)),
    });
    await waitFor('five events', () => seen.length >= 5, 5000);
    assert.deepEqual(seen, ['Put /w/a=1', 'Put /w/b=2', 'Delete /w/a', 'Put /w/c=3', 'Delete /w/b']);
    assert.deepEqual(connected, [first.revision + 4], "connected with etcd's revision");
    await client.put('/w/d', '4');
    await waitFor('the next put', () => seen.length === 6, 5000);
    assert.equal(seen[5], 'Put /w/d=4');
    watch.stop();

    const now = (await client.status()).revision;
    await etcd.etcdctl('compaction', String(now));
    const late = watchPrefix(client, '/w/', first.revision, {
      connected: () => true,
      disconnected: () => undefined,
      data: () => assert.fail('no data from a compacted revision'),
    });
    const end: WatchEnd = await late.ended;
    assert.equal(end.by, 'etcd');
    assert.match(end.by === 'etcd' ? (end.error?.message ?? '') : '', /compacted/);
  } finally {
    client.close();
    await etcd.stop();
  }
});

test('a watch reconnects after etcd stops and starts again, from the revision after the last event it saw', async () => {
  const etcd = await EtcdServer.start();
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 1000, callerRetries: true });
  try {
    const start = await client.put('/r/a', '1');
    const seen: string[] = [];
    const log: string[] = [];
    const watch = watchPrefix(client, '/r/', start.revision, {
      connected: (revision) => {
        log.push(`connected ${revision}`);
        return true;
      },
      disconnected: (err) => log.push(`disconnected ${err.message}`),
      data: (res) => seen.push(...described(res)),
    });
    await waitFor('the first put', () => seen.length === 1, 5000);
    await etcd.pause();
    await waitFor('the watch lost', () => log.some((l) => l.startsWith('disconnected')), 5000);
    await assert.rejects(client.get('/r/a', { timeoutMs: 1000 }), /cannot connect/);
    await new Promise((resolve) => setTimeout(resolve, 600)); // a few reconnect attempts fail
    const lost = log.filter((l) => l.startsWith('disconnected')).length;
    assert.ok(lost >= 2, `reconnects are tried every 250 ms: ${log.join('; ')}`);
    await etcd.resume();
    await client.put('/r/b', '2'); // before or after the watch is back: seen once either way
    await waitFor('the watch back', () => log.filter((l) => l.startsWith('connected')).length === 2, 5000);
    await client.put('/r/c', '3');
    await waitFor('the puts after the restart', () => seen.length >= 3, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(seen, ['Put /r/a=1', 'Put /r/b=2', 'Put /r/c=3'], 'nothing repeated, nothing missed');
    watch.stop();
    assert.deepEqual(await watch.ended, { by: 'caller' });
  } finally {
    client.close();
    await etcd.stop();
  }
});

test('calls and watches move on to the next endpoint when one cannot be reached', async () => {
  const etcd = await EtcdServer.start();
  const nobody = `http://127.0.0.1:${await freePort()}`;
  const client = connectEtcd({ endpoints: [nobody, etcd.endpoint], dialTimeoutMs: 1000, ordered: true });
  const alone = connectEtcd({ endpoints: [nobody], dialTimeoutMs: 1000 });
  try {
    await client.put('/f/a', '1');
    assert.equal(await client.get('/f/a'), '1');
    const watcher = connectEtcd({
      endpoints: [nobody, etcd.endpoint],
      dialTimeoutMs: 1000,
      ordered: true,
      callerRetries: true,
    });
    const log: string[] = [];
    const watch = watchPrefix(watcher, '/f/', 1, {
      connected: () => log.push('connected') > 0,
      disconnected: (err) => log.push(`disconnected ${err.message}`),
      data: (res) => log.push(...described(res)),
    });
    await waitFor('the watch on the second endpoint', () => log.includes('Put /f/a=1'), 5000);
    assert.match(log[0] ?? '', new RegExp(`^disconnected etcd ${nobody} /v3/watch: cannot connect`));
    assert.deepEqual(log.slice(1), ['connected', 'Put /f/a=1']);
    watch.stop();
    watcher.close();
    await assert.rejects(alone.get('/f/a'), (err: Error) => {
      assert.ok(err instanceof EtcdError);
      assert.equal(err.unreached, true);
      assert.match(err.message, new RegExp(`etcd ${nobody} /v3/kv/range: cannot connect: .*ECONNREFUSED`));
      return true;
    });
  } finally {
    client.close();
    alone.close();
    await etcd.stop();
  }
});

test('a call past its deadline fails with a clear error', async () => {
  const silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const client = connectEtcd({ endpoints: [endpoint], dialTimeoutMs: 1000 });
  try {
    const t = Date.now();
    await assert.rejects(client.status({ timeoutMs: 300 }), /no answer before the deadline/);
    assert.ok(Date.now() - t < 2000);
  } finally {
    client.close();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('TLS with client certificates on a three-member cluster: a killed member is skipped by calls and watches', async () => {
  const cluster = await EtcdCluster.start({ size: 3, tls: true });
  const certs = cluster.certificates;
  assert.ok(certs !== undefined);
  const { readFile } = await import('node:fs/promises');
  const tls = {
    ca: await readFile(certs.ca),
    cert: await readFile(certs.leaves['client']?.cert ?? ''),
    key: await readFile(certs.leaves['client']?.key ?? ''),
  };
  assert.ok(cluster.endpoints.every((e) => e.startsWith('https://')));
  // The client starts on a member that does not lead (a write while a new leader is elected waits for it, up to etcd's request timeout).
  const victim = ((await cluster.leader()) + 1) % 3;
  const endpoints = [victim, (victim + 1) % 3, (victim + 2) % 3].map((i) => cluster.endpoints[i] ?? '');
  const client = connectEtcd({ endpoints, dialTimeoutMs: 1000, callerRetries: true, ordered: true, ...tls });
  const noCert = connectEtcd({ endpoints: cluster.endpoints, dialTimeoutMs: 1000, ca: tls.ca });
  try {
    const put = await client.put('/c/a', '1');
    assert.equal(await client.get('/c/a'), '1');
    await assert.rejects(noCert.get('/c/a', { timeoutMs: 3000 }), EtcdError, 'no client certificate, no answer');
    const seen: string[] = [];
    let connects = 0;
    let losses = 0;
    const watch = watchPrefix(client, '/c/', put.revision, {
      connected: () => {
        connects++;
        return true;
      },
      disconnected: () => losses++,
      data: (res) => seen.push(...described(res)),
    });
    await waitFor('the first put watched', () => seen.length === 1, 5000);
    await cluster.kill(victim); // the member the client uses
    await client.put('/c/b', '2', { timeoutMs: 5000 });
    assert.equal(await client.get('/c/b'), '2');
    await waitFor('the watch on another member', () => connects === 2 && seen.length === 2, 10_000);
    assert.ok(losses >= 1);
    assert.deepEqual(seen, ['Put /c/a=1', 'Put /c/b=2']);
    watch.stop();
  } finally {
    client.close();
    noCert.close();
    await cluster.stop();
  }
});

test('readWatchLoop retries a failing round with back-off and stops at once', async () => {
  const failures: number[] = [];
  let rounds = 0;
  const loop = readWatchLoop(
    async () => {
      rounds++;
      throw new Error('etcd away');
    },
    { baseMs: 10, capMs: 40, jitter: false },
    (_err, n) => failures.push(n),
  );
  await waitFor('four failures', () => failures.length >= 4, 5000);
  await loop.stop();
  const after = rounds;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(rounds, after, 'no round after stop');
  assert.deepEqual(failures.slice(0, 4), [1, 2, 3, 4]);
});

test('prefixRangeEnd increments the last byte below 0xff', () => {
  assert.deepEqual(prefixRangeEnd('/skydns/'), Buffer.from('/skydns0'));
  assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixRangeEnd(Buffer.from([0xff])), Buffer.from([0]));
});
