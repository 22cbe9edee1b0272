import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SliceIndex } from './slice-index.js';

test('slices follow their service label; moves and deletes update both sides', () => {
  const index = new SliceIndex();
  assert.equal(index.set('ns', 'web-a', 'web'), undefined);
  assert.equal(index.set('ns', 'web-b', 'web'), undefined);
  assert.equal(index.set('other', 'web-a', 'web'), undefined);
  assert.deepEqual(index.slices('ns', 'web').sort(), ['web-a', 'web-b']);
  assert.equal(index.set('ns', 'web-b', 'api'), 'web', 'moved: the old service is returned');
  assert.deepEqual(index.slices('ns', 'web'), ['web-a']);
  assert.deepEqual(index.slices('ns', 'api'), ['web-b']);
  assert.equal(index.set('ns', 'web-a', undefined), 'web');
  assert.deepEqual(index.slices('ns', 'web'), []);
  assert.deepEqual(index.slices('other', 'web'), ['web-a']);
  assert.equal(index.set('ns', 'web-b', 'api'), 'api', 'unchanged');
});
