import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeRecord, leafLabel, nameToKey, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { EtcdServer, ManagedProcess, freeDnsPort, freePort, requireTool, waitFor } from '@kube-dns-legacy/testkit';
import { cgroupCpuQuota } from './cpus.js';
import type { HealthReport } from './health.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const NAME = 'web.default.svc.cluster.local.';
/** UDP source ports per check: the kernel hashes each to one worker (SO_REUSEPORT), so 24 reach both of 2 but for a 2^-23 chance. */
const SOURCES = 24;

async function health(metricsPort: number): Promise<HealthReport> {
  return (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as HealthReport;
}

/** The A records of NAME as dig gets them over UDP from `source` (0: any port) or over a new TCP connection. */
async function answer(port: number, tcp: boolean, source = 0): Promise<string> {
  const bind = source === 0 ? [] : ['-b', `127.0.0.1#${source}`];
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    ...bind,
    tcp ? '+tcp' : '+notcp',
    '+time=2',
    '+tries=1',
    '+short',
    NAME,
    'A',
  ]);
  return stdout.trim().split('\n').sort().join(',');
}

for (const udp of ['batch', 'dgram'] as const)
  test(`-workers 2 (${udp}): every worker gives the same answer after every change; metrics and health summed; SIGTERM stops all`, async () => {
    requireTool('dig');
    const etcd = await EtcdServer.start();
    const port = await freeDnsPort();
    const metricsPort = await freePort();
    const skydns = new ManagedProcess(
      'skydns',
      process.execPath,
      [
        MAIN,
        `-machines=${etcd.endpoint}`,
        `-addr=127.0.0.1:${port}`,
        '-domain=cluster.local.',
        '-no-rec',
        '-workers=2',
        `-metrics-port=${metricsPort}`,
      ],
      { env: { PATH: process.env['PATH'], SKYDNS_UDP: udp } },
    );
    try {
      await waitFor(
        'both workers ready',
        async () => {
          const h = await health(metricsPort).catch(() => undefined);
          return h?.ready === true && h.workers?.length === 2;
        },
        30_000,
        100,
      );
      assert.equal((skydns.output.match(/ready for queries on cluster.local. for udp/g) ?? []).length, 2);
      const sources = await Promise.all(Array.from({ length: SOURCES }, () => freePort()));
      const record = (host: string): SkyRecord => ({ host, priority: 10, weight: 10, ttl: 30 });
      const changes: Array<[string, () => Promise<unknown>]> = [
        ['10.1.0.1', () => etcd.etcdctl('put', `${nameToKey(NAME)}/a`, encodeRecord(record('10.1.0.1')))],
        [
          '10.1.0.1,10.1.0.2',
          () => etcd.etcdctl('put', `${nameToKey(NAME)}/${leafLabel('b')}`, encodeRecord(record('10.1.0.2'))),
        ],
        ['10.1.0.2,10.1.0.3', () => etcd.etcdctl('put', `${nameToKey(NAME)}/a`, encodeRecord(record('10.1.0.3')))],
        ['', () => etcd.etcdctl('del', nameToKey(NAME), '--prefix')],
      ];
      for (const [expected, change] of changes) {
        const before = (await health(metricsPort)).workers ?? [];
        await change();
        // UDP from every source port and TCP over four new connections (handed round-robin to the
        // workers) until all agree on the new answer.
        await waitFor(
          `every worker answers "${expected}"`,
          async () => {
            const got = await Promise.all([
              ...sources.map((s) => answer(port, false, s)),
              ...[1, 2, 3, 4].map(() => answer(port, true)),
            ]);
            return got.every((a) => a === expected);
          },
          10_000,
          50,
        );
        const after = (await health(metricsPort)).workers ?? [];
        assert.equal(after.length, 2);
        for (const w of after) {
          const was = before.find((b) => b.worker === w.worker);
          assert.ok(w.replies.udp > (was?.replies.udp ?? 0), `worker ${w.worker} answered over UDP`);
          assert.ok(w.replies.tcp > (was?.replies.tcp ?? 0), `worker ${w.worker} answered over TCP`);
          assert.equal(w.records, expected === '' ? 0 : expected.split(',').length, `worker ${w.worker}'s records`);
        }
      }
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const answered = [...metrics.matchAll(/^skydns_skydns_dns_request_count_total\{[^}]*\} (\d+)$/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
      const h = await health(metricsPort);
      const byWorkers = (h.workers ?? []).reduce((sum, w) => sum + w.replies.udp + w.replies.tcp, 0);
      assert.ok(
        answered > 0 && answered <= byWorkers,
        `/metrics sums the workers' replies (${answered} ≤ ${byWorkers})`,
      );
      assert.match(metrics, /^skydns_skydns_store_records 0$/m, 'the store gauges are not summed');
      const pids = (h.workers ?? []).map((w) => w.pid);
      assert.equal(await skydns.stop('SIGTERM', 15_000), 0);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} stopped too`);
    } finally {
      await skydns.stop('SIGKILL');
      await etcd.stop();
    }
  });

test('the default number of workers comes from the cgroup CPU quota (v2 cpu.max, v1 cfs_quota_us), none without one', () => {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  try {
    writeFileSync(join(root, 'cpu.max'), 'max 100000\n');
    assert.equal(cgroupCpuQuota(root), undefined);
    writeFileSync(join(root, 'cpu.max'), '150000 100000\n');
    assert.equal(cgroupCpuQuota(root), 2);
    writeFileSync(join(root, 'cpu.max'), '10000 100000\n');
    assert.equal(cgroupCpuQuota(root), 1, '100m is one worker');
    rmSync(join(root, 'cpu.max'));
    mkdirSync(join(root, 'cpu'));
    writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
    writeFileSync(join(root, 'cpu', 'cpu.cfs_period_us'), '100000\n');
    assert.equal(cgroupCpuQuota(root), undefined);
    writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '400000\n');
    assert.equal(cgroupCpuQuota(root), 4);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
