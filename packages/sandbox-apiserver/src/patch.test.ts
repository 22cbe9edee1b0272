import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPatch, mergePatch, strategicPatch } from './patch.js';
import { ApiError } from './status.js';

describe('merge patch (RFC 7386)', () => {
  it('merges objects, deletes with null and replaces lists', () => {
    assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), {
      a: { c: 2, d: 3 },
      l: [3],
    });
    assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x');
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test in order', () => {
    const doc = { a: [1, 2], b: { c: 'x' } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/a/1', value: 9 },
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'replace', path: '/b/c', value: 'y' },
      { op: 'copy', from: '/b/c', path: '/d' },
      { op: 'move', from: '/d', path: '/e~1f' },
      { op: 'remove', path: '/a/0' },
      { op: 'test', path: '/e~1f', value: 'y' },
    ]);
    assert.deepEqual(out, { a: [9, 2, 3], b: { c: 'y' }, 'e/f': 'y' });
    assert.deepEqual(doc, { a: [1, 2], b: { c: 'x' } }, 'the input is not changed');
  });

  it('fails with 422 on a missing path or a failed test', () => {
    assert.throws(
      () => jsonPatch({}, [{ op: 'replace', path: '/nope', value: 1 }]),
      (e: unknown) => e instanceof ApiError && e.code === 422,
    );
    assert.throws(
      () => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
      (e: unknown) => e instanceof ApiError && e.code === 422,
    );
    assert.throws(
      () => jsonPatch({}, { op: 'add' }),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
  });
});

describe('strategic merge patch', () => {
  const svc = {
    spec: {
      ports: [
        { name: 'a', port: 80, targetPort: 80 },
        { name: 'b', port: 90, targetPort: 90 },
      ],
      selector: { app: 'x' },
    },
  };

  it('merges service ports by port, deletes with $patch: delete and orders by $setElementOrder', () => {
    const out = strategicPatch('Service', '', svc, {
      spec: {
        '$setElementOrder/ports': [{ port: 91 }, { port: 80 }],
        ports: [
          { name: 'b2', port: 91 },
          { port: 90, $patch: 'delete' },
          { port: 80, targetPort: 8080 },
        ],
      },
    });
    assert.deepEqual(out, {
      spec: {
        ports: [
          { name: 'b2', port: 91 },
          { name: 'a', port: 80, targetPort: 8080 },
        ],
        selector: { app: 'x' },
      },
    });
  });

  it('replaces lists without a merge key, honours $patch: replace, $retainKeys and $deleteFromPrimitiveList', () => {
    const ep = { subsets: [{ addresses: [{ ip: '1.1.1.1' }] }] };
    assert.deepEqual(strategicPatch('Endpoints', '', ep, { subsets: [{ addresses: [{ ip: '2.2.2.2' }] }] }), {
      subsets: [{ addresses: [{ ip: '2.2.2.2' }] }],
    });
    assert.deepEqual(strategicPatch('Service', '', svc, { spec: { selector: { $patch: 'replace', app: 'y' } } }), {
      spec: { ...svc.spec, selector: { app: 'y' } },
    });
    assert.deepEqual(strategicPatch('X', '', { s: { a: 1, b: 2, c: 3 } }, { s: { $retainKeys: ['a', 'c'], c: 4 } }), {
      s: { a: 1, c: 4 },
    });
    assert.deepEqual(
      strategicPatch(
        'X',
        '',
        { metadata: { finalizers: ['a', 'b'] } },
        { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } },
      ),
      { metadata: { finalizers: ['b'] } },
    );
    assert.deepEqual(strategicPatch('X', '', { a: 1, b: 2 }, { a: null }), { b: 2 });
  });
});
