import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from './random.js';

test('seededRandom is mulberry32: the published sequence for seed 1, the same sequence for the same seed, values in [0, 1)', () => {
  const r = seededRandom(1);
  assert.deepEqual([r(), r(), r()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  const a = seededRandom(20261123);
  const b = seededRandom(20261123);
  for (let i = 0; i < 10_000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
  }
});
