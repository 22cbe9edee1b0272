import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
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

test('collectGarbage compacts: old-generation pages left mostly empty by a burst are released', () => {
  // Promote a burst of objects to the old generation, then keep one in 16: without compaction
  // every page stays committed for the few objects left on it.
  let burst: Array<{ n: number; s: string }> | undefined = Array.from({ length: 400_000 }, (_, n) => ({
    n,
    s: `kept-${n}`,
  }));
  collectGarbage();
  const kept = burst.filter((_, i) => i % 16 === 0);
  burst = undefined;
  collectGarbage();
  const old = getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
  assert.equal(kept.length, 25_000);
  assert.ok(old !== undefined);
  assert.ok(
    old.space_size - old.space_used_size < 4 * 1048576,
    `old space: ${Math.round(old.space_size / 1048576)} MiB committed for ${Math.round(old.space_used_size / 1048576)} MiB used`,
  );
});
