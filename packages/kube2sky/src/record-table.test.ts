import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '@kube-dns-legacy/processkit';
import { abbreviationsFor, RecordTable, type Slot, valueHash } from './record-table.js';
import { hostValue, srvValue } from './records/names.js';

const m = (...pairs: Array<[string, string]>): Map<string, string> => new Map(pairs);
const ctx = { domain: 'cluster.local.', prefix: 'skydns' };

/** The tables tried by each test: without abbreviations, and with kube2sky's. */
const tables = (): RecordTable[] => [new RecordTable(), new RecordTable(abbreviationsFor(ctx))];

test('set reports only changed keys; a no-op update reports none', () => {
  for (const d of tables()) {
    const keys = (slots: readonly Slot[]): string[] => slots.map((s) => d.key(s)).sort();
    assert.deepEqual(keys(d.set('svc/a', m(['k1', 'v1'], ['k2', 'v2']))), ['k1', 'k2']);
    assert.deepEqual(d.set('svc/a', m(['k1', 'v1'], ['k2', 'v2'])), []);
    assert.deepEqual(keys(d.set('svc/a', m(['k1', 'v1b'], ['k3', 'v3']))), ['k1', 'k2', 'k3']);
    assert.equal(d.get('k1'), 'v1b');
    assert.equal(d.get('k2'), undefined);
    assert.equal(d.size, 2);
    assert.deepEqual([...d.owners()], ['svc/a']);
    assert.deepEqual(keys(d.delete('svc/a')), ['k1', 'k3']);
    assert.equal(d.size, 0);
    assert.deepEqual([...d.owners()], []);
    assert.deepEqual(d.delete('svc/never'), []);
  }
});

test('shared keys are reference counted; the smallest owner id decides the value', () => {
  for (const d of tables()) {
    d.set('pod/ns/b', m(['ip', 'v']));
    d.set('pod/ns/a', m(['ip', 'v']));
    d.delete('pod/ns/b');
    assert.equal(d.get('ip'), 'v', 'still wanted by pod a');
    d.delete('pod/ns/a');
    assert.equal(d.get('ip'), undefined);

    d.set('svc/ns/zeta', m(['ptr', 'zeta']));
    d.set('svc/ns/alpha', m(['ptr', 'alpha']));
    d.set('svc/ns/mid', m(['ptr', 'mid']));
    assert.equal(d.get('ptr'), 'alpha');
    d.delete('svc/ns/alpha');
    assert.equal(d.get('ptr'), 'mid');
    d.set('svc/ns/mid', m(['ptr', 'mid2']));
    assert.equal(d.get('ptr'), 'mid2', 'the winner changes its value');
    d.set('svc/ns/zeta', m(['ptr', 'zeta2']));
    assert.equal(d.get('ptr'), 'mid2', 'a loser changes its value');
    d.delete('svc/ns/mid');
    assert.equal(d.get('ptr'), 'zeta2');
    assert.equal(d.size, 1);
    assert.deepEqual([...d.owners()], ['svc/ns/zeta']);
  }
});

test("one slot per key holds the wanted value and the hash of etcd's; forgetting etcd drops unwanted slots", () => {
  for (const d of tables()) {
    const [slot] = d.set('svc/a', m(['k1', 'v1'])) as [Slot];
    d.observe('k1', valueHash('v1'));
    d.observe('stale', valueHash('x'));
    assert.equal(d.have(slot), valueHash('v1'));
    assert.ok(Number.isInteger(d.have(slot)) && (d.have(slot) ?? 0) < 2 ** 31, 'hashes are small integers');
    assert.equal(valueHash('a') >>> 0, 0xe40c292c, 'FNV-1a (the published value for "a")');
    assert.notEqual(valueHash('{"host":"10.0.0.1"}'), valueHash('{"host":"10.0.0.2"}'));
    const view = (): Array<[string, string | undefined, number | undefined]> =>
      [...d.slots()].map((s) => [d.key(s), d.wantedValue(s), d.have(s)]);
    assert.deepEqual(view(), [
      ['k1', 'v1', valueHash('v1')],
      ['stale', undefined, valueHash('x')],
    ]);
    assert.equal(d.wantedHash(slot), valueHash('v1'));
    assert.equal(d.size, 1, 'a key only etcd holds is not wanted');
    d.setHave(slot, undefined);
    assert.equal(d.have(slot), undefined);
    d.setHave(slot, 7);
    assert.equal(d.have(slot), 7);
    d.forgetEtcd();
    assert.deepEqual(view(), [['k1', 'v1', undefined]]);
    d.delete('svc/a');
    assert.equal([...d.slots()].length, 1, 'kept until the reconciler prunes it');
    d.observe('k1', 5);
    d.prune(slot);
    assert.equal([...d.slots()].length, 1, 'etcd still holds it');
    d.setHave(slot, undefined);
    d.prune(slot);
    assert.equal([...d.slots()].length, 0);
    d.prune(slot);
    d.prune(12345);
    assert.equal(d.wantedValue(slot), undefined, 'a handle to a dropped key wants nothing');
    assert.equal(d.wantedHash(slot), undefined);
    assert.equal(d.have(slot), undefined);
  }
});

const TAIL = hostValue('x').slice('{"host":"x"'.length);
const VALUES = [
  hostValue('10.0.0.1'),
  srvValue('web-0.web.default.svc.cluster.local.', 8080),
  srvValue('x.svc.cluster.local.svc.cluster.local.', 1),
  hostValue('a.svc.cluster.local."'),
  hostValue('"host":"'),
  hostValue(''),
  '{"text":"1.1.0","ttl":28800,"targetstrip":0}',
  `{${TAIL}`,
  TAIL,
  `{"host":"x.svc.cluster.local.${TAIL}`,
  '"host":"x"',
  '\u0000odd',
  'π ünïcödé {',
  `{"host":"π"${TAIL}`,
  '\ud800 lone surrogate',
  '',
  '{',
  '\u00ff\u00fe',
];

test('values come back exactly as given, whatever their shape', () => {
  for (const d of tables()) {
    VALUES.forEach((v, i) => d.set(`svc/${i}`, m([`k${i}`, v])));
    assert.deepEqual(
      VALUES.map((_, i) => d.get(`k${i}`)),
      VALUES,
    );
    for (const slot of d.slots()) assert.equal(d.wantedHash(slot), valueHash(d.wantedValue(slot) as string));
    VALUES.forEach((v, i) =>
      assert.deepEqual(d.set(`svc/${i}`, m([`k${i}`, v])), [], `${JSON.stringify(v)} again is no change`),
    );
    VALUES.forEach((v, i) =>
      assert.equal(d.set(`svc/${i}`, m([`k${i}`, `${v} `])).length, 1, `${JSON.stringify(v)} changed is a change`),
    );
  }
});

test('keys and owner ids come back exactly as given, whatever their shape', () => {
  const keys = [
    '/skydns/local/cluster/svc/default/kubernetes/c88f1059',
    '/skydns/local/cluster/pod/ns/10-0-0-1/c88f1059',
    '/skydns/arpa/in-addr/10/0/0/1',
    '/skydns/local/cluster/svc/',
    '/skydns/local/cluster/svc',
    '/skydns/local/cluster/svc/π',
    '/skydns/local/cluster/dns-version/x',
    '\u0080local/cluster/svc/x',
    '\ud800',
    'x',
    '',
  ];
  for (const d of tables()) {
    keys.forEach((key, i) => d.set(`svc/ns/${i}${i % 2 === 0 ? 'ü' : ''}`, m([key, `v${i}`])));
    assert.deepEqual(
      [...d.slots()].map((s) => d.key(s)),
      keys,
    );
    assert.deepEqual(
      keys.map((key) => d.get(key)),
      keys.map((_, i) => `v${i}`),
    );
    assert.deepEqual(
      [...d.owners()],
      keys.map((_, i) => `svc/ns/${i}${i % 2 === 0 ? 'ü' : ''}`),
    );
    assert.equal(d.get('/skydns/local/cluster/svc/x'), undefined, 'not the same as \\u0080local/cluster/svc/x');
  }
  assert.throws(() => new RecordTable({ keyPrefixes: ['π'], valueParts: [] }), /not ASCII/);
  assert.throws(() => new RecordTable({ keyPrefixes: [], valueParts: [''] }), /not ASCII/);
});

/** The table as it was (issue 17): one Map entry per key and per owner, values as given. */
class MapModel {
  private readonly claims = new Map<string, Map<string, string>>();
  private readonly haves = new Map<string, number>();
  private readonly byOwner = new Map<string, string[]>();

  set(owner: string, records: ReadonlyMap<string, string>): string[] {
    const changed = new Set<string>();
    for (const key of this.byOwner.get(owner) ?? [])
      if (records.get(key) !== this.claims.get(key)?.get(owner)) {
        this.claims.get(key)?.delete(owner);
        changed.add(key);
      }
    for (const [key, value] of records) {
      const claims = this.claims.get(key) ?? new Map<string, string>();
      this.claims.set(key, claims);
      if (claims.get(owner) !== value) {
        claims.set(owner, value);
        changed.add(key);
      }
    }
    if (records.size === 0) this.byOwner.delete(owner);
    else this.byOwner.set(owner, [...records.keys()]);
    return [...changed].sort();
  }

  get(key: string): string | undefined {
    const claims = this.claims.get(key);
    if (claims === undefined || claims.size === 0) return undefined;
    // The default sort compares UTF-16 code units, as `<` does.
    return claims.get([...claims.keys()].sort()[0] as string);
  }

  have(key: string): number | undefined {
    return this.haves.get(key);
  }

  forgetKey(key: string): void {
    this.haves.delete(key);
  }

  observe(key: string, hash: number): void {
    this.claims.set(key, this.claims.get(key) ?? new Map());
    this.haves.set(key, hash);
  }

  forgetEtcd(): void {
    this.haves.clear();
    for (const key of [...this.claims.keys()]) this.prune(key);
  }

  prune(key: string): void {
    if (this.get(key) === undefined && !this.haves.has(key)) this.claims.delete(key);
  }

  keys(): string[] {
    return [...this.claims.keys()].sort();
  }

  owners(): string[] {
    return [...this.byOwner.keys()].sort();
  }

  get size(): number {
    return this.keys().filter((key) => this.get(key) !== undefined).length;
  }
}

/** A small deterministic random number generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Many random set/delete/observe/forgetEtcd/prune operations on `table` and the model: the same answers all along. */
function churn(table: RecordTable, seed: number, operations: number, keyCount: number, ownerCount: number): void {
  const model = new MapModel();
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const keys = Array.from({ length: keyCount }, (_, i) =>
    pick([
      `/skydns/local/cluster/svc/ns-${i % 7}/svc-${i}/_tcp/_http/${(i * 2654435761) >>> 0}`,
      `/skydns/local/cluster/pod/ns-${i % 7}/10-0-${i >> 8}-${i & 255}/c88f1059`,
      `/skydns/arpa/in-addr/10/0/${i >> 8}/${i & 255}`,
      `/other/${i}/é`,
      `k${i}`,
    ]),
  );
  const owners = Array.from({ length: ownerCount }, (_, i) => pick([`svc/ns/${i}`, `pod/ns/${i}`, `svc/ü/${i}`]));
  const value = (): string =>
    next() < 0.8
      ? pick([
          hostValue(`10.0.0.${Math.floor(next() * 4)}`),
          srvValue(`s${Math.floor(next() * 3)}.ns.svc.cluster.local.`, 80),
        ])
      : pick(VALUES);
  const slotOf = (key: string): Slot | undefined => [...table.slots()].find((s) => table.key(s) === key);
  for (let op = 0; op < operations; op++) {
    const roll = next();
    if (roll < 0.5) {
      const owner = pick(owners);
      const records = new Map<string, string>();
      const n = next() < 0.3 ? 1 : Math.floor(next() * 6);
      for (let i = 0; i < n; i++) records.set(pick(keys), value());
      assert.deepEqual(
        table
          .set(owner, records)
          .map((s) => table.key(s))
          .sort(),
        model.set(owner, records),
        `op ${op}: set ${owner}`,
      );
    } else if (roll < 0.6) {
      const owner = pick(owners);
      assert.deepEqual(
        table
          .delete(owner)
          .map((s) => table.key(s))
          .sort(),
        model.set(owner, new Map()),
        `op ${op}: delete ${owner}`,
      );
    } else if (roll < 0.8) {
      const key = pick(keys);
      const hash = Math.floor(next() * 2 ** 32) | 0;
      table.observe(key, hash);
      model.observe(key, hash);
    } else if (roll < 0.82) {
      table.forgetEtcd();
      model.forgetEtcd();
    } else {
      const key = pick(keys);
      const slot = slotOf(key);
      if (slot !== undefined) {
        if (next() < 0.5) {
          // What the reconciler does after deleting a key from etcd.
          table.setHave(slot, undefined);
          model.forgetKey(key);
        }
        table.prune(slot);
      }
      model.prune(key);
    }
    if (op % 50 === 0 || op === operations - 1) {
      assert.deepEqual([...table.slots()].map((s) => table.key(s)).sort(), model.keys(), `op ${op}: keys`);
      for (const slot of table.slots()) {
        const key = table.key(slot);
        assert.equal(table.wantedValue(slot), model.get(key), `op ${op}: value of ${key}`);
        assert.equal(table.get(key), model.get(key));
        const want = model.get(key);
        assert.equal(table.wantedHash(slot), want === undefined ? undefined : valueHash(want));
        assert.equal(table.have(slot), model.have(key), `op ${op}: have of ${key}`);
      }
      assert.deepEqual([...table.owners()].sort(), model.owners(), `op ${op}: owners`);
      assert.equal(table.size, model.size, `op ${op}: size`);
    }
  }
}

test('random operations give the same answers as a Map-based table', () => {
  for (let seed = 1; seed <= 6; seed++) {
    churn(new RecordTable(), seed, 1_500, 40, 12);
    churn(new RecordTable(abbreviationsFor(ctx)), seed, 1_500, 40, 12);
  }
});

test('the arena is compacted and the hash chains grow under churn, answers unchanged', () => {
  const table = new RecordTable(abbreviationsFor(ctx));
  const arena = (): unknown => (table as unknown as { arena: unknown }).arena;
  const first = arena();
  churn(table, 99, 6_000, 3_000, 400);
  assert.notEqual(arena(), first, 'compacted at least once');
  assert.ok((table as unknown as { slotBuckets: Int32Array }).slotBuckets.length >= 1024, 'the slot chains grew');
});

test('back-off grows, is capped and jittered into [half, full]', () => {
  assert.equal(
    backoffDelay(0, 100, 5000, () => 1),
    100,
  );
  assert.equal(
    backoffDelay(0, 100, 5000, () => 0),
    50,
  );
  assert.equal(
    backoffDelay(3, 100, 5000, () => 1),
    800,
  );
  assert.equal(
    backoffDelay(20, 100, 5000, () => 1),
    5000,
  );
  assert.equal(
    backoffDelay(1000, 100, 5000, () => 0),
    2500,
  );
});
