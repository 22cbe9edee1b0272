import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff.js';
import { DesiredState } from './desired.js';

const m = (...pairs: Array<[string, string]>): Map<string, string> => new Map(pairs);

test('set reports only changed keys; a no-op update reports none', () => {
  const d = new DesiredState();
  assert.deepEqual(d.set('svc/a', m(['k1', 'v1'], ['k2', 'v2'])).sort(), ['k1', 'k2']);
  assert.deepEqual(d.set('svc/a', m(['k1', 'v1'], ['k2', 'v2'])), []);
  assert.deepEqual(d.set('svc/a', m(['k1', 'v1b'], ['k3', 'v3'])).sort(), ['k1', 'k2', 'k3']);
  assert.equal(d.get('k1'), 'v1b');
  assert.equal(d.get('k2'), undefined);
  assert.deepEqual([...d.keys()].sort(), ['k1', 'k3']);
  assert.deepEqual(d.delete('svc/a').sort(), ['k1', 'k3']);
  assert.equal(d.size, 0);
});

test('shared keys are reference counted; the smallest owner id decides the value', () => {
  const d = new DesiredState();
  d.set('pod/ns/b', m(['ip', 'v']));
  d.set('pod/ns/a', m(['ip', 'v']));
  d.delete('pod/ns/b');
  assert.equal(d.get('ip'), 'v', 'still wanted by pod a');
  d.delete('pod/ns/a');
  assert.equal(d.get('ip'), undefined);

  d.set('svc/ns/zeta', m(['ptr', 'zeta']));
  d.set('svc/ns/alpha', m(['ptr', 'alpha']));
  assert.equal(d.get('ptr'), 'alpha');
  d.delete('svc/ns/alpha');
  assert.equal(d.get('ptr'), 'zeta');
});

test('back-off grows, is capped and jittered into [half, full]', () => {
  assert.equal(backoffDelay(0, 100, 5000, () => 1), 100);
  assert.equal(backoffDelay(0, 100, 5000, () => 0), 50);
  assert.equal(backoffDelay(3, 100, 5000, () => 1), 800);
  assert.equal(backoffDelay(20, 100, 5000, () => 1), 5000);
  assert.equal(backoffDelay(1000, 100, 5000, () => 0), 2500);
});
