import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freeDnsPort, waitFor } from '@kube-dns-legacy/testkit';
import { repoRoot, sh, startLocalPod } from './pod.js';

// The local pod's life around the user: a port already taken, the parent going away, what "ready"
// means, and where the processes' logs go (issue 15, item 8).

const MAIN = join(repoRoot, 'packages', 'local-pod', 'dist', 'main.js');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a port in use is reported at once with the --free-ports hint, and nothing is left running', async () => {
  const taken = await freeDnsPort();
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(taken, '127.0.0.1', r));
  const stateDir = await mkdtemp(join(tmpdir(), 'kdl-pod-'));
  try {
    const pod = new ManagedProcess('kube-dns-pod', process.execPath, [
      MAIN,
      '--free-ports',
      '--dns-port',
      String(taken),
      '--state-dir',
      stateDir,
    ]);
    const code = await Promise.race([pod.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    await pod.stop('SIGKILL');
    assert.equal(code, 1, pod.output);
    assert.match(
      pod.output,
      new RegExp(
        `127\\.0\\.0\\.1:${taken} for DNS is in use \\(another "npm run up"\\?\\); stop whatever holds it, or run "npm run up -- --free-ports"`,
      ),
    );
    assert.doesNotMatch(pod.output, /ready after|\n\s+at /);
    assert.deepEqual(
      (await readdir(stateDir)).filter((f) => f.endsWith('.pid')),
      [],
      'no process was started',
    );
  } finally {
    holder.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('"ready" comes after kube2sky swept the last run\'s stale records; the logs go to files, not the terminal', async () => {
  const first = await startLocalPod();
  const stateDir = first.stateDir;
  const stale = '/skydns/local/cluster/svc/default/gone/1234abcd';
  await sh(
    `ETCDCTL_API=3 etcdctl --endpoints=${first.etcdEndpoint} put ${stale} '{"host":"10.9.9.9","priority":10,"weight":10,"ttl":30,"targetstrip":0}'`,
  );
  await first.process.stop('SIGINT', 20_000);
  // The same state directory (and etcd data) again, as a second `npm run up` would use.
  const second = new ManagedProcess('kube-dns-pod', process.execPath, [MAIN, '--free-ports', '--state-dir', stateDir], {
    cwd: repoRoot,
  });
  try {
    await second.waitForOutput(/ready after [\d.]+s: kube2sky synced, skydns loaded/, 90_000);
    const etcd = (await second.waitForOutput(/etcdctl --endpoints=(\S+) get/))[1] ?? '';
    assert.equal(
      (await sh(`ETCDCTL_API=3 etcdctl --endpoints=${etcd} get ${stale}`)).trim(),
      '',
      'the stale record is gone when "ready" is printed',
    );
    const dns = Number(/on 127\.0\.0\.1:(\d+) \(UDP and TCP\)/.exec(second.output)?.[1]);
    assert.equal(
      (await sh(`dig @127.0.0.1 -p ${dns} +short +time=2 +tries=1 gone.default.svc.cluster.local`)).trim(),
      '',
    );
    const summary = second.output.slice(0, second.output.indexOf('Try:'));
    assert.doesNotMatch(summary, /^\[etcd\]/m, "etcd's own log stays out of the terminal");
    assert.match(
      summary,
      /^Health: healthz http:\/\/127\.0\.0\.1:\d+\/healthz; kube2sky http:\/\/127\.0\.0\.1:\d+\/readiness/m,
    );
    assert.match(summary, /^Logs: \S+\/logs\/<process>\.log \(--verbose prints them here too\)$/m);
    assert.match(await readFile(join(stateDir, 'logs', 'kube2sky.log'), 'utf8'), /initial sync written to etcd/);
    assert.notEqual((await readFile(join(stateDir, 'logs', 'etcd.log'), 'utf8')).length, 0);
  } finally {
    await second.stop('SIGINT', 20_000);
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('when its parent goes away (npm killed), the pod stops with every process it started', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'kdl-pod-'));
  // A parent that stays between us and the pod (no exec), as npm does.
  const parent = new ManagedProcess(
    'npm stand-in',
    'sh',
    ['-c', `"${process.execPath}" "${MAIN}" --free-ports --state-dir "${stateDir}"; echo pod-exited`],
    { cwd: repoRoot },
  );
  try {
    await parent.waitForOutput(/Stop with Ctrl-C\./, 90_000);
    const pids = await Promise.all(
      ['etcd', 'kube2sky', 'skydns', 'healthz', 'apiserver'].map(async (n) =>
        Number((await readFile(join(stateDir, `${n}.pid`), 'utf8')).trim()),
      ),
    );
    const pod = Number((await sh(`ps -o pid= --ppid ${parent.child.pid}`)).trim());
    assert.ok(alive(pod));
    parent.child.kill('SIGKILL');
    await waitFor('the pod and its processes to stop', () => !alive(pod) && pids.every((p) => !alive(p)), 30_000);
  } finally {
    await parent.stop('SIGKILL');
    await sh(`pkill -f "[${stateDir.slice(0, 1)}]${stateDir.slice(1)}" || true`);
    await rm(stateDir, { recursive: true, force: true });
  }
});
