import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { EtcdServer, ManagedProcess, freePort, waitFor } from '@kube-dns-legacy/testkit';
import { a } from './kube2sky-harness.js';

const MAIN = fileURLToPath(new URL('../../packages/kube2sky/dist/main.js', import.meta.url));
const SANDBOX = fileURLToPath(new URL('../../packages/sandbox-apiserver/dist/main.js', import.meta.url));

test('a frozen API server (silent watches, hanging lists) is noticed and retried; kube2sky converges when it thaws', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kube2sky-silence-'));
  const etcd = await EtcdServer.start();
  const kubeconfig = join(dir, 'kubeconfig');
  const procs: ManagedProcess[] = [];
  try {
    const sandbox = new ManagedProcess('sandbox-apiserver', 'node', [
      SANDBOX,
      `--kubeconfig=${kubeconfig}`,
      '--bookmark-interval=3600',
      '--log-level=warn',
    ]);
    procs.push(sandbox);
    await waitFor(
      'the sandbox kubeconfig',
      async () => {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfig);
        await kc.makeApiClient(CoreV1Api).listNamespace();
        return true;
      },
      20_000,
      100,
    );
    const healthz = await freePort();
    const kube2sky = new ManagedProcess('kube2sky', 'node', [
      MAIN,
      `--etcd-server=${etcd.endpoint}`,
      `--kubecfg-file=${kubeconfig}`,
      `--healthz-port=${healthz}`,
      '--watch-timeout=1s',
    ]);
    procs.push(kube2sky);
    await waitFor(
      'kube2sky to be ready',
      async () => (await fetch(`http://127.0.0.1:${healthz}/readiness`)).status === 200,
      30_000,
      100,
    );

    sandbox.child.kill('SIGSTOP');
    await kube2sky.waitForOutput(/watch silent too long; re-listing/, 20_000);
    // The re-list hangs too while the server is frozen: it times out and is retried.
    await kube2sky.waitForOutput(/listing \w+ took longer than/, 20_000);
    sandbox.child.kill('SIGCONT');

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await kc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'thawed' },
        spec: { clusterIP: '10.0.0.77', ports: [{ port: 80, protocol: 'TCP' }] },
      },
    });
    await waitFor(
      'the new service in etcd',
      async () => (await etcd.dump('/skydns/local/cluster/svc/default/thawed/')).size === 1,
      20_000,
      100,
    );
    const dump = await etcd.dump('/skydns/local/cluster/svc/default/thawed/');
    assert.deepEqual([...dump.values()], [a('10.0.0.77')]);
    assert.equal(await kube2sky.stop('SIGTERM'), 0);
  } finally {
    for (const p of procs.reverse()) {
      p.child.kill('SIGCONT');
      await p.stop('SIGKILL');
    }
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
