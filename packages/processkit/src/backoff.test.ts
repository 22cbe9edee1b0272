import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';

test('a Backoff without jitter doubles from the base to the cap and starts again after reset', () => {
  const b = new Backoff({ baseMs: 100, capMs: 1000, jitter: false });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  assert.equal(b.next(), 100);
  const jittered = new Backoff({ baseMs: 100, capMs: 1000 });
  for (let i = 0; i < 20; i++) {
    const d = jittered.next();
    assert.ok(d >= Math.min(1000, 100 * 2 ** i) / 2 && d <= Math.min(1000, 100 * 2 ** i), `${d} at attempt ${i}`);
  }
});
