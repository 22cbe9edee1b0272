import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, freePort, kubeDnsConfigMap, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { errorCount, startKube2sky, waitReady } from './testing.js';

const run = promisify(execFile);

test('the kube-dns ConfigMap, created, made invalid, changed and deleted with kubectl, is mirrored into etcd', async () => {
  const kubectlPath = requireTool('kubectl');
  const dir = mkdtempSync(join(tmpdir(), 'kube2sky-configmap-'));
  const etcd = await EtcdServer.start();
  const api = await SandboxApiServer.start();
  const port = await freePort();
  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(kubectlPath, ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args])).stdout;
  const file = (text: string): string => {
    const path = join(dir, `cm-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const dnsKeys = async (): Promise<Array<[string, string]>> =>
    [...(await etcd.dump('/skydns/local/cluster/dns/'))].sort(([a], [b]) => (a < b ? -1 : 1));
  const configErrors = (): Promise<number> => errorCount(port, 'configmap');
  const handWritten: [string, string] = [
    '/skydns/local/cluster/dns/stub/com/example/ns1',
    '{"host":"10.9.9.9","port":53}',
  ];
  // Left by an earlier kube2sky whose ConfigMap is gone meanwhile: swept at start.
  await etcd.etcdctl('put', '/skydns/local/cluster/dns/upstream/2', '{"host":"9.9.9.9","port":53}');
  await etcd.etcdctl('put', ...handWritten);
  const proc = startKube2sky(etcd.endpoint, api.kubeconfigPath, port);
  try {
    await waitReady(port);
    assert.deepEqual(await dnsKeys(), [handWritten], 'stale upstream swept, the hand-written stub kept');
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      checks: Record<string, boolean>;
    };
    assert.equal(health.checks['configmaps'], true);

    await kubectl(
      'create',
      '-f',
      file(
        kubeDnsConfigMap(
          '{"acme.local": ["10.150.0.1"], "corp.example": ["10.10.0.1:5353"]}',
          '["8.8.8.8", "8.8.4.4"]',
        ),
      ),
    );
    // Another ConfigMap in kube-system is not read.
    await kubectl('create', '-f', file(kubeDnsConfigMap('{"other.local": ["10.1.1.1"]}', '["1.1.1.1"]', 'other')));
    const valid: Array<[string, string]> = [
      ['/skydns/local/cluster/dns/stub/com/example/ns1', '{"host":"10.9.9.9","port":53}'],
      ['/skydns/local/cluster/dns/stub/example/corp/0', '{"host":"10.10.0.1","port":5353}'],
      ['/skydns/local/cluster/dns/stub/local/acme/0', '{"host":"10.150.0.1","port":53}'],
      ['/skydns/local/cluster/dns/upstream/0', '{"host":"8.8.8.8","port":53}'],
      ['/skydns/local/cluster/dns/upstream/1', '{"host":"8.8.4.4","port":53}'],
    ];
    await waitFor(
      'the ConfigMap mirrored',
      async () => JSON.stringify(await dnsKeys()) === JSON.stringify(valid),
      10_000,
      100,
    );

    const errors = await configErrors();
    await kubectl('replace', '-f', file(kubeDnsConfigMap('{"cluster.local": ["10.150.0.1"]}', '["8.8.8.8"]')));
    await waitFor('the invalid ConfigMap counted', async () => (await configErrors()) === errors + 1, 10_000, 100);
    await kubectl(
      'replace',
      '-f',
      file(kubeDnsConfigMap('{"acme.local": ["10.150.0.1"]}', '["1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"]')),
    );
    await waitFor(
      'the second invalid ConfigMap counted',
      async () => (await configErrors()) === errors + 2,
      10_000,
      100,
    );
    assert.deepEqual(await dnsKeys(), valid, 'the last valid configuration stays in force');
    const refused = proc.output.split('\n').filter((l) => l.includes('kube-dns ConfigMap refused'));
    assert.ok(
      refused.some((l) => l.includes('cluster domain or inside it')),
      refused.join('\n'),
    );
    assert.ok(
      refused.some((l) => l.includes('cannot have more than 3 entries')),
      refused.join('\n'),
    );

    await kubectl('replace', '-f', file(kubeDnsConfigMap('{"acme.local": ["10.150.0.2:5353"]}', '["1.1.1.1"]')));
    await waitFor(
      'the change mirrored',
      async () =>
        JSON.stringify(await dnsKeys()) ===
        JSON.stringify([
          handWritten,
          ['/skydns/local/cluster/dns/stub/local/acme/0', '{"host":"10.150.0.2","port":5353}'],
          ['/skydns/local/cluster/dns/upstream/0', '{"host":"1.1.1.1","port":53}'],
        ]),
      10_000,
      100,
    );

    await kubectl('delete', 'configmap', 'kube-dns', '-n', 'kube-system');
    await waitFor(
      'the keys removed',
      async () => JSON.stringify(await dnsKeys()) === JSON.stringify([handWritten]),
      10_000,
      100,
    );
    assert.ok(proc.alive);
  } finally {
    await proc.stop('SIGKILL');
    await api.stop();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
