import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { MAX_OUTPUT_BYTES, runCommand } from './runner.js';

test('true succeeds with no error', async () => {
  const { result, timedOut } = await runCommand('true', 5_000).done;
  assert.equal(result.error, null);
  assert.equal(result.output, '');
  assert.equal(timedOut, false);
});

test('a failing command reports its exit status and combined output', async () => {
  const { result } = await runCommand('echo out; echo err >&2; exit 3', 5_000).done;
  assert.equal(result.error, 'exit status 3');
  assert.match(result.output, /out\n/);
  assert.match(result.output, /err\n/);
});

test('false fails with exit status 1', async () => {
  const { result } = await runCommand('false', 5_000).done;
  assert.equal(result.error, 'exit status 1');
});

test('a hanging command is killed at the bound, with the processes it started', async () => {
  const marker = `exechealthz-test-${process.pid}-${Date.now()}`;
  const started = Date.now();
  const { result, timedOut, durationMs } = await runCommand(`sleep 29.71 & echo ${marker}; sleep 29.72`, 300).done;
  assert.equal(timedOut, true);
  assert.match(result.error ?? '', /^signal: SIGKILL \(still running after 300ms/);
  assert.match(result.output, new RegExp(marker));
  assert.ok(durationMs >= 300 && Date.now() - started < 5_000, `took ${durationMs} ms`);
  const left = execFileSync('sh', ['-c', 'ps -eo args | grep -c "^sleep 29\\.7[12]$" || true'], {
    encoding: 'utf8',
  }).trim();
  assert.equal(left, '0', 'the sleeps were killed with the shell');
});

test('kill() stops a running command', async () => {
  const running = runCommand('sleep 30', 60_000);
  setTimeout(() => running.kill(), 50);
  const { result } = await running.done;
  assert.equal(result.error, 'signal: SIGKILL');
});

test('huge output is truncated, not buffered without bound', async () => {
  const { result } = await runCommand(`head -c ${MAX_OUTPUT_BYTES * 4} /dev/zero | tr '\\0' x`, 10_000).done;
  assert.equal(result.error, null);
  assert.ok(result.output.length < MAX_OUTPUT_BYTES + 100, `length ${result.output.length}`);
  assert.match(result.output, /\[output truncated at 65536 bytes\]$/);
});
