import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdCluster, ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { a } from './kube2sky-harness.js';

const MAIN = fileURLToPath(new URL('../../packages/kube2sky/dist/main.js', import.meta.url));

test('etcd over TLS with client certificates (--etcd-cafile/--etcd-certfile/--etcd-keyfile)', async () => {
  const etcd = await EtcdCluster.start({ size: 1, tls: true });
  const procs: ManagedProcess[] = [];
  let api: SandboxApiServer | undefined;
  try {
    const { ca, leaves } = etcd.certificates ?? assert.fail('a TLS cluster has certificates');
    const client = leaves['client'] ?? assert.fail('a client certificate');
    const healthz = await freePort();
    api = await SandboxApiServer.start({ port: 0 });
    const kube2sky = new ManagedProcess('kube2sky', 'node', [
      MAIN,
      `--etcd-server=${etcd.endpoint}`,
      `--etcd-cafile=${ca}`,
      `--etcd-certfile=${client.cert}`,
      `--etcd-keyfile=${client.key}`,
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
    const out = await etcd.etcdctl([
      'get',
      '/skydns/local/cluster/svc/default/kubernetes/c88f1059',
      '--print-value-only',
    ]);
    assert.equal(out.trim(), a('10.0.0.1'));
    assert.equal(await kube2sky.stop('SIGTERM'), 0);
  } finally {
    for (const p of procs.reverse()) await p.stop('SIGKILL');
    await api?.stop();
    await etcd.stop();
  }
});
