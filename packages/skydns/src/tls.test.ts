import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { encodeRecord } from '@kube-dns-legacy/skymsg';
import { EtcdCluster, ManagedProcess, dig, freeDnsPort } from '@kube-dns-legacy/testkit';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

test('etcd over TLS with client certificates', async () => {
  const etcd = await EtcdCluster.start({ size: 1, tls: true });
  const procs: ManagedProcess[] = [];
  try {
    const { ca, leaves } = etcd.certificates ?? assert.fail('a TLS cluster has certificates');
    const client = leaves['client'] ?? assert.fail('a client certificate');
    const endpoint = etcd.endpoint;
    await etcd.etcdctl([
      'put',
      '/skydns/local/cluster/svc/default/secure/x',
      encodeRecord({ host: '10.0.0.42', priority: 10, weight: 10, ttl: 30 }),
    ]);

    const port = await freeDnsPort();
    const skydns = new ManagedProcess('skydns (TLS)', process.execPath, [
      MAIN,
      `-machines=${endpoint}`,
      `-addr=127.0.0.1:${port}`,
      '-domain=cluster.local.',
      '-no-rec',
      `-ca-cert=${ca}`,
      `-tls-pem=${client.cert}`,
      `-tls-key=${client.key}`,
    ]);
    procs.push(skydns);
    await skydns.waitForOutput(/loaded records from etcd/, 15_000);
    assert.deepEqual((await dig(port, 'secure.default.svc.cluster.local.')).answer, [
      'secure.default.svc.cluster.local. 30 IN A 10.0.0.42',
    ]);

    const port2 = await freeDnsPort();
    const noCert = new ManagedProcess('skydns (no client cert)', process.execPath, [
      MAIN,
      `-machines=${endpoint}`,
      `-addr=127.0.0.1:${port2}`,
      '-domain=cluster.local.',
      '-no-rec',
      `-ca-cert=${ca}`,
    ]);
    procs.push(noCert);
    await noCert.waitForOutput(/ready for queries/, 15_000);
    assert.equal(
      (await dig(port2, 'secure.default.svc.cluster.local.')).status,
      'SERVFAIL',
      'etcd refuses a client without a certificate',
    );
    assert.doesNotMatch(noCert.output, /loaded records/);
  } finally {
    for (const p of procs.reverse()) await p.stop('SIGTERM');
    await etcd.stop();
  }
});
