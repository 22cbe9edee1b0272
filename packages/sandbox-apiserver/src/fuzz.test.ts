import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SandboxApiServer } from './index.js';
import { seededRandom as random } from '@kube-dns-legacy/testkit';

describe('hostile requests', () => {
  let api: SandboxApiServer;
  before(async () => {
    api = await SandboxApiServer.start();
  });
  after(async () => {
    await api.stop();
  });

  it('answers 400 random requests with a Status or a document, and keeps serving', async () => {
    const next = random(20261123);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const paths = [
      '/api/v1/namespaces/default/services',
      '/api/v1/namespaces/default/services/kubernetes',
      '/api/v1/namespaces/default/services/kubernetes/status',
      '/api/v1/pods',
      '/api/v1/namespaces/%zz/pods',
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      '/api/v1/namespaces',
      '/api/v1/namespaces/default',
      '/api/v1/watch/namespaces/default/endpoints/x?timeoutSeconds=0',
      '/api/v1/namespaces/default/endpoints/kubernetes',
      '/apis',
      '/x/../api/v1',
      '/api/v1/namespaces/default/services/a/b/c/d',
    ];
    const queries = [
      '',
      '?watch=1&timeoutSeconds=0',
      '?labelSelector=%28%28',
      '?fieldSelector=metadata.name%3D',
      '?dryRun=All',
      '?resourceVersion=-1&watch=true&timeoutSeconds=0',
      '?includeObject=Object',
    ];
    const bodies = [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '{"metadata":null}',
      '{"metadata":{"name":""}}',
      '{"spec":{"ports":[{"port":"80"}]}}',
      '{"metadata":{"name":"f"},"spec":{"ports":[{"port":1e9}]}}',
      '{"metadata":{"name":"f"},"subsets":[{"addresses":[{"ip":1}]}]}',
      '[{"op":"remove","path":"/spec"}]',
      '{"metadata":{"labels":{"a":null}}}',
      'k8s\u0000\u00ff\u00ff',
    ];
    const types = [
      'application/json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/json-patch+json',
      'application/vnd.kubernetes.protobuf',
      'text/plain',
    ];
    for (let i = 0; i < 400; i++) {
      const method = pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
      const body = method === 'GET' || method === 'OPTIONS' ? undefined : pick(bodies);
      const path = pick(paths);
      const query = pick(queries);
      const url = `${api.url}${path}${path.includes('?') && query ? `&${query.slice(1)}` : query}`;
      // Watches without timeoutSeconds stay open by design: the paths and queries above always bound them.
      const res = await fetch(url, {
        method,
        body,
        headers: { 'Content-Type': pick(types) },
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      assert.ok(res.status >= 200 && res.status < 600, `request ${i} ${method} ${url}: status ${res.status}`);
      if (res.status >= 400) {
        const status = JSON.parse(text) as { kind?: string; code?: number };
        assert.equal(status.kind, 'Status', `request ${i}: ${text.slice(0, 200)}`);
        assert.equal(status.code, res.status);
        assert.notEqual(res.status, 500, `request ${i} (${method}) hit an internal error: ${text.slice(0, 300)}`);
      }
    }
    assert.equal(await (await fetch(`${api.url}/healthz`)).text(), 'ok');
    const kubernetes = await fetch(`${api.url}/api/v1/namespaces/default/services/kubernetes`);
    const body = (await kubernetes.json()) as { kind?: string; spec?: { clusterIP?: string } };
    if (kubernetes.status === 200)
      assert.equal(body.spec?.clusterIP, '10.0.0.1', 'the kubernetes service, if still there, is intact');
    else assert.deepEqual([kubernetes.status, body.kind], [404, 'Status']);
  });
});
