import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SandboxApiServer } from './index.js';

interface Status {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; kind?: string; causes?: { field: string; reason: string; message: string }[] };
}

describe('bad input answers with Status objects and loses nothing', () => {
  let api: SandboxApiServer;
  const call = async (
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<{ code: number; status: Status }> => {
    const res = await fetch(`${api.url}${path}`, { method, headers: { 'Content-Type': contentType }, body });
    return { code: res.status, status: (await res.json()) as Status };
  };

  before(async () => {
    api = await SandboxApiServer.start();
  });
  after(async () => {
    await api.stop();
  });

  it('404 for unknown paths and resources, with the real wording for a missing object', async () => {
    assert.equal((await call('GET', '/api/v2')).code, 404);
    assert.equal((await call('GET', '/api/v1/secrets')).code, 404);
    assert.equal((await call('GET', '/apis/coordination.k8s.io/v2/leases')).code, 404);
    assert.equal((await call('GET', '/api/v1/namespaces/default/services/x/proxy')).code, 404);
    const missing = await call('GET', '/api/v1/namespaces/default/services/nope');
    assert.deepEqual(
      [
        missing.code,
        missing.status.kind,
        missing.status.apiVersion,
        missing.status.status,
        missing.status.reason,
        missing.status.message,
      ],
      [404, 'Status', 'v1', 'Failure', 'NotFound', 'services "nope" not found'],
    );
    assert.deepEqual(missing.status.details, { name: 'nope', group: '', kind: 'services' });
    const slice = await call('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/nope');
    assert.equal(slice.status.message, 'endpointslices.discovery.k8s.io "nope" not found');
  });

  it('400 for undecodable bodies and mismatched kind, apiVersion, namespace or name', async () => {
    assert.equal((await call('POST', '/api/v1/namespaces/default/services', '{not json')).code, 400);
    assert.equal((await call('POST', '/api/v1/namespaces/default/services', '[1,2]')).code, 400);
    assert.match(
      (
        await call(
          'POST',
          '/api/v1/namespaces/default/services',
          JSON.stringify({ kind: 'Pod', metadata: { name: 'a' } }),
        )
      ).status.message,
      /kind in the data \(Pod\)/,
    );
    assert.match(
      (
        await call(
          'POST',
          '/api/v1/namespaces/default/services',
          JSON.stringify({ apiVersion: 'v2', metadata: { name: 'a' } }),
        )
      ).status.message,
      /API version in the data \(v2\)/,
    );
    assert.equal(
      (
        await call(
          'POST',
          '/api/v1/namespaces/default/services',
          JSON.stringify({ metadata: { name: 'a', namespace: 'kube-system' }, spec: { ports: [{ port: 1 }] } }),
        )
      ).code,
      400,
    );
    assert.equal(
      (
        await call(
          'POST',
          '/api/v1/namespaces/default/services',
          JSON.stringify({ metadata: { name: 'a', resourceVersion: '5' }, spec: { ports: [{ port: 1 }] } }),
        )
      ).code,
      400,
    );
    assert.match(
      (
        await call(
          'PUT',
          '/api/v1/namespaces/default/services/kubernetes',
          JSON.stringify({ metadata: { name: 'other' } }),
        )
      ).status.message,
      /does not match the name on the URL/,
    );
    assert.equal((await call('GET', '/api/v1/services?watch=true&resourceVersion=abc')).code, 400);
    assert.equal((await call('GET', '/api/v1/services?labelSelector=a%20b')).code, 400);
    assert.equal((await call('GET', '/api/v1/services?watch=1&timeoutSeconds=soon')).code, 400);
    assert.equal((await call('POST', '/api/v1/namespaces/default/services?dryRun=Some', '{}')).code, 400);
    const shapes: [string, unknown, RegExp][] = [
      [
        'services',
        { metadata: { name: 's' }, spec: { ports: 'http' } },
        /Service in version "v1" cannot be handled as a Service: spec.ports must be an array of objects/,
      ],
      [
        'services',
        { metadata: { name: 's', labels: { a: 1 } }, spec: { ports: [{ port: 1 }] } },
        /metadata.labels must be a map of strings/,
      ],
      [
        'endpoints',
        { metadata: { name: 'e' }, subsets: [{ addresses: { ip: '1.2.3.4' } }] },
        /subsets\[0\].addresses must be an array of objects/,
      ],
      ['pods', { metadata: { name: 'p' }, spec: [] }, /spec must be an object/],
    ];
    for (const [plural, body, message] of shapes) {
      const answer = await call('POST', `/api/v1/namespaces/default/${plural}`, JSON.stringify(body));
      assert.equal(answer.code, 400);
      assert.match(answer.status.message, message);
    }
  });

  it('422 with every cause for invalid objects', async () => {
    const bad = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      JSON.stringify({
        metadata: { name: 'Bad' },
        spec: { type: 'Weird', ports: [{ port: 0, protocol: 'ICMP' }, { port: 2 }] },
      }),
    );
    assert.equal(bad.code, 422);
    assert.equal(bad.status.reason, 'Invalid');
    assert.match(bad.status.message, /^Service "Bad" is invalid: \[/);
    assert.deepEqual(
      bad.status.details?.causes?.map((c) => c.field),
      [
        'metadata.name',
        'spec.type',
        'spec.ports[0].protocol',
        'spec.ports[0].port',
        'spec.ports[0].name',
        'spec.ports[1].name',
      ],
    );
    const noPorts = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      JSON.stringify({ metadata: { name: 'noports' }, spec: {} }),
    );
    assert.equal(noPorts.status.message, 'Service "noports" is invalid: spec.ports: Required value');
    const headless = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      JSON.stringify({ metadata: { name: 'headless' }, spec: { clusterIP: 'None' } }),
    );
    assert.equal(headless.code, 201, 'a headless service may have no ports');
    const ep = await call(
      'POST',
      '/api/v1/namespaces/default/endpoints',
      JSON.stringify({ metadata: { name: 'e' }, subsets: [{ addresses: [{ ip: '10.0.0.300' }] }] }),
    );
    assert.equal(ep.status.details?.causes?.[0]?.field, 'subsets[0].addresses[0].ip');
    const external = await call(
      'POST',
      '/api/v1/namespaces/default/services',
      JSON.stringify({ metadata: { name: 'ext' }, spec: { type: 'ExternalName' } }),
    );
    assert.equal(external.status.details?.causes?.[0]?.field, 'spec.externalName');
  });

  it('405, 413 and 415 where a real server answers them', async () => {
    assert.equal((await call('POST', '/api/v1/services', '{}')).code, 405);
    assert.equal((await call('DELETE', '/api/v1/namespaces/default/services')).code, 405);
    assert.equal(
      (await call('PATCH', '/api/v1/namespaces/default/services/kubernetes', 'a: b', 'application/apply-patch+yaml'))
        .code,
      415,
    );
    assert.equal((await call('POST', '/api/v1/namespaces/default/services', 'x'.repeat(4 * 1024 * 1024))).code, 413);
  });

  it('keeps everything it had after all that', async () => {
    const list = (await (await fetch(`${api.url}/api/v1/namespaces/default/services`)).json()) as {
      items: { metadata: { name: string } }[];
    };
    assert.deepEqual(
      list.items.map((s) => s.metadata.name),
      ['headless', 'kubernetes'],
    );
    assert.equal(await (await fetch(`${api.url}/healthz`)).text(), 'ok');
  });
});
