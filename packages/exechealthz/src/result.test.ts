import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeResult, formatGoTime, healthzResponse, initialResult } from './result.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');
const later = (ms: number): Date => new Date(t0.getTime() + ms);

test('the initial state is healthy until -latency has passed', () => {
  const initial = initialResult(t0);
  assert.deepEqual(healthzResponse(initial, t0, 30_000), { status: 200, body: 'ok' });
  assert.deepEqual(healthzResponse(initial, later(30_000), 30_000), { status: 200, body: 'ok' });
  const stale = healthzResponse(initial, later(30_001), 30_000);
  assert.equal(stale.status, 503);
  assert.equal(
    stale.body,
    'Latest result too old to be useful: Result of last exec: , at 2026-01-02 03:04:05.678 +0000 UTC, error None.\n',
  );
});

test('a failed run answers 503 with the command output and error, whatever its age', () => {
  const failed = { output: "nslookup: can't resolve 'kubernetes.default'\n", error: 'exit status 1', at: t0 };
  const expected = {
    status: 503,
    body: "Healthz probe error: Result of last exec: nslookup: can't resolve 'kubernetes.default'\n, at 2026-01-02 03:04:05.678 +0000 UTC, error exit status 1\n",
  };
  assert.deepEqual(healthzResponse(failed, t0, 30_000), expected);
  assert.deepEqual(healthzResponse(failed, later(60_000), 30_000), expected);
});

test('a successful fresh run answers 200 ok', () => {
  assert.deepEqual(healthzResponse({ output: 'fine', error: null, at: t0 }, later(1_000), 30_000), {
    status: 200,
    body: 'ok',
  });
});

test('times and results print like the Go original', () => {
  assert.equal(formatGoTime(t0), '2026-01-02 03:04:05.678 +0000 UTC');
  assert.equal(
    describeResult({ output: 'x', error: null, at: t0 }),
    'Result of last exec: x, at 2026-01-02 03:04:05.678 +0000 UTC, error None',
  );
});
