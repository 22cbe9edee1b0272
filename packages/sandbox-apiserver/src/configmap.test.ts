import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { requireTool } from '@kube-dns-legacy/testkit';
import { SandboxApiServer } from './index.js';

const run = promisify(execFile);

/** The HTTP code and Status message of a failed client-node call (200 when it succeeded). */
async function failure(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
    return { code: 200, message: '' };
  } catch (err) {
    const { code, body } = err as { code?: number; body?: string };
    return { code: code ?? -1, message: String((JSON.parse(body ?? '{}') as { message?: string }).message) };
  }
}

describe('ConfigMaps', () => {
  let api: SandboxApiServer;
  let dir: string;
  let kubectlPath: string;
  let core: CoreV1Api;
  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(
      kubectlPath,
      ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
      { timeout: 30_000 },
    );
    return stdout;
  };

  before(async () => {
    kubectlPath = requireTool('kubectl');
    dir = mkdtempSync(join(tmpdir(), 'sandbox-configmap-'));
    api = await SandboxApiServer.start();
    const kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl create configmap (a protobuf body) with literals and a binary file, then get cm shows NAME DATA AGE', async () => {
    assert.match(
      await kubectl('create', 'configmap', 'x', '--from-literal=a=b', '--from-literal=c=d'),
      /configmap\/x created/,
    );
    const blob = join(dir, 'blob.bin');
    writeFileSync(blob, Buffer.from([0, 159, 146, 150, 255]));
    assert.match(
      await kubectl(
        'create',
        'configmap',
        'bin',
        '-n',
        'kube-system',
        `--from-file=${blob}`,
        '--from-literal=text=hello',
      ),
      /configmap\/bin created/,
    );
    const x = JSON.parse(await kubectl('get', 'cm', 'x', '-o', 'json')) as {
      data: Record<string, string>;
      metadata: { uid: string };
    };
    assert.deepEqual(x.data, { a: 'b', c: 'd' });
    assert.match(x.metadata.uid, /^[0-9a-f-]{36}$/);
    const bin = JSON.parse(await kubectl('get', 'configmap', 'bin', '-n', 'kube-system', '-o', 'json')) as {
      data: Record<string, string>;
      binaryData: Record<string, string>;
    };
    assert.deepEqual(bin.data, { text: 'hello' });
    assert.deepEqual(
      bin.binaryData,
      { 'blob.bin': Buffer.from([0, 159, 146, 150, 255]).toString('base64') },
      'non-UTF-8 file content goes to binaryData as bytes',
    );
    const table = await kubectl('get', 'cm', '-A');
    assert.match(table, /^NAMESPACE\s+NAME\s+DATA\s+AGE\n/);
    assert.match(table, /default\s+x\s+2\s+\d+s/);
    assert.match(table, /kube-system\s+bin\s+2\s+\d+s/);
    assert.match(
      await kubectl('get', 'cm', '-A', '--field-selector', 'metadata.namespace=kube-system', '-o', 'name'),
      /^configmap\/bin\n$/,
    );
    assert.match(await kubectl('get', 'cm', '--field-selector', 'metadata.name=x', '-o', 'name'), /^configmap\/x\n$/);
    await assert.rejects(kubectl('get', 'cm', '--field-selector', 'data.a=b'), /field label not supported: data\.a/);
    await assert.rejects(kubectl('create', 'configmap', 'x', '--from-literal=a=b'), /AlreadyExists|already exists/);
  });

  it('validates keys and size as the real server: 422 with the real wording', async () => {
    const bad = await failure(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'bad' }, data: { 'a/b': '1', '..x': '2' } },
      }),
    );
    assert.equal(bad.code, 422);
    assert.match(
      bad.message,
      /^ConfigMap "bad" is invalid: \[.*data\[\.\.x\]: Invalid value: "\.\.x": must not start with '\.\.'/,
    );
    assert.match(
      bad.message,
      /data\[a\/b\]: Invalid value: "a\/b": a valid config key must consist of alphanumeric characters, '-', '_' or '\.'/,
    );
    const both = await failure(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'both' }, data: { k: 'v' }, binaryData: { k: 'AA==' } },
      }),
    );
    assert.deepEqual(
      [both.code, both.message],
      [422, 'ConfigMap "both" is invalid: data[k]: Invalid value: "k": duplicate of key present in binaryData'],
    );
    const long = await failure(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'long' }, data: { ['k'.repeat(254)]: '' } },
      }),
    );
    assert.match(long.message, /must be no more than 253 characters/);
    assert.equal(
      (
        await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'edge' }, data: { ['k'.repeat(253)]: '', 'A_b-c.d': 'x' } },
        })
      ).metadata?.name,
      'edge',
    );
    const big = await failure(
      core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'big' }, data: { a: 'x'.repeat(600_000), b: 'y'.repeat(600_000) } },
      }),
    );
    assert.deepEqual(
      [big.code, big.message],
      [422, 'ConfigMap "big" is invalid: : Too long: may not be more than 1048576 bytes'],
    );
    const exact = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'exact' }, data: { a: 'x'.repeat(1024 * 1024 - 4) }, binaryData: { b: 'AAAAAA==' } },
    });
    assert.equal(exact.metadata?.name, 'exact', '1 MiB exactly (binaryData counted decoded) is allowed');
    assert.equal(
      (
        await failure(
          core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Upper' }, data: {} } }),
        )
      ).code,
      422,
      'the name is a DNS subdomain',
    );
    assert.equal(
      (
        await failure(
          core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'sub.domain.name' } } }),
        )
      ).code,
      200,
    );
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'b64' }, binaryData: { k: 'not base64!' } }),
    });
    assert.equal(res.status, 400, 'binaryData that is not base64 fails to decode, as a real server');
    const number = await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'num' }, data: { k: 1 } }),
    });
    assert.equal(number.status, 400, 'data values are strings');
  });

  it('updates, patches and deletes; an immutable ConfigMap keeps its data (422) but takes label changes', async () => {
    const current = await core.readNamespacedConfigMap({ name: 'x', namespace: 'default' });
    current.data = { a: 'changed' };
    const updated = await core.replaceNamespacedConfigMap({ name: 'x', namespace: 'default', body: current });
    assert.deepEqual(updated.data, { a: 'changed' });
    const stale = { ...current, data: { a: 'stale' } };
    assert.equal(
      (await failure(core.replaceNamespacedConfigMap({ name: 'x', namespace: 'default', body: stale }))).code,
      409,
    );
    const patched = await core.patchNamespacedConfigMap(
      { name: 'x', namespace: 'default', body: { data: { n: '1' }, immutable: true } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual([patched.data, patched.immutable], [{ a: 'changed', n: '1' }, true]);
    const frozen = await failure(
      core.patchNamespacedConfigMap(
        { name: 'x', namespace: 'default', body: { data: { n: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    assert.deepEqual(
      [frozen.code, frozen.message],
      [422, 'ConfigMap "x" is invalid: data: Forbidden: field is immutable when `immutable` is set'],
    );
    const thaw = await failure(
      core.patchNamespacedConfigMap(
        { name: 'x', namespace: 'default', body: { immutable: false } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    assert.match(thaw.message, /immutable: Forbidden: field is immutable when `immutable` is set/);
    assert.match(await kubectl('label', 'cm', 'x', 'tier=front'), /configmap\/x labeled/);
    assert.match(await kubectl('delete', 'cm', 'x'), /configmap "x" deleted/);
    assert.equal((await failure(core.readNamespacedConfigMap({ name: 'x', namespace: 'default' }))).code, 404);
  });

  it('watches: kubectl get cm -w style events through client-node list + watch', async () => {
    const list = await core.listConfigMapForAllNamespaces();
    const seen: string[] = [];
    const res = await fetch(
      `${api.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata?.resourceVersion ?? ''}&timeoutSeconds=2`,
    );
    const text = res.text();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w' }, data: { a: '1' } } });
    await core.patchNamespacedConfigMap(
      { name: 'w', namespace: 'default', body: { data: { a: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ name: 'w', namespace: 'default' });
    for (const line of (await text).split('\n').filter((l) => l !== '')) {
      const event = JSON.parse(line) as { type: string; object: { data?: Record<string, string> } };
      seen.push(`${event.type} ${event.object.data?.['a'] ?? ''}`);
    }
    assert.deepEqual(seen, ['ADDED 1', 'MODIFIED 2', 'DELETED 2']);
  });
});
