import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { ManagedProcess, freePort, makeTestCertificates, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { a } from './kube2sky-harness.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../packages/kube2sky/dist/main.js', import.meta.url));

test('etcd over TLS with client certificates (--etcd-cafile/--etcd-certfile/--etcd-keyfile)', async () => {
  requireTool('etcd');
  requireTool('etcdctl');
  const dir = await mkdtemp(join(tmpdir(), 'kube2sky-tls-'));
  const procs: ManagedProcess[] = [];
  let api: SandboxApiServer | undefined;
  try {
    await makeTestCertificates(dir, 'ca', ['server', 'client']);
    const [client, peer, healthz] = [await freePort(), await freePort(), await freePort()];
    const endpoint = `https://127.0.0.1:${client}`;
    procs.push(
      new ManagedProcess('etcd', 'etcd', [
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
      ]),
    );
    const tlsArgs = [
      `--endpoints=${endpoint}`,
      `--cacert=${join(dir, 'ca.pem')}`,
      `--cert=${join(dir, 'client.pem')}`,
      `--key=${join(dir, 'client.key')}`,
    ];
    const etcdctl = async (...args: string[]): Promise<string> =>
      (await run('etcdctl', [...tlsArgs, ...args], { env: { ...process.env, ETCDCTL_API: '3' } })).stdout;
    await waitFor(
      'etcd to answer over TLS',
      async () => (await etcdctl('put', '/probe', 'x')).includes('OK'),
      20_000,
      100,
    );

    api = await SandboxApiServer.start({ port: 0 });
    const kube2sky = new ManagedProcess('kube2sky', 'node', [
      MAIN,
      `--etcd-server=${endpoint}`,
      `--etcd-cafile=${join(dir, 'ca.pem')}`,
      `--etcd-certfile=${join(dir, 'client.pem')}`,
      `--etcd-keyfile=${join(dir, 'client.key')}`,
      `--kubecfg-file=${api.kubeconfigPath}`,
      `--healthz-port=${healthz}`,
    ]);
    procs.push(kube2sky);
    await waitFor(
      'kube2sky to be ready',
      async () => (await fetch(`http://127.0.0.1:${healthz}/readiness`)).status === 200,
      30_000,
      100,
    ).catch((err: Error) => assert.fail(`${err.message}\n${kube2sky.output}`));
    const out = await etcdctl('get', '/skydns/local/cluster/svc/default/kubernetes/c88f1059', '--print-value-only');
    assert.equal(out.trim(), a('10.0.0.1'));
    assert.equal(await kube2sky.stop('SIGTERM'), 0);
  } finally {
    for (const p of procs.reverse()) await p.stop('SIGKILL');
    await api?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
