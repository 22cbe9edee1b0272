import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { startKube2sky, waitReady } from './testing.js';

/** /healthz's status and its etcd check. */
async function healthz(port: number): Promise<{ status: number; etcd: boolean | undefined }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  const body = (await res.json()) as { checks?: { etcd?: boolean } };
  return { status: res.status, etcd: body.checks?.etcd };
}

test('/healthz turns 503 within 3 s of etcd going away while idle, and 200 again when it returns', async () => {
  const etcd = await EtcdServer.start();
  const api = await SandboxApiServer.start();
  const port = await freePort();
  const proc = startKube2sky(etcd.endpoint, api.kubeconfigPath, port, ['--etcd-mutation-timeout=2s']);
  try {
    await waitReady(port);
    assert.deepEqual(await healthz(port), { status: 200, etcd: true });
    await etcd.kill();
    const killed = Date.now();
    await waitFor(
      '/healthz 503 with checks.etcd=false',
      async () => {
        const h = await healthz(port);
        return h.status === 503 && h.etcd === false;
      },
      10_000,
      100,
    );
    const took = Date.now() - killed;
    assert.ok(took <= 3_000, `503 after ${took} ms`);
    process.stdout.write(`# /healthz 503 ${took} ms after etcd was killed\n`);
    await etcd.resume();
    const resumed = Date.now();
    await waitFor('/healthz 200 again', async () => (await healthz(port)).status === 200, 15_000, 100);
    process.stdout.write(`# /healthz 200 ${Date.now() - resumed} ms after etcd answered again\n`);
    assert.match(proc.output, /etcd status check failed/);
    assert.doesNotMatch(proc.output, /\n\s+at /, 'no stack trace');
  } finally {
    await proc.stop('SIGKILL');
    await api.stop();
    await etcd.stop();
  }
});
