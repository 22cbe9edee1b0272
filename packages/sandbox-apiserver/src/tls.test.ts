import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { requireTool } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

const run = promisify(execFile);

function clientFor(api: SandboxApiServer, token: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'sandbox', server: api.url, caFile: api.caPath, skipTLSVerify: false }, { name: 'sa', token });
  return kc.makeApiClient(CoreV1Api);
}

describe('https and bearer tokens', () => {
  it('serves https with a CA that client-node and kubectl trust, and requires one of the given tokens', async () => {
    requireTool('openssl');
    const api = await SandboxApiServer.start({ tls: true, tokens: ['first'] });
    try {
      assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(readFileSync(api.caPath ?? '', 'utf8'), /BEGIN CERTIFICATE/);

      const fromKubeconfig = new KubeConfig();
      fromKubeconfig.loadFromFile(api.kubeconfigPath);
      assert.equal(fromKubeconfig.getCurrentCluster()?.skipTLSVerify, false);
      const viaKubeconfig = await fromKubeconfig.makeApiClient(CoreV1Api).readNamespacedService({ name: 'kubernetes', namespace: 'default' });
      assert.equal(viaKubeconfig.spec?.clusterIP, '10.0.0.1');

      const { stdout } = await run(requireTool('kubectl'), ['--kubeconfig', api.kubeconfigPath, 'get', 'ns', '-o', 'name']);
      assert.match(stdout, /namespace\/kube-system/);

      await assert.rejects(clientFor(api, 'wrong').listNamespace(), (err: { code?: number }) => err.code === 401);
      assert.equal((await clientFor(api, 'first').listNamespace()).items.length, 3);

      api.setTokens(['second']);
      await assert.rejects(clientFor(api, 'first').listNamespace(), (err: { code?: number }) => err.code === 401);
      assert.equal((await clientFor(api, 'second').listNamespace()).items.length, 3, 'a rotated token is accepted');
      api.setTokens(undefined);
      assert.equal((await clientFor(api, 'anything').listNamespace()).items.length, 3);
    } finally {
      await api.stop();
    }
  });
});
