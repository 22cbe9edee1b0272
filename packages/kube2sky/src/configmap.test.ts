import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { EtcdServer, ManagedProcess, freePort, requireTool, waitFor } from '@kube-dns-legacy/testkit';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The kube-dns ConfigMap as a user writes it (YAML, each data key a JSON string). */
function configMap(name: string, stubDomains: string, upstreamNameservers: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: kube-system
data:
  stubDomains: |
    ${stubDomains}
  upstreamNameservers: |
    ${upstreamNameservers}
`;
}

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
  const configErrors = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/kube2sky_errors_total\{kind="configmap"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const handWritten: [string, string] = [
    '/skydns/local/cluster/dns/stub/com/example/ns1',
    '{"host":"10.9.9.9","port":53}',
  ];
  // Left by an earlier kube2sky whose ConfigMap is gone meanwhile: swept at start.
  await etcd.etcdctl('put', '/skydns/local/cluster/dns/upstream/2', '{"host":"9.9.9.9","port":53}');
  await etcd.etcdctl('put', ...handWritten);
  const proc = new ManagedProcess('kube2sky', 'node', [
    MAIN,
    `--etcd-server=${etcd.endpoint}`,
    `--kubecfg-file=${api.kubeconfigPath}`,
    `--healthz-port=${port}`,
  ]);
  try {
    await waitFor('ready', async () => (await fetch(`http://127.0.0.1:${port}/readiness`)).status === 200, 20_000);
    assert.deepEqual(await dnsKeys(), [handWritten], 'stale upstream swept, the hand-written stub kept');
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      checks: Record<string, boolean>;
    };
    assert.equal(health.checks['configmaps'], true);

    await kubectl(
      'create',
      '-f',
      file(
        configMap(
          'kube-dns',
          '{"acme.local": ["10.150.0.1"], "corp.example": ["10.10.0.1:5353"]}',
          '["8.8.8.8", "8.8.4.4"]',
        ),
      ),
    );
    // Another ConfigMap in kube-system is not read.
    await kubectl('create', '-f', file(configMap('other', '{"other.local": ["10.1.1.1"]}', '["1.1.1.1"]')));
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
    await kubectl('replace', '-f', file(configMap('kube-dns', '{"cluster.local": ["10.150.0.1"]}', '["8.8.8.8"]')));
    await waitFor('the invalid ConfigMap counted', async () => (await configErrors()) === errors + 1, 10_000, 100);
    await kubectl(
      'replace',
      '-f',
      file(configMap('kube-dns', '{"acme.local": ["10.150.0.1"]}', '["1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"]')),
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

    await kubectl('replace', '-f', file(configMap('kube-dns', '{"acme.local": ["10.150.0.2:5353"]}', '["1.1.1.1"]')));
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
