// Side-by-side comparison of skydns builds on scenario (a) of the DNS benchmark: the same etcd, the same
// query file, the builds alternating round by round, so a change to the query path is measured against the
// code before it under the same machine load. Not a test: prints numbers.
//
//   BENCH_SKYDNS_BUILDS=base=/tmp/base/packages/skydns/dist/main.js node --import tsx e2e/bench/dns/compare.ts
//
// An entry may carry node flags after the path, separated by spaces, to compare runtime settings of one build:
//   BENCH_SKYDNS_BUILDS='plain=dist/main.js,semi=dist/main.js --max-semi-space-size=32'
//
// BENCH_SKYDNS_OUTPUT=<dir> writes each skydns's output (e.g. with --trace-gc) to <dir>/<label>.log at the end.
// Without BENCH_SKYDNS_BUILDS the working tree's build (packages/skydns/dist/main.js, label "current") is measured; dnsmasq always.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import {
  EtcdServer,
  freeDnsPort,
  freePort,
  ManagedProcess,
  requireTool,
  startDnsmasq,
  type Dnsmasq,
} from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { dnsperf, type DnsperfResult } from '../lib/dnsperf.js';
import { table } from '../lib/report.js';
import { ApiClient } from '../lib/sandbox-client.js';
import { DOMAIN, kube2skyReady, pidOf, repoRoot, startKube2sky, startSandbox, stopAll } from '../lib/stack.js';
import { fmt, int } from '../lib/stats.js';
import { createFixture, existingAndMissing, hostsEntries, srvEntries } from './fixture.js';

const args = parseArgs(
  'bench-dns-compare',
  'Scenario (a) against several skydns builds and dnsmasq, alternating (env BENCH_SKYDNS_BUILDS=label=path/to/dist/main.js,…).',
  {
    seconds: ['dnsperf -l: seconds per run', 10, 2],
    rate: ['dnsperf -Q of the saturating latency run', 50_000, 50_000],
    'low-rate': ['dnsperf -Q of the latency run below saturation', 10_000, 5_000],
    rounds: ['rounds (each round runs every target once per kind of run; medians are reported)', 3, 1],
    services: ['services created (half the names of the query file)', 500, 500],
  },
);

interface Target {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  readonly runs: { tput: DnsperfResult[]; high: DnsperfResult[]; low: DnsperfResult[] };
}

/** The builds to compare: those named in BENCH_SKYDNS_BUILDS, else the working tree's. */
function builds(): Array<{ label: string; main: string; nodeFlags: string[] }> {
  const extra = (process.env['BENCH_SKYDNS_BUILDS'] ?? '')
    .split(',')
    .filter((s) => s !== '')
    .map((s) => {
      const at = s.indexOf('=');
      if (at <= 0) throw new Error(`BENCH_SKYDNS_BUILDS entry "${s}" is not label=path [node flags]`);
      const [main, ...nodeFlags] = s
        .slice(at + 1)
        .split(' ')
        .filter((w) => w !== '');
      return { label: s.slice(0, at), main: resolve(main ?? ''), nodeFlags };
    });
  return extra.length > 0
    ? extra
    : [{ label: 'current', main: join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'), nodeFlags: [] }];
}

async function startBuild(
  etcd: EtcdServer,
  label: string,
  main: string,
  nodeFlags: readonly string[],
): Promise<ManagedProcess & { dnsPort?: number }> {
  const dnsPort = await freeDnsPort();
  const metricsPort = await freePort();
  const cpu = process.env['BENCH_CPU_PROF'];
  const flags = cpu
    ? ['--cpu-prof', `--cpu-prof-dir=${cpu}`, `--cpu-prof-name=skydns-${label}-${Date.now()}.cpuprofile`]
    : [];
  const proc = new ManagedProcess(`skydns-${label}`, process.execPath, [
    ...flags,
    ...nodeFlags,
    main,
    `-machines=${etcd.endpoint}`,
    `-addr=127.0.0.1:${dnsPort}`,
    '-ns-rotate=false',
    `-domain=${DOMAIN}.`,
    '-no-rec',
    `--metrics-port=${metricsPort}`,
  ]);
  await proc.waitForOutput(/ready for queries/, 30_000);
  return Object.assign(proc, { dnsPort });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)] as number);
}

async function main(): Promise<void> {
  requireTool('dnsperf');
  requireTool('dnsmasq');
  const dir = mkdtempSync(join(tmpdir(), 'bench-dns-compare-'));
  const procs: ManagedProcess[] = [];
  let etcd: EtcdServer | undefined;
  let masq: Dnsmasq | undefined;
  const started = new Date().toISOString();
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  try {
    etcd = await EtcdServer.start();
    const sandbox = await startSandbox(dir);
    procs.push(sandbox.process);
    const api = new ApiClient(sandbox.url);
    const fixture = await createFixture(api, args.services, 10);
    api.close();
    const kube2sky = await startKube2sky(etcd, sandbox.kubeconfig);
    procs.push(kube2sky.process);
    await kube2skyReady(kube2sky);
    await stopAll(kube2sky.process, sandbox.process);

    const targets: Target[] = [];
    const skydnsProcs = new Map<string, ManagedProcess>();
    for (const b of builds()) {
      const p = await startBuild(etcd, b.label, b.main, b.nodeFlags);
      procs.push(p);
      skydnsProcs.set(b.label, p);
      targets.push({
        label: `skydns ${b.label}`,
        port: p.dnsPort as number,
        pid: pidOf(p),
        runs: { tput: [], high: [], low: [] },
      });
    }
    masq = await startDnsmasq(dir, 'cluster.local', hostsEntries(fixture, '10.0.0.1'), srvEntries(fixture));
    targets.push({
      label: 'dnsmasq',
      port: masq.port,
      pid: pidOf(masq.process),
      runs: { tput: [], high: [], low: [] },
    });

    const file = join(dir, 'queries-a.txt');
    writeFileSync(file, `${existingAndMissing(fixture, 2 * args.services).join('\n')}\n`);
    const verboseFile = join(dir, 'verbose.txt');
    for (let round = 0; round < args.rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        process.stderr.write(`[compare] round ${round + 1}: ${t.label} (load ${loadavg()[0]?.toFixed(2)})\n`);
        t.runs.tput.push(await dnsperf({ port: t.port, queryFile: file, seconds: args.seconds, serverPid: t.pid }));
        t.runs.high.push(
          await dnsperf({
            port: t.port,
            queryFile: file,
            seconds: args.seconds,
            maxQps: args.rate,
            serverPid: t.pid,
            verboseFile,
          }),
        );
        t.runs.low.push(
          await dnsperf({
            port: t.port,
            queryFile: file,
            seconds: args.seconds,
            maxQps: args['low-rate'],
            serverPid: t.pid,
            verboseFile,
          }),
        );
      }
    }
    const m = (rs: DnsperfResult[], f: (r: DnsperfResult) => number): number => median(rs.map(f));
    const out = [
      `Started ${started}; load average at start ${loadAtStart}, at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${args.rounds} round(s) of ${args.seconds} s runs, targets alternating; medians over the rounds.`,
      '',
      table(
        [
          'Server',
          'qps',
          'CPU µs/query',
          `answered at -Q ${args.rate}`,
          `p99 ms at -Q ${args.rate}`,
          `p50 ms at -Q ${args['low-rate']}`,
          `p99 ms at -Q ${args['low-rate']}`,
          `p99.9 ms at -Q ${args['low-rate']}`,
          'lost (all runs)',
        ],
        targets.map((t) => [
          t.label,
          int(m(t.runs.tput, (r) => r.qps)),
          fmt(
            m(t.runs.tput, (r) => (1e6 * r.serverCpuSeconds) / Math.max(1, r.completed)),
            1,
          ),
          int(m(t.runs.high, (r) => r.qps)),
          fmt(
            m(t.runs.high, (r) => r.latency?.p99 ?? NaN),
            3,
          ),
          fmt(
            m(t.runs.low, (r) => r.latency?.p50 ?? NaN),
            3,
          ),
          fmt(
            m(t.runs.low, (r) => r.latency?.p99 ?? NaN),
            3,
          ),
          fmt(
            m(t.runs.low, (r) => r.latency?.p999 ?? NaN),
            3,
          ),
          int([...t.runs.tput, ...t.runs.high, ...t.runs.low].reduce((n, r) => n + r.lost, 0)),
        ]),
      ),
      '',
      `Per round, p99 ms at -Q ${args['low-rate']}: ${targets.map((t) => `${t.label} ${t.runs.low.map((r) => fmt(r.latency?.p99 ?? NaN, 3)).join(' / ')}`).join('; ')}.`,
      `Per round, qps: ${targets.map((t) => `${t.label} ${t.runs.tput.map((r) => int(r.qps)).join(' / ')}`).join('; ')}.`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    const outputDir = process.env['BENCH_SKYDNS_OUTPUT'];
    if (outputDir) for (const [label, p] of skydnsProcs) writeFileSync(join(outputDir, `${label}.log`), p.output);
  } finally {
    await stopAll(...procs, masq?.process);
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
