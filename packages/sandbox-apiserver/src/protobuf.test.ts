import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtobuf, isProtobuf } from './protobuf.js';
import { ApiError } from './status.js';

function bytes(field: number, value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([(field << 3) | 2, data.length]), data]);
}

function varint(field: number, value: number): Buffer {
  return Buffer.from([field << 3, value]);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    bytes(1, Buffer.concat([bytes(1, apiVersion), bytes(2, kind)])),
    bytes(2, raw),
  ]);
}

describe('protobuf bodies', () => {
  it('decodes a Service: metadata with labels, ports with int and named target ports, zero fields dropped', () => {
    const meta = Buffer.concat([
      bytes(1, 'web'),
      bytes(4, ''),
      bytes(11, Buffer.concat([bytes(1, 'app'), bytes(2, 'web')])),
    ]);
    const port1 = Buffer.concat([
      bytes(1, 'http'),
      bytes(2, 'TCP'),
      varint(3, 80),
      bytes(4, Buffer.concat([varint(1, 0), varint(2, 80)])),
    ]);
    const port2 = Buffer.concat([
      bytes(1, 'dns'),
      bytes(2, 'UDP'),
      varint(3, 53),
      bytes(4, Buffer.concat([varint(1, 1), bytes(3, 'dns')])),
    ]);
    const spec = Buffer.concat([
      bytes(1, port1),
      bytes(1, port2),
      bytes(3, ''),
      bytes(4, 'ClusterIP'),
      varint(13, 0),
      bytes(42, ''),
    ]);
    const body = envelope(
      'v1',
      'Service',
      Buffer.concat([bytes(1, meta), bytes(2, spec), bytes(3, Buffer.from([0x0a, 0x00]))]),
    );
    assert.ok(isProtobuf(body));
    assert.deepEqual(decodeProtobuf(body), {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 80 },
          { name: 'dns', protocol: 'UDP', port: 53, targetPort: 'dns' },
        ],
        type: 'ClusterIP',
      },
    });
  });

  it('decodes a ConfigMap (kubectl create configmap): data as strings, binaryData bytes as base64, immutable', () => {
    const entry = (key: string, value: Buffer | string): Buffer => Buffer.concat([bytes(1, key), bytes(2, value)]);
    const meta = Buffer.concat([bytes(1, 'settings'), bytes(3, 'kube-system')]);
    const body = envelope(
      'v1',
      'ConfigMap',
      Buffer.concat([
        bytes(1, meta),
        bytes(2, entry('a', 'b')),
        bytes(2, entry('empty', '')),
        bytes(2, entry('multi', 'line one\nline two')),
        bytes(3, entry('blob', Buffer.from([0, 1, 254, 255]))),
        varint(4, 1),
      ]),
    );
    assert.deepEqual(decodeProtobuf(body), {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'settings', namespace: 'kube-system' },
      data: { a: 'b', empty: '', multi: 'line one\nline two' },
      binaryData: { blob: 'AAH+/w==' },
      immutable: true,
    });
  });

  it('refuses other kinds and unknown non-empty fields with 415 and a clear message', () => {
    const refuse = (body: Buffer, pattern: RegExp): void =>
      assert.throws(
        () => decodeProtobuf(body),
        (err: unknown) => err instanceof ApiError && err.code === 415 && pattern.test(err.message),
      );
    refuse(
      envelope('v1', 'Secret', Buffer.alloc(0)),
      /kind "Secret" \(only Namespace, Service, ConfigMap are decoded\)/,
    );
    refuse(envelope('v1', 'Namespace', bytes(1, bytes(13, 'owner'))), /field 13 of Namespace\.metadata/);
    refuse(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x09]), /truncated/);
    assert.equal(isProtobuf(Buffer.from('{"kind":"Service"}')), false);
  });
});
