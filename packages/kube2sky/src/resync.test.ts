import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtcdServer } from '@kube-dns-legacy/testkit';
import { createLogger } from '@kube-dns-legacy/processkit';
import { Metrics } from './metrics.js';
import { Reconciler } from './reconcile.js';
import { serviceRecords } from './records/service.js';
import { EtcdStore } from './store.js';

test('resync repairs records changed, deleted or added by hand in kube2sky subtrees, and nothing else', async () => {
  const etcd = await EtcdServer.start();
  try {
    const ctx = { domain: 'cluster.local.', prefix: 'skydns' };
    const metrics = new Metrics();
    const r = new Reconciler({
      store: new EtcdStore({ endpoints: [etcd.endpoint], timeoutMs: 2_000 }),
      ctx,
      logger: createLogger('kube2sky', 'error'),
      metrics,
    });
    const records = serviceRecords(
      ctx,
      {
        metadata: { name: 'a', namespace: 'default' },
        spec: { clusterIP: '10.0.0.1', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
      },
      undefined,
    ).records;
    r.update('svc/default/a', records);
    r.markSynced();
    await r.whenReady();
    const good = await etcd.dump('/skydns/');
    assert.equal(good.size, 3);

    await etcd.etcdctl('del', '/skydns/local/cluster/svc/default/a/c88f1059');
    await etcd.etcdctl('put', '/skydns/arpa/in-addr/10/0/0/1', '{"host":"wrong.default.svc.cluster.local."}');
    await etcd.etcdctl('put', '/skydns/local/cluster/svc/default/intruder/1', '{"host":"10.9.9.9"}');
    await etcd.etcdctl('put', '/skydns/local/cluster/dns/ns/ns1', '{"host":"10.0.0.10"}');
    r.resync();
    await r.idle();
    const repaired = await etcd.dump('/skydns/');
    assert.deepEqual(
      new Map([...repaired].sort()),
      new Map([...good, ['/skydns/local/cluster/dns/ns/ns1', '{"host":"10.0.0.10"}'] as [string, string]].sort()),
    );
  } finally {
    await etcd.stop();
  }
});
