import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '@kube-dns-legacy/processkit';
import { RecordTable, valueHash, wantedValue, type Slot } from './record-table.js';

const m = (...pairs: Array<[string, string]>): Map<string, string> => new Map(pairs);
const keys = (slots: readonly Slot[]): string[] => slots.map((s) => s.key).sort();

test('set reports only changed keys; a no-op update reports none', () => {
  const d = new RecordTable();
  assert.deepEqual(keys(d.set('svc/a', m(['k1', 'v1'], ['k2', 'v2']))), ['k1', 'k2']);
  assert.deepEqual(d.set('svc/a', m(['k1', 'v1'], ['k2', 'v2'])), []);
  assert.deepEqual(keys(d.set('svc/a', m(['k1', 'v1b'], ['k3', 'v3']))), ['k1', 'k2', 'k3']);
  assert.equal(d.get('k1'), 'v1b');
  assert.equal(d.get('k2'), undefined);
  assert.equal(d.size, 2);
  assert.deepEqual(keys(d.delete('svc/a')), ['k1', 'k3']);
  assert.equal(d.size, 0);
});

test('shared keys are reference counted; the smallest owner id decides the value', () => {
  const d = new RecordTable();
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
  d.delete('svc/ns/mid');
  assert.equal(d.get('ptr'), 'zeta');
  assert.equal(d.size, 1);
});

test("one slot per key holds the wanted value and the hash of etcd's; forgetting etcd drops unwanted slots", () => {
  const d = new RecordTable();
  const [slot] = d.set('svc/a', m(['k1', 'v1']));
  d.observe('k1', valueHash('v1'));
  d.observe('stale', valueHash('x'));
  assert.equal(slot?.have, valueHash('v1'));
  assert.ok(Number.isInteger(slot?.have) && (slot?.have ?? 0) < 2 ** 31, 'hashes are small integers');
  assert.equal(valueHash('a') >>> 0, 0xe40c292c, 'FNV-1a (the published value for "a")');
  assert.notEqual(valueHash('{"host":"10.0.0.1"}'), valueHash('{"host":"10.0.0.2"}'));
  assert.deepEqual(
    [...d.slots()].map((s) => [s.key, wantedValue(s), s.have]),
    [
      ['k1', 'v1', valueHash('v1')],
      ['stale', undefined, valueHash('x')],
    ],
  );
  assert.equal(d.size, 1, 'a key only etcd holds is not wanted');
  d.forgetEtcd();
  assert.deepEqual(
    [...d.slots()].map((s) => [s.key, s.have]),
    [['k1', undefined]],
  );
  d.delete('svc/a');
  assert.equal([...d.slots()].length, 1, 'kept until the reconciler prunes it');
  d.prune(slot as Slot);
  assert.equal([...d.slots()].length, 0);
});

test('values come back exactly as given, whatever their shape', () => {
  const d = new RecordTable();
  const values = [
    '{"host":"10.0.0.1","priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    '{"host":"web-0.web.default.svc.cluster.local.","port":8080,"priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    '{"text":"1.1.0","ttl":28800,"targetstrip":0}',
    '{,"priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    ',"priority":10,"weight":10,"ttl":30,"targetstrip":0}',
    '"host":"x"',
    '\u0000odd',
    'π ünïcödé {',
    '',
  ];
  values.forEach((v, i) => d.set(`svc/${i}`, m([`k${i}`, v])));
  assert.deepEqual(
    values.map((_, i) => d.get(`k${i}`)),
    values,
  );
  assert.deepEqual(d.set('svc/0', m(['k0', values[0] as string])), [], 'the same value again is no change');
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
