import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { EtcdServer, ManagedProcess, freePort, reachByBindAddress, waitFor } from '@kube-dns-legacy/testkit';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

test('--help explains the flags and exits 0', async () => {
  const { stdout } = await run('node', [MAIN, '--help']);
  for (const flag of [
    '--domain',
    '--etcd-server',
    '--etcd-mutation-timeout',
    '--kube-master-url',
    '--kubecfg-file',
    '--healthz-port',
    '--etcd-prefix',
    '--resync-period',
    '--pod-records',
    '--metrics-port',
  ]) {
    assert.ok(stdout.includes(flag), flag);
  }
});

test('--version and -version print the version and exit 0', async () => {
  for (const flag of ['--version', '-version']) {
    const { stdout } = await run('node', [MAIN, flag]);
    assert.match(stdout, /^kube2sky version: \d+\.\d+\.\d+ \(kube-dns-legacy\)\n$/, flag);
  }
  assert.match((await run('node', [MAIN, '--help'])).stdout, /--version/);
});

test('bad flags: clear message, exit 2, no stack trace', async () => {
  for (const args of [['--bogus'], ['-domain=a..b'], ['--healthz-port=abc']]) {
    const err = await run('node', [MAIN, ...args]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(err, args.join(' '));
    assert.equal(err.code, 2, args.join(' '));
    assert.match(err.stderr, /^kube2sky: /);
    assert.doesNotMatch(err.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a busy --healthz-port: clear message, exit 1, no stack trace', async () => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, resolve));
  try {
    const port = (busy.address() as AddressInfo).port;
    const err = await run('node', [
      MAIN,
      '--etcd-server=http://127.0.0.1:1',
      '--kube-master-url=http://127.0.0.1:1',
      `--healthz-port=${port}`,
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(err);
    assert.equal(err.code, 1);
    assert.match(
      err.stderr,
      new RegExp(`kube2sky: --healthz-port: cannot listen on 0\\.0\\.0\\.0 port ${port}: .*EADDRINUSE`),
    );
    assert.doesNotMatch(err.stderr, /\n\s+at /);
  } finally {
    busy.close();
  }
});

test('--bind-address: every interface by default, loopback only with 127.0.0.1', async () => {
  const reach = await reachByBindAddress(
    [undefined, '127.0.0.1'],
    '/healthz',
    /serving \/readiness/,
    (port, bind) =>
      new ManagedProcess('kube2sky', 'node', [
        MAIN,
        '--etcd-server=http://127.0.0.1:1',
        '--kube-master-url=http://127.0.0.1:1',
        `--healthz-port=${port}`,
        ...(bind === undefined ? [] : [`--bind-address=${bind}`]),
      ]),
  );
  assert.deepEqual(reach, {
    default: { loopback: true, outside: true },
    '127.0.0.1': { loopback: true, outside: false },
  });
});

test('without an API server: not ready, unhealthy, metrics served, SIGTERM exits 0', async () => {
  const etcd = await EtcdServer.start();
  const healthz = await freePort();
  const deadApi = await freePort();
  const proc = new ManagedProcess('kube2sky', 'node', [
    MAIN,
    `--etcd-server=${etcd.endpoint}`,
    `--kube-master-url=http://127.0.0.1:${deadApi}`,
    `--healthz-port=${healthz}`,
  ]);
  try {
    await proc.waitForOutput(/serving \/readiness/);
    const readiness = await fetch(`http://127.0.0.1:${healthz}/readiness`);
    assert.equal(readiness.status, 503);
    await waitFor('a discovery failure to be logged', () => /API discovery failed/.test(proc.output), 10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${healthz}/metrics`)).text();
    assert.match(metrics, /kube2sky_errors_total\{kind="watch"\} [1-9]/);
    assert.match(metrics, /kube2sky_sync_lag_seconds [0-9.]+/);
    assert.match(metrics, /process_resident_memory_bytes/);
    assert.equal((await fetch(`http://127.0.0.1:${healthz}/nope`)).status, 404);
    const healthzRes = await fetch(`http://127.0.0.1:${healthz}/healthz`);
    assert.equal(healthzRes.status, 503);
    assert.deepEqual(await healthzRes.json(), { status: 'unhealthy', checks: { etcd: true, api_discovery: false } });
    assert.equal(await proc.stop('SIGTERM'), 0);
    assert.match(proc.output, /"signal":"SIGTERM"/);
  } finally {
    await proc.stop('SIGKILL');
    await etcd.stop();
  }
});
