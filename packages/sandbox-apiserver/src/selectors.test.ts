import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from './json.js';
import { fieldSelector, labelSelector } from './selectors.js';
import { ApiError } from './status.js';

const obj = (name: string, labels: Record<string, string>, extra: JsonObject = {}): JsonObject => ({
  metadata: { name, namespace: 'ns', labels },
  ...extra,
});
const objects = [
  obj('a', { app: 'web', tier: 'front' }),
  obj('b', { app: 'db' }),
  obj('c', {}, { status: { podIP: '10.0.0.5' } }),
];
const names = (match: (o: JsonObject) => boolean): string[] =>
  objects.filter(match).map((o) => String((o['metadata'] as JsonObject)['name']));

describe('label selectors', () => {
  it('supports =, ==, !=, in, notin, exists and !exists, comma-joined', () => {
    assert.deepEqual(names(labelSelector('app=web')), ['a']);
    assert.deepEqual(names(labelSelector('app==db')), ['b']);
    assert.deepEqual(names(labelSelector('app!=web')), ['b', 'c']);
    assert.deepEqual(names(labelSelector('app in (web, db)')), ['a', 'b']);
    assert.deepEqual(names(labelSelector('app notin (web)')), ['b', 'c']);
    assert.deepEqual(names(labelSelector('tier')), ['a']);
    assert.deepEqual(names(labelSelector('!tier')), ['b', 'c']);
    assert.deepEqual(names(labelSelector('app,!tier')), ['b']);
    assert.deepEqual(names(labelSelector('')), ['a', 'b', 'c']);
    assert.throws(
      () => labelSelector('a b c'),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
  });
});

describe('field selectors', () => {
  it('matches metadata.name, metadata.namespace and allowed paths; refuses others with 400', () => {
    assert.deepEqual(names(fieldSelector('metadata.name=b', [], 'Pod')), ['b']);
    assert.deepEqual(names(fieldSelector('metadata.namespace=ns,metadata.name!=a', [], 'Pod')), ['b', 'c']);
    assert.deepEqual(names(fieldSelector('status.podIP=10.0.0.5', ['status.podIP'], 'Pod')), ['c']);
    assert.throws(
      () => fieldSelector('spec.nope=1', [], 'Pod'),
      (e: unknown) => e instanceof ApiError && e.code === 400 && /field label not supported: spec.nope/.test(e.message),
    );
  });
});
