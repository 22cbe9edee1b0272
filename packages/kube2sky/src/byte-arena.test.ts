import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteArena } from './byte-arena.js';

const bytesOf = (arena: ByteArena, ref: number): Buffer => {
  const chunk = arena.open(ref);
  return Buffer.from(chunk.subarray(arena.start, arena.start + arena.length));
};

test('entries come back as added, across chunks, long ones in a chunk of their own', () => {
  const arena = new ByteArena();
  const entries = [0, 1, 127, 128, 300, 16_383, 16_384, 40_000, 65_535, 65_536, 200_000].map((n, i) =>
    Buffer.alloc(n, i + 1),
  );
  const refs = entries.map((bytes) => arena.add(bytes, 0, bytes.length));
  entries.forEach((bytes, i) => assert.deepEqual(bytesOf(arena, refs[i] as number), bytes, `entry ${i}`));
  assert.ok(
    refs.every((ref) => ref >= 0 && Number.isInteger(ref)),
    'refs are non-negative int32s',
  );
  const middle = Buffer.from('xxhelloyy');
  assert.equal(bytesOf(arena, arena.add(middle, 2, 5)).toString(), 'hello', 'a slice of the source');
});

test('dropped entries count as garbage; a copy into a fresh arena keeps the live ones', () => {
  const arena = new ByteArena();
  const refs = Array.from({ length: 2_000 }, (_, i) => arena.add(Buffer.alloc(100, i & 255), 0, 100));
  assert.equal(arena.live, 2_000 * 101);
  assert.equal(arena.wasteful, false);
  for (let i = 0; i < 1_500; i++) arena.drop(refs[i] as number);
  assert.equal(arena.garbage, 1_500 * 101);
  assert.equal(arena.wasteful, true, 'more garbage than live bytes');
  const fresh = new ByteArena();
  const moved = refs.slice(1_500).map((ref) => fresh.copy(arena, ref));
  moved.forEach((ref, i) => assert.deepEqual(bytesOf(fresh, ref), Buffer.alloc(100, (1_500 + i) & 255)));
  assert.deepEqual([fresh.live, fresh.garbage], [500 * 101, 0]);
});
