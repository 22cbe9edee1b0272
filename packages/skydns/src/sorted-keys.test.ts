import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SortedKeyMap } from './sorted-keys.js';
import { seededRandom as rng } from '@kube-dns-legacy/testkit';

function entries(map: SortedKeyMap, from = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  map.walk(from, (key, value) => {
    out.push([key, value()]);
    return true;
  });
  return out;
}

test('random sets and deletes across many chunks agree with a sorted Map', () => {
  const random = rng(7);
  const map = new SortedKeyMap();
  const reference = new Map<string, string>();
  for (let i = 0; i < 6000; i++) {
    const key = `/k/${Math.floor(random() * 3000).toString(36)}`;
    if (random() < 0.3) {
      assert.equal(map.delete(key), reference.delete(key), `delete ${key}`);
    } else {
      // Values of every length, so that replacing one moves the bytes after it both ways.
      const value = `v${i}`.repeat(1 + (i % 7));
      assert.equal(map.set(key, value), !reference.has(key), `set ${key}`);
      reference.set(key, value);
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
  const map = new SortedKeyMap();
  for (let i = 0; i < 5000; i++) map.set(`/a/${String(i).padStart(5, '0')}`, String(i));
  assert.equal(map.size, 5000);
  let visited = 0;
  map.walk('/a/00100', () => ++visited < 3);
  assert.equal(visited, 3);
  assert.equal(map.set('/a/00007', '-1'), false, 'replacing is not adding');
  assert.equal(map.get('/a/00007'), '-1');
  const other = new SortedKeyMap();
  other.takeFrom(map);
  assert.equal(other.size, 5000);
  assert.equal(map.size, 0);
  other.clear();
  assert.deepEqual(entries(other), []);
});

test('keys in UTF-8 byte order (as etcd orders them); the only entry replaced; values of any text', () => {
  const map = new SortedKeyMap();
  assert.equal(map.set('/only', 'a'), true);
  assert.equal(map.set('/only', 'a much longer value than before'), false);
  assert.deepEqual(entries(map), [['/only', 'a much longer value than before']]);
  const keys = ['/z', '/é', '/a', '/\uffff', '/😀', '/a/b', '/a-b', '/'];
  for (const key of keys) map.set(key, `${key} → ✓`);
  const expected = [...keys, '/only'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(
    entries(map).map(([k]) => k),
    expected,
  );
  assert.equal(map.get('/😀'), '/😀 → ✓');
  assert.equal(map.get('/'), '/ → ✓');
  assert.equal(map.delete('/é'), true);
  assert.equal(map.get('/é'), undefined);
  assert.equal(map.size, expected.length - 1);
});

test('append packs runs in order and sets the others; the result is the same as setting one by one', () => {
  const random = rng(9);
  const one = new SortedKeyMap();
  const many = new SortedKeyMap();
  for (let page = 0; page < 6; page++) {
    // Mostly ascending pages (as a range read brings them), with a few keys out of order and repeats.
    const keys = Array.from({ length: 700 }, (_, i) =>
      random() < 0.05 ? `/p/${Math.floor(random() * 4000)}` : `/p/${String(page * 1000 + i).padStart(5, '0')}`,
    );
    const values = keys.map((k, i) => `${k}=${page}.${i}`);
    keys.forEach((k, i) => one.set(k, values[i] as string));
    many.append(keys, values);
    assert.equal(many.size, one.size, `page ${page}`);
  }
  assert.deepEqual(entries(many), entries(one));
  many.set('/p/00001', 'changed');
  assert.equal(many.get('/p/00001'), 'changed');
  assert.equal(many.delete('/p/00002'), true);
  assert.equal(many.size, one.size - 1 + (one.get('/p/00001') === undefined ? 1 : 0));
});

test('rank and walkAt agree with the sorted keys across chunks', () => {
  const random = rng(11);
  const map = new SortedKeyMap();
  const keys = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const key = `/r/${Math.floor(random() * 1e6).toString(36)}`;
    keys.add(key);
    map.set(key, `v${i}`);
  }
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const i of [0, 1, 511, 512, 1023, 1024, 2500, sorted.length - 1]) {
    const key = sorted[i] as string;
    assert.equal(map.rank(key), i, `rank of ${key}`);
    assert.equal(map.rank(`${key}\u0000`), i + 1);
    const seen: string[] = [];
    map.walkAt(i, (k) => {
      seen.push(k);
      return seen.length < 3;
    });
    assert.deepEqual(seen, sorted.slice(i, i + 3));
  }
  assert.equal(map.rank(''), 0);
  assert.equal(map.rank('/s'), sorted.length);
  let visited = 0;
  map.walkAt(sorted.length, () => {
    visited++;
    return true;
  });
  assert.equal(visited, 0);
});

test('values with the affixes read back exactly as set (set in any order, append, get, walk, across chunks)', () => {
  const affixes = { prefix: '{"host":"', suffix: '","ttl":30}' };
  const shapes = [
    (i: number) => `{"host":"10.0.${i >> 8}.${i & 255}","ttl":30}`, // both
    (i: number) => `{"host":"h${i}.é","port":80}`, // the prefix only, a non-ASCII body
    (i: number) => `{"port":"${i}","ttl":30}`, // the suffix only
    (i: number) => `{"text":"${i}"}`, // neither
    () => '{"host":"","ttl":30}', // both, nothing between
    () => '{"host":","ttl":30}', // both, sharing a character: the prefix alone is taken
    () => '{"host":"', // the prefix alone
    () => '',
  ];
  const sorted: Array<[string, string]> = [];
  for (let i = 0; i < 3000; i++)
    sorted.push([`/k/${i.toString(36).padStart(4, '0')}`, (shapes[i % shapes.length] as (i: number) => string)(i)]);
  const appended = new SortedKeyMap(affixes);
  appended.append(
    sorted.map(([k]) => k),
    sorted.map(([, v]) => v),
  );
  const shuffled = new SortedKeyMap(affixes);
  const random = rng(11);
  for (const [key, value] of [...sorted].sort(() => random() - 0.5)) shuffled.set(key, value);
  for (const map of [appended, shuffled]) {
    assert.deepEqual(entries(map), sorted);
    for (const [key, value] of sorted) assert.equal(map.get(key), value, key);
  }
});

test('keys sharing prefixes of every length, multi-byte characters where they part, in any order, agree with a sorted Map', () => {
  const random = rng(13);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  // Stems keys begin with: long shared runs (as etcd keys have), and pairs of characters that share
  // their first UTF-8 bytes (é/è: 1 of 2, €/₭: 2 of 3, 😀/😁: 3 of 4), so a chunk's common bytes can
  // end inside a character.
  const stems = [
    '',
    '/',
    '/a',
    '/skydns/local/cluster/svc/ns-1/',
    '/skydns/local/cluster/svc/ns-1/svc-',
    '/skydns/local/cluster/svc/ns-2/svc-é',
    '/m/é',
    '/m/è',
    '/m/€',
    '/m/₭',
    '/m/😀',
    '/m/😁',
    '/~',
  ];
  const tail = ['a', 'b', '0', '9', '/', '-', 'é', 'è', '€', '₭', '😀', '😁', '~'];
  const key = (): string => {
    let k = pick(stems);
    for (let n = Math.floor(random() * 6); n > 0; n--) k += pick(tail);
    return k;
  };
  const map = new SortedKeyMap();
  const reference = new Map<string, string>();
  const check = (label: string): void => {
    const expected = [...reference.entries()].sort(([a], [b]) => byBytes(a, b));
    assert.equal(map.size, reference.size, label);
    assert.deepEqual(entries(map), expected, label);
    for (const [k, v] of expected) assert.equal(map.get(k), v, `${label}: get ${k}`);
    const sorted = expected.map(([k]) => k);
    for (let n = 0; n < 200; n++) {
      // Walks and ranks from keys held or not, including ones that end inside a chunk's prefix.
      const from = random() < 0.5 ? (pick(sorted) ?? '') : key();
      const at = sorted.findIndex((k) => byBytes(k, from) >= 0);
      const index = at < 0 ? sorted.length : at;
      assert.equal(map.rank(from), index, `${label}: rank ${from}`);
      const seen: string[] = [];
      map.walk(from, (k) => seen.push(k) < 20);
      assert.deepEqual(seen, sorted.slice(index, index + 20), `${label}: walk from ${from}`);
    }
  };
  // Sorted pages appended first (chunks with long common prefixes), then keys set and deleted
  // anywhere, and runs appended before, among and after what is held, so that prefixes shrink.
  const initial = [...new Set(Array.from({ length: 4000 }, key))].sort(byBytes);
  for (let i = 0; i < initial.length; i += 700) {
    const page = initial.slice(i, i + 700);
    map.append(
      page,
      page.map((k) => `${k}=0`),
    );
    for (const k of page) reference.set(k, `${k}=0`);
  }
  check('appended');
  for (let i = 0; i < 6000; i++) {
    const r = random();
    if (r < 0.25) {
      const k = key();
      assert.equal(map.delete(k), reference.delete(k), `delete ${k}`);
    } else if (r < 0.3) {
      const run = [...new Set(Array.from({ length: 1 + Math.floor(random() * 40) }, key))].sort(byBytes);
      map.append(
        run,
        run.map((k) => `${k}=${i}`),
      );
      for (const k of run) reference.set(k, `${k}=${i}`);
    } else {
      const k = key();
      assert.equal(map.set(k, `${k}=${i}`), !reference.has(k), `set ${k}`);
      reference.set(k, `${k}=${i}`);
    }
  }
  assert.ok(reference.has(''), 'the empty key is among them');
  check('mixed');
  for (const k of [...reference.keys()]) if (random() < 0.9) assert.equal(map.delete(k), reference.delete(k));
  check('thinned');
});

test("a chunk stores the bytes its keys share once; keys that don't share them shrink it", () => {
  const keyBytes = (map: SortedKeyMap): number =>
    (map as unknown as { chunks: Array<{ prefix: Buffer; keys: Buffer }> }).chunks.reduce(
      (n, c) => n + c.prefix.length + c.keys.length,
      0,
    );
  const keys = Array.from(
    { length: 3000 },
    (_, i) => `/skydns/local/cluster/svc/scale-1/svc-${String(i).padStart(5, '0')}`,
  );
  const map = new SortedKeyMap();
  map.append(
    keys,
    keys.map(() => ''),
  );
  // 3000 keys of 43 bytes sharing 38: 5 bytes each beyond a few prefixes.
  assert.ok(keyBytes(map) < 3000 * 5 + 6 * 43, `${keyBytes(map)} key bytes`);
  const others = [
    '',
    '/skydns',
    '/skydns/local/cluster/svc/scale-1/svc-01000é',
    '/skydns/local/cluster/svc/scale-1/svd',
    '/z',
  ];
  for (const k of others) map.set(k, k);
  const expected = [...keys, ...others].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(
    entries(map).map(([k]) => k),
    expected,
  );
  for (const k of others) assert.equal(map.get(k), k);
});
