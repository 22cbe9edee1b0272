import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SandboxApiServer } from './index.js';

interface List {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Array<{
    metadata: { name: string; namespace: string; resourceVersion: string };
    spec: { clusterIP?: string };
  }>;
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function service(name: string, ip: string): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { name }, spec: { clusterIP: ip, ports: [{ port: 80 }] } }),
  };
}

test("limit/continue: pages at the first page's resourceVersion, whatever changes between them; bad and expired tokens", async () => {
  const api = await SandboxApiServer.start({ port: 0, historyLimit: 20 });
  try {
    for (let i = 0; i < 6; i++)
      assert.equal(
        (
          await call(
            `${api.url}/api/v1/namespaces/${i % 2 ? 'default' : 'kube-system'}/services`,
            service(`s${i}`, `10.0.0.${20 + i}`),
          )
        ).status,
        201,
      );
    const whole = (await call(`${api.url}/api/v1/services`)).body as unknown as List;
    assert.equal(whole.items.length, 7, 'default/kubernetes and the six');
    assert.equal(whole.metadata.continue, undefined);

    const first = (await call(`${api.url}/api/v1/services?limit=3`)).body as unknown as List;
    assert.equal(first.items.length, 3);
    assert.equal(first.metadata.remainingItemCount, 4);
    assert.equal(first.metadata.resourceVersion, whole.metadata.resourceVersion);
    // Changes after the first page: one listed later is deleted, one is added, one is changed.
    await call(`${api.url}/api/v1/namespaces/kube-system/services/s4`, { method: 'DELETE' });
    await call(`${api.url}/api/v1/namespaces/default/services`, service('s9', '10.0.0.99'));
    await call(`${api.url}/api/v1/namespaces/kube-system/services/s2`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { changed: 'yes' } } }),
    });
    const pages = [first];
    while (pages[pages.length - 1]?.metadata.continue !== undefined) {
      const token = encodeURIComponent(pages[pages.length - 1]?.metadata.continue ?? '');
      pages.push((await call(`${api.url}/api/v1/services?limit=3&continue=${token}`)).body as unknown as List);
    }
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [3, 3, 1],
    );
    assert.ok(pages.every((p) => p.metadata.resourceVersion === whole.metadata.resourceVersion));
    assert.deepEqual(
      pages.flatMap((p) => p.items),
      whole.items,
      'the pages together are the list as it was at the first page',
    );

    const scoped = (await call(`${api.url}/api/v1/namespaces/default/services?limit=2`)).body as unknown as List;
    assert.deepEqual(
      scoped.items.map((s) => s.metadata.name),
      ['kubernetes', 's1'],
    );
    assert.equal(scoped.metadata.remainingItemCount, 3, 's3, s5 and the new s9');

    assert.equal((await call(`${api.url}/api/v1/services?limit=x`)).status, 400);
    assert.equal((await call(`${api.url}/api/v1/services?limit=2&continue=bm90LWEtdG9rZW4=`)).status, 400);
    // More changes than the history keeps: the first token's resourceVersion is gone.
    for (let i = 0; i < 25; i++)
      await call(`${api.url}/api/v1/namespaces/default/services/s1`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { n: String(i) } } }),
      });
    const expired = await call(
      `${api.url}/api/v1/services?limit=3&continue=${encodeURIComponent(first.metadata.continue ?? '')}`,
    );
    assert.equal(expired.status, 410);
    assert.match(String(expired.body['message']), /continue parameter is too old/);
  } finally {
    await api.stop();
  }
});
