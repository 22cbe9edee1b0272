import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { SandboxApiServer } from '@kube-dns-legacy/sandbox-apiserver';
import { waitFor } from '@kube-dns-legacy/testkit';
import { createLogger } from '@kube-dns-legacy/processkit';
import { Metrics } from './metrics.js';
import { objectId, ResourceWatch, type ChangeType } from './watch.js';

test('lists in pages, watches, re-lists on 410 and reports what a re-list no longer holds', async () => {
  const api = await SandboxApiServer.start({ port: 0, bookmarkIntervalMs: 1000 });
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  const create = async (name: string, ip: string): Promise<void> => {
    const res = await fetch(`${api.url}/api/v1/namespaces/default/services`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name }, spec: { clusterIP: ip, ports: [{ port: 80 }] } }),
    });
    assert.equal(res.status, 201);
  };
  const remove = async (name: string): Promise<void> => {
    assert.equal(
      (await fetch(`${api.url}/api/v1/namespaces/default/services/${name}`, { method: 'DELETE' })).status,
      200,
    );
  };
  const changes: Array<[ChangeType, string]> = [];
  const relists: string[][] = [];
  let listed = 0;
  const metrics = new Metrics();
  const watch = new ResourceWatch({
    resource: 'services',
    path: '/api/v1/services',
    kubeConfig: kc,
    logger: createLogger('kube2sky', 'error'),
    metrics,
    watchTimeoutSeconds: 60,
    pageSize: 2,
    onChange: (type, object) => changes.push([type, objectId(object)]),
    onRelisted: (seen) => relists.push([...seen].sort()),
    onListed: () => listed++,
    backoffBaseMs: 20,
    backoffCapMs: 100,
  });
  try {
    for (let i = 0; i < 4; i++) await create(`s${i}`, `10.0.0.${20 + i}`);
    watch.start();
    await waitFor('the first list', () => listed === 1, 10_000, 10);
    const all = ['default/kubernetes', 'default/s0', 'default/s1', 'default/s2', 'default/s3'];
    assert.deepEqual(
      changes,
      all.map((id) => ['list', id]),
    );
    const lists = async (): Promise<number> =>
      Number(
        /^apiserver_request_total\{[^}]*verb="LIST"[^}]*resource="services"[^}]*code="200"[^}]*\} (\d+)/m.exec(
          await (await fetch(`${api.url}/metrics`)).text(),
        )?.[1],
      );
    assert.equal(await lists(), 3, 'five objects over three pages of two');
    assert.deepEqual(relists, [all]);
    await waitFor('the watch to be healthy', () => watch.healthy, 10_000, 10);

    changes.length = 0;
    await create('s4', '10.0.0.30');
    await remove('s0');
    await waitFor('the watch events', () => changes.length === 2, 10_000, 10);
    assert.deepEqual(changes, [
      ['add', 'default/s4'],
      ['delete', 'default/s0'],
    ]);

    // The watch is dropped and its resourceVersion has expired: a new list, whose ids tell what is gone.
    changes.length = 0;
    api.faults.goneOnWatch(true);
    api.faults.dropWatches();
    await remove('s1');
    await waitFor('a re-list', () => relists.length >= 2, 10_000, 10);
    // Every new watch keeps answering 410: kube2sky backs off instead of listing in a tight loop.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok(relists.length <= 40, `${relists.length} lists in about a second of 410s (a tight loop makes hundreds)`);
    api.faults.goneOnWatch(false);
    assert.deepEqual(relists[1], ['default/kubernetes', 'default/s2', 'default/s3', 'default/s4']);
    assert.ok(changes.every(([type]) => type === 'list'));
    assert.equal(listed, 1, 'onListed only once');
    const events = await metrics.events.get();
    assert.ok((events.values.find((v) => v.labels['type'] === 'list')?.value ?? 0) >= 9);
  } finally {
    await watch.stop();
    await api.stop();
  }
});
