import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdServer } from '@kube-dns-legacy/testkit';
import { EtcdStore } from './store.js';

let etcd: EtcdServer;

before(async () => {
  etcd = await EtcdServer.start();
});
after(async () => {
  await etcd?.stop();
});

test("load reads a tree larger than gRPC's default 4 MiB reply limit (a big cluster's records)", async () => {
  const store = new EtcdStore({ endpoints: [etcd.endpoint], timeoutMs: 10_000 });
  try {
    const value = 'x'.repeat(1_000_000);
    for (let i = 0; i < 6; i++) await store.apply([[`/skydns/local/cluster/svc/big/k${i}`, value]], []);
    const entries = new Map<string, string>();
    const epoch = await store.load(['/skydns/local/cluster/svc/'], (k, v) => entries.set(k, v));
    assert.equal(entries.size, 6);
    assert.equal(entries.get('/skydns/local/cluster/svc/big/k5')?.length, 1_000_000);
    assert.ok(epoch.revision >= 7);
  } finally {
    store.close();
  }
});

test("load reads in pages, every page at the first page's revision, prefixes end where they should", async () => {
  const store = new EtcdStore({ endpoints: [etcd.endpoint], timeoutMs: 10_000, pageSize: 3 });
  try {
    const keys = Array.from({ length: 10 }, (_, i) => `/skydns/local/cluster/pod/p/k${String(i).padStart(2, '0')}`);
    await store.apply(
      keys.map((k) => [k, 'v1']),
      [],
    );
    await store.apply(
      [
        ['/skydns/local/cluster/pod0', 'outside'],
        ['/skydns/local/cluster/poc/x', 'outside'],
      ],
      [],
    );
    const seen: Array<[string, string]> = [];
    let wrote: Promise<unknown> | undefined;
    const epoch = await store.load(['/skydns/local/cluster/pod/'], (k, v) => {
      seen.push([k, v]);
      // A change made after the first page is not seen by the later pages.
      wrote ??= store.apply(
        keys.map((key) => [key, 'v2']),
        [],
      );
    });
    await wrote;
    assert.deepEqual(
      seen,
      keys.map((k) => [k, 'v1']),
    );
    const after = new Map<string, string>();
    const later = await store.load(['/skydns/local/cluster/pod/'], (k, v) => after.set(k, v));
    assert.deepEqual(
      [...after.values()],
      keys.map(() => 'v2'),
    );
    assert.ok(later.revision > epoch.revision);
  } finally {
    store.close();
  }
});
