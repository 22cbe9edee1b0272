import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SortedKeyMap } from './sorted-keys.js';

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function entries(map: SortedKeyMap<number>, from = ''): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  map.walk(from, (key, value) => {
    out.push([key, value]);
    return true;
  });
  return out;
}

test('random sets and deletes across many chunks agree with a sorted Map', () => {
  const random = rng(7);
  const map = new SortedKeyMap<number>();
  const reference = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const key = `/k/${Math.floor(random() * 3000).toString(36)}`;
    if (random() < 0.3) {
      assert.equal(map.delete(key), reference.delete(key), `delete ${key}`);
    } else {
      assert.equal(map.set(key, i), !reference.has(key), `set ${key}`);
      reference.set(key, i);
    }
  }
  const expected = [...reference.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  assert.ok(expected.length > 1024, 'more than one chunk');
  assert.equal(map.size, reference.size);
  assert.deepEqual(entries(map), expected);
  for (const [key, value] of expected) assert.equal(map.get(key), value);
  assert.equal(map.get('/k/not-there'), undefined);
  // A walk from any point starts at the first key at or after it, across chunk boundaries.
  const middle = expected[1500]?.[0] as string;
  assert.deepEqual(entries(map, middle), expected.slice(1500));
  assert.deepEqual(entries(map, `${middle}\u0000`), expected.slice(1501));
  for (const [key] of expected) map.delete(key);
  assert.equal(map.size, 0);
  assert.deepEqual(entries(map), []);
});

test('keys arriving in order are appended; a walk stops when told; takeFrom moves everything', () => {
  const map = new SortedKeyMap<number>();
  for (let i = 0; i < 5000; i++) map.set(`/a/${String(i).padStart(5, '0')}`, i);
  assert.equal(map.size, 5000);
  let visited = 0;
  map.walk('/a/00100', () => ++visited < 3);
  assert.equal(visited, 3);
  assert.equal(map.set('/a/00007', -1), false, 'replacing is not adding');
  assert.equal(map.get('/a/00007'), -1);
  const other = new SortedKeyMap<number>();
  other.takeFrom(map);
  assert.equal(other.size, 5000);
  assert.equal(map.size, 0);
  other.clear();
  assert.deepEqual(entries(other), []);
});
