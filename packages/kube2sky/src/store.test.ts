import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdServer } from '@kube-dns-legacy/testkit';
import { Etcd3Store } from './store.js';

let etcd: EtcdServer;

before(async () => {
  etcd = await EtcdServer.start();
});
after(async () => {
  await etcd?.stop();
});

test('load reads a tree larger than gRPC\'s default 4 MiB reply limit (a big cluster\'s records)', async () => {
  const store = new Etcd3Store({ endpoints: [etcd.endpoint], timeoutMs: 10_000 });
  try {
    const value = 'x'.repeat(1_000_000);
    for (let i = 0; i < 6; i++) await store.apply([[`/skydns/local/cluster/svc/big/k${i}`, value]], []);
    const { entries, epoch } = await store.load(['/skydns/local/cluster/svc/']);
    assert.equal(entries.size, 6);
    assert.equal(entries.get('/skydns/local/cluster/svc/big/k5')?.length, 1_000_000);
    assert.ok(epoch.revision >= 7);
  } finally {
    store.close();
  }
});
