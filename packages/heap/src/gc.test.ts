import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from './gc.js';

test('collectGarbage runs a full collection at once (twice in a row too)', () => {
  let garbage: string[] | undefined = Array.from({ length: 300_000 }, (_, i) => `garbage-${i}-${'x'.repeat(40)}`);
  const held = process.memoryUsage().heapUsed;
  assert.equal(garbage.length, 300_000);
  garbage = undefined;
  collectGarbage();
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  assert.ok(held - after > 20 * 1048576, `heap ${Math.round(held / 1048576)} MiB → ${Math.round(after / 1048576)} MiB`);
});
