import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@kube-dns-legacy/testkit';
import { Supervisor } from './supervisor.js';

const fast = { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 };

test('a crashed process is restarted with back-off and its lines are prefixed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kdl-sup-'));
  const lines: string[] = [];
  const sup = new Supervisor(
    [{ name: 'crasher', command: 'sh', args: ['-c', 'echo started; exit 3'], env: {} }],
    (l) => lines.push(l),
    dir,
    fast,
  );
  try {
    sup.start();
    await waitFor('three restarts', () => (sup.restarts().crasher ?? 0) >= 3, 5_000);
    assert.ok(lines.includes('[crasher] started'));
    assert.ok(
      lines.some((l) => /^\[local-pod\] crasher exited \(code 3\); restart 1 in 0.05s$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /restart 3 in 0.2s$/.test(l)),
      'the delay doubles up to the cap',
    );
  } finally {
    await sup.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("with log files, the processes' lines go to <dir>/<name>.log and are echoed only when asked", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kdl-sup-'));
  for (const echo of [false, true]) {
    const lines: string[] = [];
    const sup = new Supervisor(
      [{ name: 'talker', command: 'sh', args: ['-c', `echo hello-${echo}; echo oops-${echo} >&2; exit 1`], env: {} }],
      (l) => lines.push(l),
      dir,
      fast,
      { dir: join(dir, 'logs'), echo },
    );
    try {
      sup.start();
      await waitFor('a restart', () => (sup.restarts().talker ?? 0) >= 1, 5_000);
      await waitFor('the log file', async () =>
        (await readFile(join(dir, 'logs', 'talker.log'), 'utf8').catch(() => '')).includes(`oops-${echo}`),
      );
      const log = await readFile(join(dir, 'logs', 'talker.log'), 'utf8');
      assert.match(log, new RegExp(`^hello-${echo}$`, 'm'));
      assert.equal(lines.includes(`[talker] hello-${echo}`), echo, lines.join('\n'));
      assert.ok(
        lines.some((l) => l.startsWith('[local-pod] talker exited (code 1)')),
        "the supervisor's own lines are always shown",
      );
    } finally {
      await sup.stop();
    }
  }
  await rm(dir, { recursive: true, force: true });
});

test('a failing liveness probe restarts the process; stop ends it and removes its pid file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kdl-sup-'));
  let healthy = true;
  const server = createServer((_req, res) => {
    res.statusCode = healthy ? 200 : 503;
    res.end(healthy ? 'ok' : 'broken');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const lines: string[] = [];
  const probe = {
    path: '/healthz',
    port,
    initialDelaySeconds: 0,
    periodSeconds: 0.05,
    timeoutSeconds: 1,
    failureThreshold: 2,
  };
  const sup = new Supervisor(
    [{ name: 'sleeper', command: 'sleep', args: ['60'], env: {}, livenessProbe: probe }],
    (l) => lines.push(l),
    dir,
    fast,
  );
  try {
    sup.start();
    const pid = await waitFor('a pid file', async () => (await readFile(join(dir, 'sleeper.pid'), 'utf8')).trim());
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sup.restarts().sleeper, 0, 'a healthy process is left alone');
    healthy = false;
    await waitFor('a restart after the probe fails', () => sup.restarts().sleeper === 1, 5_000);
    assert.ok(
      lines.some((l) => l === '[local-pod] sleeper liveness probe failed (2/2): HTTP 503: broken'),
      lines.join('\n'),
    );
    healthy = true;
    const newPid = await waitFor('a new pid', async () => {
      const p = (await readFile(join(dir, 'sleeper.pid'), 'utf8')).trim();
      return p !== pid ? p : undefined;
    });
    await sup.stop();
    // Gone, or its pid already reused by some other process on this busy machine: never our sleeper.
    const cmdline = await readFile(`/proc/${newPid}/cmdline`, 'utf8').catch(() => '');
    assert.notEqual(cmdline, 'sleep\u000060\u0000', 'the process is gone');
    await assert.rejects(readFile(join(dir, 'sleeper.pid')), 'the pid file is removed');
  } finally {
    await sup.stop();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
