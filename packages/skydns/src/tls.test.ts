import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeRecord } from '@kube-dns-legacy/skymsg';
import {
  ManagedProcess,
  dig,
  freeDnsPort,
  freePort,
  makeTestCertificates,
  requireTool,
  waitFor,
} from '@kube-dns-legacy/testkit';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

test('etcd over TLS with client certificates', async () => {
  requireTool('openssl');
  requireTool('etcd');
  requireTool('etcdctl');
  const dir = await mkdtemp(join(tmpdir(), 'kdl-skydns-tls-'));
  const procs: ManagedProcess[] = [];
  try {
    await makeTestCertificates(dir, 'ca', ['server', 'client']);
    const client = await freePort();
    const peer = await freePort();
    const endpoint = `https://127.0.0.1:${client}`;
    const etcd = new ManagedProcess('etcd (TLS)', 'etcd', [
      '--name',
      'tls',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `tls=http://127.0.0.1:${peer}`,
      '--cert-file',
      join(dir, 'server.pem'),
      '--key-file',
      join(dir, 'server.key'),
      '--trusted-ca-file',
      join(dir, 'ca.pem'),
      '--client-cert-auth',
      '--log-level',
      'error',
    ]);
    procs.push(etcd);
    const etcdctl = (...args: string[]): Promise<unknown> =>
      run(
        'etcdctl',
        [
          `--endpoints=${endpoint}`,
          `--cacert=${join(dir, 'ca.pem')}`,
          `--cert=${join(dir, 'client.pem')}`,
          `--key=${join(dir, 'client.key')}`,
          ...args,
        ],
        {
          env: { ...process.env, ETCDCTL_API: '3' },
        },
      );
    await waitFor(
      'etcd with TLS to answer',
      async () => {
        await etcdctl('endpoint', 'health');
        return true;
      },
      20_000,
      100,
    );
    await etcdctl(
      'put',
      '/skydns/local/cluster/svc/default/secure/x',
      encodeRecord({ host: '10.0.0.42', priority: 10, weight: 10, ttl: 30 }),
    );

    const port = await freeDnsPort();
    const skydns = new ManagedProcess('skydns (TLS)', process.execPath, [
      MAIN,
      `-machines=${endpoint}`,
      `-addr=127.0.0.1:${port}`,
      '-domain=cluster.local.',
      '-no-rec',
      `-ca-cert=${join(dir, 'ca.pem')}`,
      `-tls-pem=${join(dir, 'client.pem')}`,
      `-tls-key=${join(dir, 'client.key')}`,
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
      `-ca-cert=${join(dir, 'ca.pem')}`,
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
    await rm(dir, { recursive: true, force: true });
  }
});
