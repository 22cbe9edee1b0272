import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openApiV2Json, openApiV2Protobuf } from './openapi.js';
import { servedResources } from './resources.js';

/** Length-delimited fields of one protobuf message, by field number (enough to walk the document). */
function fields(buffer: Buffer): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buffer[at++] ?? 0;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
  };
  while (at < buffer.length) {
    const key = varint();
    assert.equal(key & 7, 2, 'only length-delimited fields are written');
    const length = varint();
    out.set(key >>> 3, [...(out.get(key >>> 3) ?? []), buffer.subarray(at, at + length)]);
    at += length;
  }
  return out;
}

const one = (message: Buffer | undefined, num: number): Buffer => {
  const found = message && fields(message).get(num)?.[0];
  assert.ok(found, `field ${num} present`);
  return found;
};

describe('the OpenAPI v2 document', () => {
  const defs = servedResources(true);

  it('declares, per resource, a PATCH with its group/version/kind and the dryRun query parameter (protobuf)', () => {
    const doc = openApiV2Protobuf(defs);
    assert.equal(one(doc, 1).toString(), '2.0');
    assert.equal(one(one(doc, 2), 1).toString(), 'Kubernetes');
    const paths = fields(one(doc, 8)).get(2) ?? [];
    const byPath = new Map(paths.map((item) => [one(item, 1).toString(), one(one(item, 2), 8)]));
    assert.deepEqual(
      [...byPath.keys()],
      [
        '/api/v1/namespaces/{namespace}/configmaps/{name}',
        '/api/v1/namespaces/{namespace}/endpoints/{name}',
        '/api/v1/namespaces/{name}',
        '/api/v1/namespaces/{namespace}/pods/{name}',
        '/api/v1/namespaces/{namespace}/services/{name}',
        '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}',
        '/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}',
      ],
    );
    const patch = byPath.get('/api/v1/namespaces/{namespace}/services/{name}');
    const query = one(one(one(one(patch, 8), 1), 2), 3);
    assert.equal(one(query, 4).toString(), 'dryRun');
    assert.equal(one(query, 2).toString(), 'query');
    const extension = one(patch, 13);
    assert.equal(one(extension, 1).toString(), 'x-kubernetes-group-version-kind');
    assert.equal(one(one(extension, 2), 2).toString(), 'group: ""\nkind: Service\nversion: v1\n');
    const slice = byPath.get('/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{name}');
    assert.match(one(one(one(slice, 13), 2), 2).toString(), /group: "discovery.k8s.io"\nkind: EndpointSlice/);
  });

  it('says the same in JSON', () => {
    const doc = openApiV2Json(defs) as {
      swagger: string;
      paths: Record<string, { patch: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': object } }>;
    };
    assert.equal(doc.swagger, '2.0');
    const svc = doc.paths['/api/v1/namespaces/{namespace}/services/{name}'];
    assert.deepEqual(svc?.patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Service', version: 'v1' });
    assert.equal(svc?.patch.parameters[0]?.name, 'dryRun');
  });
});
