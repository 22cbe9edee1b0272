import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { createLogger } from '@kube-dns-legacy/processkit';
import { Metrics } from './metrics.js';
import { Reconciler } from './reconcile.js';
import { serviceRecords } from './records/service.js';
import { EtcdStore, type KeyValueStore } from './store.js';

test('close() waits for the etcd write in flight, then schedules nothing more', async () => {
  const etcd = await EtcdServer.start();
  try {
    const ctx = { domain: 'cluster.local.', prefix: 'skydns' };
    const etcdStore = new EtcdStore({ endpoints: [etcd.endpoint], timeoutMs: 2_000 });
    let writing = false;
    let applied = 0;
    // The real etcd store, slowed down so that close() arrives while a transaction is in flight.
    const store: KeyValueStore = {
      load: (prefixes, onEntry) => etcdStore.load(prefixes, onEntry),
      epoch: () => etcdStore.epoch(),
      apply: async (puts, deletes) => {
        writing = true;
        await new Promise((r) => setTimeout(r, 300));
        const epoch = await etcdStore.apply(puts, deletes);
        applied++;
        return epoch;
      },
      close: () => etcdStore.close(),
    };
    const r = new Reconciler({ store, ctx, logger: createLogger('kube2sky', 'error'), metrics: new Metrics() });
    r.update(
      'svc/default/a',
      serviceRecords(ctx, { metadata: { name: 'a', namespace: 'default' }, spec: { clusterIP: '10.0.0.1' } }, undefined)
        .records,
    );
    await waitFor('a write to start', () => writing, 10_000, 5);
    r.update(
      'svc/default/b',
      serviceRecords(
        ctx,
        { metadata: { name: 'b', namespace: 'default' }, spec: { clusterIP: '10.0.0.10' } },
        undefined,
      ).records,
    );
    await r.close();
    assert.equal(applied, 1, 'the write in flight finished before close() resolved; the later change was not started');
    const dump = await etcd.dump('/skydns/local/cluster/svc/');
    assert.deepEqual([...dump.keys()], ['/skydns/local/cluster/svc/default/a/c88f1059']);
  } finally {
    await etcd.stop();
  }
});
