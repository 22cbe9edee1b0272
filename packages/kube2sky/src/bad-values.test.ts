import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { errorCount, startKube2sky, waitReady } from './testing.js';

const objectErrors = (port: number): Promise<number> => errorCount(port, 'object');

test('values the sandbox API accepts but no record can carry are never written: a rate-limited warning and a count each', async () => {
  const etcd = await EtcdServer.start();
  // core/v1 Endpoints as they were posted (the sandbox's slice mirroring would turn ::ffff:10.1.1.1 into 10.1.1.1).
  const api = await SandboxApiServer.start({ endpointSlices: false });
  const port = await freePort();
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, `${path}: ${await res.text()}`);
  };
  const proc = startKube2sky(etcd.endpoint, api.kubeconfigPath, port);
  try {
    await waitReady(port);
    const before = new Map(await etcd.dump('/skydns/'));
    const externalNames = ['a b.example.com', 'bang!.example.com', '256.1.1.1', 'under_score.example.com'];
    for (const [i, externalName] of externalNames.entries())
      await post('/api/v1/namespaces/default/services', {
        metadata: { name: `ext${i}` },
        spec: { type: 'ExternalName', externalName },
      });
    await post('/api/v1/namespaces/default/pods', {
      metadata: { name: 'mapped' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { phase: 'Running', podIP: '::ffff:10.244.9.7', podIPs: [{ ip: '::ffff:10.244.9.7' }] },
    });
    await post('/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
    });
    await post('/api/v1/namespaces/default/endpoints', {
      metadata: { name: 'web' },
      subsets: [
        { addresses: [{ ip: '::ffff:10.1.1.1' }, { ip: 'fe80::1%eth0' }], ports: [{ name: 'http', port: 80 }] },
      ],
    });
    // A good object after the bad ones: once its record is in, the bad ones have been handled.
    await post('/api/v1/namespaces/default/services', {
      metadata: { name: 'good' },
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    });
    await waitFor(
      'the good record',
      async () => {
        const dump = await etcd.dump('/skydns/local/cluster/svc/default/good/');
        return dump.size === 1;
      },
      10_000,
      100,
    );
    const after = await etcd.dump('/skydns/');
    const added = [...after].filter(([k]) => !before.has(k));
    assert.deepEqual(
      added.map(([k]) => k.split('/').slice(0, 7).join('/')),
      ['/skydns/local/cluster/svc/default/good'],
      'only the good record is new',
    );
    for (const bad of [...externalNames, 'ffff', 'fe80'])
      assert.ok(!added.some(([k, v]) => k.includes(bad) || v.includes(bad)), bad);
    assert.ok((await objectErrors(port)) >= 7, 'each bad value counted');
    for (const about of ['a b.example.com', 'bang!', '256.1.1.1', 'under_score', 'IPv4-mapped', 'with a zone'])
      assert.ok(proc.output.includes(about), `a warning about ${about}`);

    // A flood of bad objects: every one counted, at most 20 warnings about objects logged per 10 s.
    const counted = await objectErrors(port);
    const warnLines = (): number => proc.output.split('\n').filter((l) => l.includes('"object":"service')).length;
    const logged = warnLines();
    for (let i = 0; i < 50; i++)
      await post('/api/v1/namespaces/default/services', {
        metadata: { name: `flood${i}` },
        spec: { type: 'ExternalName', externalName: `bad name ${i}` },
      });
    await waitFor('50 more counted', async () => (await objectErrors(port)) >= counted + 50, 10_000, 100);
    const flooded = warnLines() - logged;
    assert.ok(flooded <= 20, `${flooded} warnings logged for 50 bad services`);
    process.stdout.write(`# 50 bad services: 50 counted, ${flooded} warnings logged\n`);
  } finally {
    await proc.stop('SIGKILL');
    await api.stop();
    await etcd.stop();
  }
});
