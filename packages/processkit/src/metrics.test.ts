import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Counter, Registry, collectDefaultMetrics } from './metrics.js';

const loaded = (part: string): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(part));

test("default metrics: prom-client's families, help and order, with working CPU counters, and the OpenTelemetry API never loaded", async () => {
  const ours = new Registry();
  collectDefaultMetrics({ register: ours, prefix: 'p_' });
  new Counter({ name: 'p_own_total', help: 'One of our own.', registers: [ours] }).inc(2);
  const burn = Date.now() + 30;
  while (Date.now() < burn); // some CPU time for the counters
  const text = await ours.metrics();
  assert.equal(loaded('@opentelemetry'), false, 'the OpenTelemetry API was loaded');
  assert.ok(loaded('prom-client'));
  const cpu = Number(/^p_process_cpu_seconds_total (\S+)$/m.exec(text)?.[1]);
  const user = Number(/^p_process_cpu_user_seconds_total (\S+)$/m.exec(text)?.[1]);
  const system = Number(/^p_process_cpu_system_seconds_total (\S+)$/m.exec(text)?.[1]);
  assert.ok(cpu >= 0.03 && user > 0, text);
  assert.ok(Math.abs(cpu - user - system) < 1e-6);
  assert.match(text, /^p_own_total 2$/m);

  const prom = await import('prom-client');
  const theirs = new prom.Registry();
  prom.collectDefaultMetrics({ register: theirs, prefix: 'p_' });
  const comments = (t: string): string[] => t.split('\n').filter((l) => l.startsWith('# '));
  const expected = comments(await theirs.metrics());
  assert.ok(expected.length > 20);
  assert.deepEqual(
    comments(text).filter((l) => !l.includes('p_own_total')),
    expected,
  );
});
