import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, freePort, reachByBindAddress, waitFor } from '@kube-dns-legacy/testkit';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function start(args: string[]): ManagedProcess {
  return new ManagedProcess('exechealthz', process.execPath, [MAIN, ...args]);
}

/** The JSON log lines with `message`, parsed. */
function logs(proc: ManagedProcess, message: string): Array<Record<string, unknown>> {
  return proc.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry['message'] === message);
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

test('--help prints the usage and exits 0', async () => {
  const proc = start(['--help']);
  assert.equal(await proc.exited, 0);
  assert.match(proc.output, /Usage: exechealthz/);
  assert.match(proc.output, /--latency/);
});

test('--version and -version print the version and exit 0, even beside other flags', async () => {
  for (const args of [['--version'], ['-version'], ['-port=1', '--version']]) {
    const proc = start(args);
    assert.equal(await proc.exited, 0, args.join(' '));
    assert.match(proc.output, /^exechealthz version: \d+\.\d+\.\d+ \(kube-dns-legacy\)\n$/, args.join(' '));
  }
});

test('-bind-address: every interface by default, loopback only with 127.0.0.1', async () => {
  const reach = await reachByBindAddress([undefined, '127.0.0.1'], '/healthz', /serving \/healthz/, (port, bind) =>
    start(['-cmd=true', `-port=${port}`, ...(bind === undefined ? [] : [`-bind-address=${bind}`])]),
  );
  assert.deepEqual(reach, {
    default: { loopback: true, outside: true },
    '127.0.0.1': { loopback: true, outside: false },
  });
});

test('a bad flag exits 2 with a clear message', async () => {
  const proc = start(['-period=soon']);
  assert.equal(await proc.exited, 2);
  assert.match(proc.output, /exechealthz: invalid -period: invalid duration "soon"/);
});

test('/healthz follows the command: ok, then 503 with its output, then ok again; SIGTERM exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exechealthz-main-'));
  const failFlag = join(dir, 'fail');
  const port = await freePort();
  const proc = start([`-cmd=echo checked; test ! -f ${failFlag}`, `-port=${port}`, '-period=100ms', '-latency=5s']);
  try {
    await proc.waitForOutput(/serving \/healthz/);
    assert.deepEqual(await get(port, '/healthz'), { status: 200, body: 'ok' });

    writeFileSync(failFlag, '');
    const failing = await waitFor('503 from /healthz', async () => {
      const answer = await get(port, '/healthz');
      return answer.status === 503 ? answer : undefined;
    });
    assert.match(
      failing.body,
      /^Healthz probe error: Result of last exec: checked\n, at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0000 UTC, error exit status 1\n$/,
    );
    const failLog = await waitFor('the failure logged', () => logs(proc, 'probe command failing')[0]);
    assert.deepEqual([failLog['level'], failLog['error'], failLog['output']], ['warn', 'exit status 1', 'checked\n']);

    unlinkSync(failFlag);
    await waitFor('200 again', async () => (await get(port, '/healthz')).status === 200);
    await waitFor('the recovery logged', () => logs(proc, 'probe command succeeding again').length === 1);

    const index = await get(port, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /href="\/healthz"/);
    assert.equal((await get(port, '/quit')).status, 404, 'no unauthenticated /quit');
    assert.ok(proc.alive);

    const metrics = await get(port, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /exechealthz_runs_total\{result="failure"\} [1-9]/);
    assert.match(metrics.body, /exechealthz_runs_total\{result="success"\} [1-9]/);
    assert.match(metrics.body, /exechealthz_healthz_requests_total\{code="503"\} [1-9]/);
    assert.match(metrics.body, /exechealthz_last_run_success 1/);

    assert.equal(await proc.stop('SIGTERM'), 0);
    assert.equal(logs(proc, 'shutting down')[0]?.['signal'], 'SIGTERM');
  } finally {
    await proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with no run within -latency, /healthz says the result is too old', async () => {
  const port = await freePort();
  const proc = start(['-cmd=true', `--port=${port}`, '--period=1h', '--latency=300ms']);
  try {
    await proc.waitForOutput(/serving \/healthz/);
    const stale = await waitFor('a stale answer', async () => {
      const answer = await get(port, '/healthz');
      return answer.status === 503 ? answer : undefined;
    });
    assert.match(
      stale.body,
      /^Latest result too old to be useful: Result of last exec: , at .* \+0000 UTC, error None\.\n$/,
    );
  } finally {
    assert.equal(await proc.stop('SIGTERM'), 0);
  }
});

test('SIGTERM while a command runs exits 0 promptly and kills the command', async () => {
  const port = await freePort();
  const proc = start(['-cmd=sleep 29.75', `-port=${port}`, '-period=50ms']);
  try {
    await proc.waitForOutput(/serving \/healthz/);
    await waitFor(
      'the command to run',
      () =>
        execFileSync('sh', ['-c', 'ps -eo args | grep -c "^sleep 29\\.75$" || true'], { encoding: 'utf8' }).trim() !==
        '0',
    );
    const began = Date.now();
    assert.equal(await proc.stop('SIGTERM'), 0);
    assert.ok(Date.now() - began < 3_000, 'stopped promptly');
    const left = execFileSync('sh', ['-c', 'ps -eo args | grep -c "^sleep 29\\.75$" || true'], {
      encoding: 'utf8',
    }).trim();
    assert.equal(left, '0');
  } finally {
    await proc.stop('SIGKILL');
  }
});

test('a port in use is reported and exits 1', async () => {
  const port = await freePort();
  const first = start([`-port=${port}`]);
  try {
    await first.waitForOutput(/serving \/healthz/);
    const second = start([`-port=${port}`]);
    assert.equal(await second.exited, 1);
    assert.match(String(logs(second, 'cannot serve HTTP')[0]?.['error']), /EADDRINUSE/);
  } finally {
    await first.stop();
  }
});
