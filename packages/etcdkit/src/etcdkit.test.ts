import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { connectEtcd, readPrefix, readWatchLoop, watchPrefix } from './index.js';

test("readPrefix reads every page at the first page's revision; watchPrefix continues from the next one", async () => {
  const etcd = await EtcdServer.start();
  const client = connectEtcd({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
  try {
    for (let i = 0; i < 7; i++) await client.put(`/p/k${i}`).value(String(i));
    await client.put('/q/outside').value('x');
    const pages: string[][] = [];
    let wrote = false;
    const read = await readPrefix(client, '/p/', { pageSize: 3, timeoutMs: 2000 }, (kvs) => {
      pages.push(kvs.map((kv) => kv.key.toString()));
      if (!wrote) {
        wrote = true;
        void client.put('/p/k9').value('late').exec();
      }
    });
    await waitFor('the late put', async () => (await client.get('/p/k9').string()) === 'late', 5000);
    assert.deepEqual(
      pages,
      [['/p/k0', '/p/k1', '/p/k2'], ['/p/k3', '/p/k4', '/p/k5'], ['/p/k6']],
      'a key written after the first page is not read',
    );
    assert.ok(read.revision > 0 && read.clusterId !== '');
    const seen: string[] = [];
    const watch = watchPrefix(client, '/p/', read.revision + 1, {
      connected: () => true,
      disconnected: () => undefined,
      data: (res) => seen.push(...res.events.map((e) => `${e.type} ${e.kv.key.toString()}`)),
    });
    await waitFor('the late put watched', () => seen.length > 0, 5000);
    assert.deepEqual(seen, ['Put /p/k9']);
    watch.stop();
    assert.deepEqual(await watch.ended, { by: 'caller' });
  } finally {
    client.close();
    await etcd.stop();
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
