import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { getJson } from './api.js';
import { loadKubeConfig } from './kubeconfig.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: { server: "https://original:6443", insecure-skip-tls-verify: true }
users:
- name: u1
  user: { token: secret-token }
contexts:
- name: ctx
  context: { cluster: c1, user: u1 }
current-context: ctx
`;

test('URL only: that server, no credentials', () => {
  const kc = loadKubeConfig({ kubeMasterUrl: 'http://master:8080' });
  assert.equal(kc.getCurrentCluster()?.server, 'http://master:8080');
  assert.equal(kc.getCurrentUser()?.token, undefined);
  assert.equal(
    loadKubeConfig({ kubeMasterUrl: 'https://master:6443' }).getCurrentCluster()?.skipTLSVerify,
    false,
    'https keeps verification on',
  );
});

test("URL only, plain http (the original manifests' http://master:8080): requests reach the server", async () => {
  const api = await SandboxApiServer.start({ port: 0 });
  try {
    assert.match(api.url, /^http:\/\//);
    const list = (await getJson(
      loadKubeConfig({ kubeMasterUrl: api.url }),
      '/api/v1/namespaces/default/services',
      'list services',
      5_000,
    )) as { items: Array<{ metadata: { name: string } }> };
    assert.deepEqual(
      list.items.map((s) => s.metadata.name),
      ['kubernetes'],
    );
  } finally {
    await api.stop();
  }
});

test('kubeconfig, with the URL overriding its server and its credentials kept', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kube2sky-kc-'));
  try {
    const file = join(dir, 'config');
    await writeFile(file, KUBECONFIG);
    assert.equal(loadKubeConfig({ kubecfgFile: file }).getCurrentCluster()?.server, 'https://original:6443');
    const kc = loadKubeConfig({ kubecfgFile: file, kubeMasterUrl: 'https://override:443' });
    assert.equal(kc.getCurrentCluster()?.server, 'https://override:443');
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true);
    assert.equal(kc.getCurrentUser()?.token, 'secret-token');
    assert.throws(() => loadKubeConfig({ kubecfgFile: join(dir, 'missing') }), /ENOENT/);
    await writeFile(join(dir, 'broken'), 'a: [\n\t- x');
    assert.throws(
      () => loadKubeConfig({ kubecfgFile: join(dir, 'broken') }),
      /^Error: kubeconfig \S+broken: /,
      'a YAML syntax error names the file',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('neither: in-cluster service account (token file re-read, CA bundle), or a clear error outside a cluster', () => {
  const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
  try {
    delete process.env['KUBERNETES_SERVICE_HOST'];
    delete process.env['KUBERNETES_SERVICE_PORT'];
    assert.throws(() => loadKubeConfig({}), /not in a cluster/);
    process.env['KUBERNETES_SERVICE_HOST'] = '10.0.0.1';
    process.env['KUBERNETES_SERVICE_PORT'] = '443';
    const kc = loadKubeConfig({});
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:443');
    assert.equal(kc.getCurrentCluster()?.caFile, '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    assert.equal(
      kc.getCurrentUser()?.authProvider?.config?.tokenFile,
      '/var/run/secrets/kubernetes.io/serviceaccount/token',
    );
  } finally {
    for (const [name, value] of [
      ['KUBERNETES_SERVICE_HOST', saved.host],
      ['KUBERNETES_SERVICE_PORT', saved.port],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});
