import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@kube-dns-legacy/processkit';
import { WarnLimiter } from './warn-limiter.js';

test('at most perWindow warnings per window; the next window first says how many were left out', () => {
  const logger = createLogger('kube2sky', 'warn');
  const lines: Array<{ message: string; suppressed?: number }> = [];
  logger.warn = ((message: string, meta: { suppressed?: number }) => {
    lines.push({ message, ...(meta.suppressed === undefined ? {} : { suppressed: meta.suppressed }) });
    return logger;
  }) as typeof logger.warn;
  let now = 1_000;
  const limiter = new WarnLimiter(logger, { perWindow: 3, windowMs: 10_000 }, () => now);
  for (let i = 0; i < 10; i++) limiter.warn(`bad ${i}`, {});
  assert.deepEqual(
    lines.map((l) => l.message),
    ['bad 0', 'bad 1', 'bad 2'],
  );
  now += 9_999;
  limiter.warn('still the same window', {});
  assert.equal(lines.length, 3);
  now += 1;
  limiter.warn('next window', {});
  assert.deepEqual(lines.slice(3), [
    { message: 'warnings left out of the log (rate limit); the metric counts them all', suppressed: 8 },
    { message: 'next window' },
  ]);
});
