import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@kube-dns-legacy/testkit';
import { ExecWorker } from './worker.js';
import type { RunOutcome } from './runner.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'exechealthz-'));
}

test('the first run happens one period after start, then results follow the command', async () => {
  const dir = tempDir();
  const flag = join(dir, 'healthy');
  const outcomes: RunOutcome[] = [];
  const worker = new ExecWorker({
    cmd: `test -f ${flag}`,
    periodMs: 400,
    timeoutMs: 5_000,
    onRun: (o) => outcomes.push(o),
  });
  try {
    const startedAt = Date.now();
    worker.start();
    const initial = worker.result;
    assert.equal(initial.error, null);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(outcomes.length, 0, 'no run before one period');
    assert.equal(worker.result, initial);

    await waitFor('a failed run', () => worker.result.error === 'exit status 1', 5_000);
    assert.ok(Date.now() - startedAt >= 400);

    writeFileSync(flag, '');
    await waitFor('a successful run', () => worker.result.error === null, 5_000);
    assert.ok(worker.result.at.getTime() > initial.at.getTime());
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runs never overlap; a command slower than the period runs back to back', async () => {
  const dir = tempDir();
  const log = join(dir, 'log');
  const cmd = `echo start $(date +%s%N) >> ${log}; sleep 0.3; echo end $(date +%s%N) >> ${log}`;
  const worker = new ExecWorker({ cmd, periodMs: 50, timeoutMs: 5_000 });
  try {
    worker.start();
    await waitFor('four finished runs', () => (readFileSync(log, 'utf8').match(/^end/gm)?.length ?? 0) >= 4, 10_000);
    await worker.stop();
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')) as Array<[string, string]>;
    lines.forEach(([kind], i) =>
      assert.equal(kind, i % 2 === 0 ? 'start' : 'end', `line ${i} of ${JSON.stringify(lines)}`),
    );
    for (let i = 2; i < lines.length; i += 2) {
      const gapMs = (Number(lines[i]?.[1]) - Number(lines[i - 1]?.[1])) / 1e6;
      assert.ok(gapMs >= 0 && gapMs < 250, `gap between runs ${gapMs} ms`);
    }
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a command that hangs is killed at the latency bound and counts as a failure', async () => {
  const worker = new ExecWorker({ cmd: 'sleep 29.73', periodMs: 50, timeoutMs: 300 });
  try {
    worker.start();
    const failed = await waitFor(
      'the hung run to be killed',
      () => (worker.result.error !== null ? worker.result : undefined),
      5_000,
    );
    assert.match(failed.error ?? '', /^signal: SIGKILL \(still running after 300ms/);
  } finally {
    await worker.stop();
  }
});

test('stop() kills a run in progress and schedules nothing more', async () => {
  const outcomes: RunOutcome[] = [];
  const worker = new ExecWorker({
    cmd: 'sleep 29.74',
    periodMs: 20,
    timeoutMs: 60_000,
    onRun: (o) => outcomes.push(o),
  });
  worker.start();
  await new Promise((r) => setTimeout(r, 200));
  const began = Date.now();
  await worker.stop();
  assert.ok(Date.now() - began < 2_000, 'stop did not wait for the sleep');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(outcomes.length, 0);
});
