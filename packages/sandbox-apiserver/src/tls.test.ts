import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { requireTool } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

const run = promisify(execFile);

function clientFor(api: SandboxApiServer, token: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'sandbox', server: api.url, caFile: api.caPath, skipTLSVerify: false },
    { name: 'sa', token },
  );
  return kc.makeApiClient(CoreV1Api);
}

describe('https and bearer tokens', () => {
  let api: SandboxApiServer;
  before(async () => {
    requireTool('openssl');
    api = await SandboxApiServer.start({ tls: true, tokens: ['first'] });
  });
  after(async () => {
    await api.stop();
  });

  it('serves https with a CA that client-node and kubectl trust, and requires one of the given tokens', async () => {
    assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(api.caPath ?? '', 'utf8'), /BEGIN CERTIFICATE/);

    const fromKubeconfig = new KubeConfig();
    fromKubeconfig.loadFromFile(api.kubeconfigPath);
    assert.equal(fromKubeconfig.getCurrentCluster()?.skipTLSVerify, false);
    const viaKubeconfig = await fromKubeconfig
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    assert.equal(viaKubeconfig.spec?.clusterIP, '10.0.0.1');

    const { stdout } = await run(requireTool('kubectl'), [
      '--kubeconfig',
      api.kubeconfigPath,
      'get',
      'ns',
      '-o',
      'name',
    ]);
    assert.match(stdout, /namespace\/kube-system/);

    await assert.rejects(clientFor(api, 'wrong').listNamespace(), (err: { code?: number }) => err.code === 401);
    assert.equal((await clientFor(api, 'first').listNamespace()).items.length, 3);

    api.setTokens(['second']);
    await assert.rejects(clientFor(api, 'first').listNamespace(), (err: { code?: number }) => err.code === 401);
    assert.equal((await clientFor(api, 'second').listNamespace()).items.length, 3, 'a rotated token is accepted');
    api.setTokens(undefined);
    assert.equal((await clientFor(api, 'anything').listNamespace()).items.length, 3);
  });

  it('writes an in-cluster service account that client-node loadFromCluster uses', async () => {
    api.setTokens(['sa-token']);
    const prefix = mkdtempSync(join(tmpdir(), 'sandbox-sa-'));
    const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
    try {
      const sa = api.writeServiceAccount(prefix);
      assert.equal(readFileSync(join(sa.dir, 'token'), 'utf8'), 'sa-token');
      assert.equal(readFileSync(join(sa.dir, 'namespace'), 'utf8'), 'kube-system');
      process.env['KUBERNETES_SERVICE_HOST'] = sa.env.KUBERNETES_SERVICE_HOST;
      process.env['KUBERNETES_SERVICE_PORT'] = sa.env.KUBERNETES_SERVICE_PORT;
      const kc = new KubeConfig();
      kc.loadFromCluster(sa.pathPrefix);
      assert.equal(kc.getCurrentCluster()?.server, api.url);
      const services = await kc.makeApiClient(CoreV1Api).listNamespacedService({ namespace: 'default' });
      assert.deepEqual(
        services.items.map((s) => s.metadata?.name),
        ['kubernetes'],
      );
      const plain = await SandboxApiServer.start();
      try {
        assert.throws(() => plain.writeServiceAccount(prefix), /needs a sandbox started with \{ tls: true \}/);
      } finally {
        await plain.stop();
      }
    } finally {
      for (const [key, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
