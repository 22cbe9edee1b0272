import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOOKUP_LIMIT, MATCH_BUDGET, RecordTree, SCAN_BUDGET } from './tree.js';
import { seededRandom as rng } from '@kube-dns-legacy/testkit';

test('lookup: the subtree below a key, else the exact key; never a raw prefix', () => {
  const tree = new RecordTree();
  tree.set('/skydns/local/cluster/svc/default/my/a', { host: '10.0.0.1' });
  tree.set('/skydns/local/cluster/svc/default/my/_tcp/_http/b', { host: 'x.' });
  tree.set('/skydns/local/cluster/svc/default/my1/c', { host: '10.0.0.3' });
  tree.set('/skydns/local/cluster/svc/default/leaf', { host: '10.0.0.4' });
  const keys = (key: string): string[] | undefined => tree.lookup(key)?.map((r) => r.key);
  assert.deepEqual(keys('/skydns/local/cluster/svc/default/my'), [
    '/skydns/local/cluster/svc/default/my/_tcp/_http/b',
    '/skydns/local/cluster/svc/default/my/a',
  ]);
  assert.deepEqual(keys('/skydns/local/cluster/svc/default/leaf'), ['/skydns/local/cluster/svc/default/leaf']);
  assert.equal(keys('/skydns/local/cluster/svc/default/m'), undefined);
  assert.equal(keys('/skydns/local/cluster/svc/default/my/a/deeper'), undefined);
  assert.equal(tree.size, 4);
  // A value at a key that also has children: the children win (CoreDNS), the value is still exact.
  tree.set('/skydns/local/cluster/svc/default/my', { host: '10.0.0.9' });
  assert.equal(keys('/skydns/local/cluster/svc/default/my')?.length, 2);
  assert.equal(tree.exact('/skydns/local/cluster/svc/default/my')?.record.host, '10.0.0.9');
  assert.equal(tree.size, 5);
});

test('delete prunes empty branches; replacing a value does not change the size', () => {
  const tree = new RecordTree();
  tree.set('/skydns/a/b/c', { host: '10.0.0.1' });
  tree.set('/skydns/a/b/c', { host: '10.0.0.2' });
  assert.equal(tree.size, 1);
  assert.equal(tree.exact('/skydns/a/b/c')?.record.host, '10.0.0.2');
  assert.equal(tree.delete('/skydns/a/b'), false, 'no value there');
  assert.equal(tree.delete('/skydns/a/b/c'), true);
  assert.equal(tree.delete('/skydns/a/b/c'), false);
  assert.equal(tree.size, 0);
  assert.equal(tree.exists('/skydns/a'), false, 'branch pruned');
  assert.equal(tree.lookup('/skydns/a'), undefined);
  tree.set('/skydns/x/y', { host: '10.0.0.1' });
  tree.clear();
  assert.equal(tree.size, 0);
  assert.deepEqual(tree.entries(), []);
});

// Labels chosen so that siblings extend each other (`a`, `a-b`, `a.c`, `ab`): `-` and `.` sort before `/`.
const SEGMENTS = ['a', 'a-b', 'a.c', 'ab', 'b', '_tcp', 'x'];

function randomTree(seed: number, count: number): { tree: RecordTree; keys: Set<string> } {
  const random = rng(seed);
  const pick = (): string => SEGMENTS[Math.floor(random() * SEGMENTS.length)] as string;
  const tree = new RecordTree();
  const keys = new Set<string>();
  for (let i = 0; i < count; i++) {
    const depth = 1 + Math.floor(random() * 4);
    const key = `/skydns/${Array.from({ length: depth }, pick).join('/')}`;
    if (random() < 0.25 && keys.has(key)) {
      assert.equal(tree.delete(key), true);
      keys.delete(key);
    } else {
      tree.set(key, { host: `10.0.0.${i % 250}` });
      keys.add(key);
    }
  }
  return { tree, keys };
}

test('lookup agrees with a full sort of every key below the name (random trees, limits)', () => {
  for (const seed of [1, 2, 3]) {
    const { tree, keys } = randomTree(seed, 400);
    assert.equal(tree.size, keys.size);
    const sorted = [...keys].sort();
    const names = new Set([
      '/skydns',
      ...sorted.flatMap((k) =>
        k
          .split('/')
          .slice(2)
          .map((_, i, all) => `/skydns/${all.slice(0, i + 1).join('/')}`),
      ),
    ]);
    for (const name of names) {
      const below = sorted.filter((k) => k.startsWith(`${name}/`));
      const expected = below.length > 0 ? below : keys.has(name) ? [name] : undefined;
      assert.deepEqual(
        tree.lookup(name, Infinity)?.map((r) => r.key),
        expected,
        name,
      );
      assert.deepEqual(
        tree.lookup(name, 3)?.map((r) => r.key),
        expected?.slice(0, 3),
        `${name} limit 3`,
      );
      assert.equal(tree.exists(name), expected !== undefined, `exists ${name}`);
      assert.equal(tree.exists(`${name}-`), false);
    }
    assert.deepEqual(
      tree.entries().map((r) => r.key),
      sorted,
    );
  }
});

test('match agrees with filtering every key (random trees and patterns)', () => {
  const random = rng(11);
  for (const seed of [4, 5, 6]) {
    const { tree, keys } = randomTree(seed, 400);
    for (let i = 0; i < 200; i++) {
      const length = 2 + Math.floor(random() * 3);
      const pattern: (string | undefined)[] = ['skydns'];
      for (let j = 1; j < length; j++)
        pattern.push(random() < 0.5 ? undefined : SEGMENTS[Math.floor(random() * SEGMENTS.length)]);
      if (!pattern.includes(undefined)) pattern[length - 1] = undefined;
      const first = pattern.indexOf(undefined);
      const base = `/${pattern.slice(0, first).join('/')}`;
      const expected = [...keys].filter((k) => {
        const segments = k.split('/').slice(1);
        return segments.length >= pattern.length && pattern.every((p, j) => p === undefined || segments[j] === p);
      });
      const baseExists = [...keys].some((k) => k === base || k.startsWith(`${base}/`));
      const got = tree.match(pattern);
      const label = pattern.map((p) => p ?? '*').join('/');
      if (!baseExists) {
        assert.equal(got, undefined, label);
        continue;
      }
      assert.deepEqual(got?.map((r) => r.key).sort(), expected.sort(), label);
      assert.deepEqual(
        tree.match(pattern)?.map((r) => r.key),
        got?.map((r) => r.key),
        `${label}: deterministic`,
      );
      assert.deepEqual(
        tree.match(pattern, 2)?.map((r) => r.key),
        got?.slice(0, 2).map((r) => r.key),
        `${label}: limit 2`,
      );
    }
  }
});

/** Median and largest of `runs` timings of `f`, in ms. */
function timing(runs: number, f: () => void): { median: number; max: number } {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)] as number, max: times[runs - 1] as number };
}

test('a lookup looks at no more keys than it returns: 100,000 keys under one name, wildcards over a big tree', () => {
  const tree = new RecordTree();
  const huge = '/skydns/local/cluster/svc/default/huge';
  const hugeKeys = Array.from(
    { length: 100_000 },
    (_, i) => `${huge}/${(Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, '0')}`,
  );
  for (const key of hugeKeys) tree.set(key, { host: '10.0.0.1' });
  for (let ns = 0; ns < 50; ns++) {
    for (let s = 0; s < 200; s++) tree.set(`/skydns/local/cluster/svc/ns-${ns}/svc-${s}/c0ffee`, { host: '10.0.1.1' });
  }
  tree.set('/skydns/local/cluster/svc/ns-7/kubernetes/c0ffee', { host: '10.0.0.1' });
  const cost = (f: () => unknown): number => {
    const before = tree.examined;
    f();
    return tree.examined - before;
  };
  assert.equal(tree.lookup(huge)?.length, LOOKUP_LIMIT);
  assert.equal(
    cost(() => tree.lookup(huge)),
    LOOKUP_LIMIT,
  );
  assert.equal(
    cost(() => tree.lookup(huge, 10)),
    10,
  );
  assert.deepEqual(
    tree.lookup(huge, 5)?.map((r) => r.key),
    hugeKeys.sort().slice(0, 5),
    'the first keys in key order',
  );
  // `*.svc…` stops at the cap; `kubernetes.*.svc…` looks at two keys per namespace (51), not at every record.
  const all = ['skydns', 'local', 'cluster', 'svc', undefined];
  assert.equal(tree.match(all)?.length, LOOKUP_LIMIT);
  assert.ok(cost(() => tree.match(all)) <= LOOKUP_LIMIT + 10);
  const kubernetes = ['skydns', 'local', 'cluster', 'svc', undefined, 'kubernetes'];
  assert.deepEqual(
    tree.match(kubernetes)?.map((r) => r.key),
    ['/skydns/local/cluster/svc/ns-7/kubernetes/c0ffee'],
  );
  assert.ok(
    cost(() => tree.match(kubernetes)) <= 2 * 51 + 2,
    `kubernetes.*: ${cost(() => tree.match(kubernetes))} keys`,
  );
  // A sparse wildcard over a big tree gives up after MATCH_BUDGET steps.
  const sparse = ['skydns', 'local', 'cluster', 'svc', undefined, undefined, 'nothing'];
  assert.deepEqual(tree.match(sparse), []);
  assert.ok(cost(() => tree.match(sparse)) <= MATCH_BUDGET + 1);
  const one = timing(21, () => tree.lookup(huge));
  const wildcard = timing(21, () => tree.match(all));
  const sparseTime = timing(21, () => tree.match(sparse));
  console.log(
    `tree of ${tree.size} keys: lookup of a name with 100,000 keys below ${one.median.toFixed(2)} ms median (max ${one.max.toFixed(2)}); *.svc ${wildcard.median.toFixed(2)} ms (max ${wildcard.max.toFixed(2)}); sparse wildcard ${sparseTime.median.toFixed(2)} ms (max ${sparseTime.max.toFixed(2)})`,
  );
});

test('a decoded record is never served after its key changed (the decode cache follows every write)', () => {
  const tree = new RecordTree();
  const key = '/skydns/local/cluster/svc/default/web/a';
  tree.set(key, { host: '10.0.0.1' });
  assert.equal(tree.lookup('/skydns/local/cluster/svc/default/web')?.[0]?.record.host, '10.0.0.1');
  tree.setJson(key, '{"host":"10.0.0.2"}');
  assert.equal(tree.exact(key)?.record.host, '10.0.0.2');
  tree.appendJson([key, `${key}z`], ['{"host":"10.0.0.3"}', '{"host":"10.0.0.4"}']);
  assert.deepEqual(
    tree.lookup('/skydns/local/cluster/svc/default/web')?.map((r) => r.record.host),
    ['10.0.0.3', '10.0.0.4'],
  );
  tree.delete(key);
  assert.equal(tree.exact(key), undefined);
  const other = new RecordTree();
  other.set(key, { host: '10.0.0.5' });
  tree.replaceWith(other);
  assert.equal(tree.exact(key)?.record.host, '10.0.0.5');
  assert.equal(other.size, 0);
  for (let i = 0; i < 5000; i++) tree.set(`${key}/${i}`, { host: `10.1.${i >> 8}.${i & 255}` });
  assert.equal(tree.lookup(key, 5000)?.length, 5000, 'more records than the cache holds');
  assert.equal(tree.exact(`${key}/4999`)?.record.host, '10.1.19.135');
});

test('select: the cap counts only the records the question takes; a capped selection starts at a random accepted record', () => {
  const tree = new RecordTree();
  const base = '/skydns/local/cluster/svc/default/web';
  // 300 addresses and 900 SRV leaves sorting before most of them (`_` before letters).
  const addresses: string[] = [];
  for (let i = 0; i < 300; i++) {
    const label = i % 2 === 0 ? `h${String(i).padStart(3, '0')}` : String(i).padStart(3, '0');
    tree.set(`${base}/${label}`, { host: `10.0.${i >> 8}.${i & 255}` });
    addresses.push(`${base}/${label}`);
    for (const port of ['a', 'b', 'c']) tree.set(`${base}/_tcp/_${port}/${label}`, { host: `${label}.web.`, port: 80 });
  }
  tree.set('/skydns/local/cluster/svc/default/web0/x', { host: '10.9.9.9' });
  addresses.sort();
  const isAddress = (r: { host?: string }): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(r.host ?? '');
  assert.equal(tree.countBelow(base), 1200);
  assert.equal(tree.countBelow(`${base}/`), 1200);
  assert.equal(tree.countBelow(`${base}/h000`), 0);
  // Uncapped: every address, in key order.
  const all = tree.select(base, isAddress, 300);
  assert.equal(all?.capped, false);
  assert.deepEqual(
    all?.records.map((r) => r.key),
    addresses,
  );
  // Capped at 100: 100 addresses, flagged, a run starting at a random address; each is kept sometimes.
  const seen = new Set<string>();
  const firsts = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const some = tree.select(base, isAddress, 100);
    assert.equal(some?.capped, true);
    assert.equal(some?.records.length, 100);
    assert.ok(some?.records.every((r) => isAddress(r.record)));
    for (const r of some?.records ?? []) seen.add(r.key);
    firsts.add(some?.records[0]?.key ?? '');
  }
  assert.equal(seen.size, 300, 'no address always left out');
  assert.ok(firsts.size > 5);
  // A leaf: the exact record when taken; nothing stored: undefined.
  assert.deepEqual(
    tree.select(`${base}/h000`, isAddress)?.records.map((r) => r.key),
    [`${base}/h000`],
  );
  assert.deepEqual(tree.select(`${base}/_tcp/_a/h000`, isAddress), { records: [], capped: false });
  assert.equal(tree.select(`${base}/none`, isAddress), undefined);
  // matchSelect says when it stopped early.
  const star = ['skydns', 'local', 'cluster', 'svc', 'default', undefined];
  assert.equal(tree.matchSelect(star, isAddress, 1000)?.capped, false);
  assert.equal(tree.matchSelect(star, isAddress, 1000)?.records.length, 301);
  assert.equal(tree.matchSelect(star, isAddress, 301)?.capped, false);
  assert.equal(tree.matchSelect(star, isAddress, 300)?.capped, true);
  assert.equal(tree.matchSelect(star, undefined, 1000)?.capped, true);
  // The scan budget: a subtree with no record taken stops after SCAN_BUDGET keys, capped.
  const big = '/skydns/local/cluster/svc/default/big';
  for (let i = 0; i < SCAN_BUDGET + 100; i++) tree.set(`${big}/_tcp/_a/${i}`, { host: 'x.', port: 1 });
  const before = tree.examined;
  assert.deepEqual(tree.select(big, isAddress), { records: [], capped: true });
  assert.ok(tree.examined - before <= SCAN_BUDGET);
  assert.equal(tree.matchSelect(star, isAddress, 1000)?.capped, true, 'out of scan budget in big');
});
