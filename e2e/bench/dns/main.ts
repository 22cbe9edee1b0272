// DNS throughput and latency: dnsperf against skydns and against dnsmasq serving the same names,
// alternating, with the same query files (issue 7, part 1). Not a test: prints numbers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdServer, requireTool } from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { startDnsmasq, type Dnsmasq } from '../lib/dnsmasq.js';
import { dnsperf, type DnsperfResult } from '../lib/dnsperf.js';
import { Report, table } from '../lib/report.js';
import { ApiClient } from '../lib/sandbox-client.js';
import { kube2skyReady, pidOf, repoRoot, startKube2sky, startSandbox, startSkydns, stopAll, type Kube2sky, type Sandbox, type Skydns } from '../lib/stack.js';
import { fmt, int } from '../lib/stats.js';
import { QTYPES, UdpProbe } from '../lib/udp-probe.js';
import { createFixture, existingAndMissing, hostsEntries, searchPathQuestions, serviceName, srvEntries, srvQuestions } from './fixture.js';

const args = parseArgs('bench-dns', 'dnsperf against skydns and dnsmasq serving the same names (issue 7, part 1).', {
  seconds: ['dnsperf -l: seconds per run', 10, 2],
  rate: ['dnsperf -Q for the latency runs (queries per second offered)', 50_000, 50_000],
  'low-rate': ['dnsperf -Q of an extra latency run on (a), below saturation', 10_000, 5_000],
  rounds: ['rounds of the alternating runs (the median qps is reported)', 1, 1],
  services: ['services created (half the names of query file (a))', 500, 500],
});

/** The skydns flag that turns the encoded-answer cache off, when this build has one. */
function cacheOffFlag(): string | undefined {
  const help = execFileSync(process.execPath, [join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'), '--help'], { encoding: 'utf8' });
  return /--answer-cache\b/.test(help) ? '--answer-cache=false' : undefined;
}

interface Target {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
}

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly file: string;
  readonly targets: readonly Target[];
}

interface Row {
  readonly scenario: Scenario;
  readonly target: Target;
  readonly runs: DnsperfResult[];
  latency?: DnsperfResult;
  low?: DnsperfResult;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** Compare rcodes and answer counts of every question in `lines` between two servers. */
async function compareAnswers(lines: readonly string[], a: number, b: number): Promise<{ checked: number; differing: string[] }> {
  const pa = await UdpProbe.open(a);
  const pb = await UdpProbe.open(b);
  const differing: string[] = [];
  try {
    for (const line of lines) {
      const [name, type] = line.split(' ') as [string, keyof typeof QTYPES];
      const [ra, rb] = await Promise.all([pa.query(name, QTYPES[type]), pb.query(name, QTYPES[type])]);
      if (ra === undefined || rb === undefined || ra.rcode !== rb.rcode || ra.answers !== rb.answers) {
        differing.push(`${line}: skydns ${ra ? `rcode ${ra.rcode}, ${ra.answers} answers` : 'no reply'}; dnsmasq ${rb ? `rcode ${rb.rcode}, ${rb.answers} answers` : 'no reply'}`);
      }
    }
  } finally {
    pa.close();
    pb.close();
  }
  return { checked: lines.length, differing };
}

async function main(): Promise<void> {
  requireTool('dnsperf');
  requireTool('dnsmasq');
  const report = new Report('dns', 'DNS throughput and latency (e2e/bench/dns)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-dns-'));
  let etcd: EtcdServer | undefined;
  let sandbox: Sandbox | undefined;
  let kube2sky: Kube2sky | undefined;
  let skydns: Skydns | undefined;
  let nocache: Skydns | undefined;
  let masq: Dnsmasq | undefined;
  try {
    etcd = await EtcdServer.start();
    sandbox = await startSandbox(dir);
    const api = new ApiClient(sandbox.url);
    const fixture = await createFixture(api, args.services, 10);
    api.close();
    kube2sky = await startKube2sky(etcd, sandbox.kubeconfig);
    await kube2skyReady(kube2sky);
    const offFlag = cacheOffFlag();
    skydns = await startSkydns(etcd);
    if (offFlag !== undefined) nocache = await startSkydns(etcd, [offFlag], 'skydns-nocache');
    const kubernetesIp = '10.0.0.1';
    masq = await startDnsmasq(dir, 'cluster.local', hostsEntries(fixture, kubernetesIp), srvEntries(fixture), serviceName(fixture.services[0] as { name: string; namespace: string }));
    // The API server and kube2sky have done their part; stop them so they take no CPU during the runs.
    await stopAll(kube2sky.process, sandbox.process);

    const files = {
      a: existingAndMissing(fixture, 2 * args.services),
      b: srvQuestions(fixture, 2 * args.services),
      c: searchPathQuestions(fixture, args.services * 2),
    };
    const path = (id: string): string => join(dir, `queries-${id}.txt`);
    for (const [id, lines] of Object.entries(files)) writeFileSync(path(id), `${lines.join('\n')}\n`);

    const sky: Target = { label: 'skydns', port: skydns.dnsPort, pid: pidOf(skydns.process) };
    const dm: Target = { label: 'dnsmasq', port: masq.port, pid: pidOf(masq.process) };
    const off: Target | undefined = nocache === undefined ? undefined : { label: 'skydns, answer cache off', port: nocache.dnsPort, pid: pidOf(nocache.process) };

    const check = await compareAnswers([...files.a, ...files.b, ...files.c], sky.port, dm.port);
    report.add(`Same answers check (rcode and answer count of every question in the query files, skydns vs dnsmasq): ${check.checked} questions, ${check.differing.length} differ.` +
      (check.differing.length > 0 ? `\n\n${check.differing.slice(0, 10).map((d) => `- ${d}`).join('\n')}` : ''));

    const scenarios: Scenario[] = [
      { id: 'a', title: '(a) A: 50 % services / 50 % NXDOMAIN', file: path('a'), targets: [sky, dm] },
      { id: 'b', title: '(b) SRV for named ports', file: path('b'), targets: [sky, dm] },
      { id: 'c', title: '(c) ndots:5 search path (A+AAAA)', file: path('c'), targets: [sky, dm] },
      { id: 'd', title: '(d) as (a), skydns answer cache off', file: path('a'), targets: off === undefined ? [] : [off, dm] },
    ];
    const rows: Row[] = [];
    for (const scenario of scenarios) {
      const mine: Row[] = scenario.targets.map((target) => ({ scenario, target, runs: [] }));
      rows.push(...mine);
      for (let round = 0; round < args.rounds; round++) {
        const order = round % 2 === 0 ? mine : [...mine].reverse();
        for (const row of order) {
          process.stderr.write(`[bench-dns] ${scenario.id} round ${round + 1}: ${row.target.label}\n`);
          row.runs.push(await dnsperf({ port: row.target.port, queryFile: scenario.file, seconds: args.seconds, serverPid: row.target.pid }));
        }
      }
      for (const row of mine) {
        process.stderr.write(`[bench-dns] ${scenario.id} latency at -Q ${args.rate}: ${row.target.label}\n`);
        row.latency = await dnsperf({ port: row.target.port, queryFile: scenario.file, seconds: args.seconds, maxQps: args.rate, serverPid: row.target.pid, verboseFile: join(dir, 'verbose.txt') });
        if (scenario.id === 'a') {
          process.stderr.write(`[bench-dns] ${scenario.id} latency at -Q ${args['low-rate']}: ${row.target.label}\n`);
          row.low = await dnsperf({ port: row.target.port, queryFile: scenario.file, seconds: args.seconds, maxQps: args['low-rate'], serverPid: row.target.pid, verboseFile: join(dir, 'verbose.txt') });
        }
      }
    }

    const qps = (row: Row): number => median(row.runs.map((r) => r.qps));
    const dnsmasqQps = (s: Scenario): number => {
      const r = rows.find((x) => x.scenario === s && x.target === dm);
      return r === undefined ? NaN : qps(r);
    };
    report.add(table(
      ['Scenario', 'Server', 'qps', '× dnsmasq', 'avg ms', 'max ms', 'lost', 'server CPU (% of a core)', 'CPU µs/query', 'rcodes'],
      rows.map((row) => {
        const r = row.runs[row.runs.length - 1] as DnsperfResult;
        return [
          row.scenario.title, row.target.label, int(qps(row)), row.target === dm ? '1.00' : fmt(qps(row) / dnsmasqQps(row.scenario), 2),
          fmt(r.avgMs, 3), fmt(r.maxMs, 1), int(row.runs.reduce((n, x) => n + x.lost, 0)), fmt(r.serverCorePercent, 0),
          fmt((1e6 * r.serverCpuSeconds) / Math.max(1, r.completed), 1), Object.entries(r.rcodes).map(([k, v]) => `${k} ${int(v)}`).join(', '),
        ];
      }),
    ));
    report.add(`Throughput runs: \`dnsperf -s 127.0.0.1 -p PORT -d FILE -c 4 -T 1 -l ${args.seconds}\` (dnsperf's default 100 outstanding), ${args.rounds} round(s), servers alternating; ` +
      'qps is the median over the rounds; avg/max latency, lost, CPU and rcodes from the last round. Server CPU = user+system ticks of the server process from /proc/<pid>/stat before and after the run, ' +
      'divided by the wall time.');
    report.add(table(
      ['Scenario', 'Server', 'offered qps', 'answered qps', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'lost', 'server CPU (% of a core)'],
      rows.flatMap((row) => [[row.latency, args.rate], [row.low, args['low-rate']]] as const).filter((x): x is readonly [DnsperfResult, number] => x[0] !== undefined).map(([r, rate]) => {
        const row = rows.find((x) => x.latency === r || x.low === r) as Row;
        const l = r.latency;
        return [row.scenario.title, row.target.label, int(rate), int(r.qps), fmt(l?.p50 ?? NaN, 3), fmt(l?.p99 ?? NaN, 3), fmt(l?.p999 ?? NaN, 3), fmt(l?.max ?? NaN, 1), int(r.lost), fmt(r.serverCorePercent, 0)];
      }),
    ));
    report.add(`Latency runs: the same with \`-Q ${args.rate} -v\` (and \`-Q ${args['low-rate']}\` on (a)); every answered query's latency (the last field of dnsperf's -v line) is collected and ` +
      'p50/p99/p99.9 are nearest-rank percentiles of those (lost queries are counted separately, not in the percentiles).');
    if (off === undefined) report.add('(d) not measured: this skydns build has no switch to turn its encoded-answer cache off (`--answer-cache`).');

    const rowOf = (id: string, t: Target | undefined): Row | undefined => rows.find((r) => r.scenario.id === id && r.target === t);
    const aSky = rowOf('a', sky);
    const aDm = rowOf('a', dm);
    const ratio = aSky && aDm ? qps(aSky) / qps(aDm) : NaN;
    report.goal('skydns ≥ 0.8 × dnsmasq qps on (a), same run', `${int(aSky ? qps(aSky) : NaN)} vs ${int(aDm ? qps(aDm) : NaN)} qps = ${fmt(ratio, 2)}×`, Number.isFinite(ratio) ? ratio >= 0.8 : undefined);
    const lat = aSky?.latency;
    const p99 = lat?.latency?.p99 ?? NaN;
    const reached = (lat?.qps ?? 0) >= 0.95 * args.rate;
    report.goal(`p99 ≤ 2 ms at ${int(args.rate)} qps offered (a)`, `p99 ${fmt(p99, 3)} ms; answered ${int(lat?.qps ?? NaN)} qps${reached ? '' : ' (could not keep up with the offered rate)'}`, Number.isFinite(p99) ? p99 <= 2 && reached : undefined);
    // Paced runs the server kept up with (answered ≥ 95 % of the offered rate) are below saturation.
    const paced = rows.filter((r) => r.target !== dm).flatMap((r) => [[r.latency, args.rate], [r.low, args['low-rate']]] as const);
    const belowSaturation = paced.filter((x): x is readonly [DnsperfResult, number] => x[0] !== undefined && x[0].qps >= 0.95 * x[1]).map(([r]) => r);
    const lostBelow = belowSaturation.reduce((n, r) => n + r.lost, 0);
    report.goal('no lost queries below saturation', belowSaturation.length === 0
      ? 'no skydns paced run kept up with its offered rate'
      : `${int(lostBelow)} lost in ${belowSaturation.length} paced skydns run(s) that kept up with the offered rate`, belowSaturation.length === 0 ? undefined : lostBelow === 0);
    report.data['rows'] = rows.map((r) => ({ scenario: r.scenario.id, target: r.target.label, runs: r.runs, latency: r.latency, low: r.low }));
    report.write();
  } finally {
    await stopAll(skydns?.process, nocache?.process, masq?.process, kube2sky?.process, sandbox?.process);
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
