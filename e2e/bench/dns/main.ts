// DNS throughput, CPU per question and latency: dnsperf against skydns and its peers serving the same
// names, servers alternating, the same query files (issue 7, part 1; issue 12: CoreDNS and Knot DNS).
// Not a test: prints numbers and draws the side-by-side figures.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdServer, requireTool, startDnsmasq, type Dnsmasq } from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { dnsperf, type DnsperfResult } from '../lib/dnsperf.js';
import { pidByCmdline, startCoredns, startKnot, type PeerServer } from '../lib/peers.js';
import { CpuMeter } from '../lib/procfs.js';
import { Report, table } from '../lib/report.js';
import { ApiClient } from '../lib/sandbox-client.js';
import {
  kube2skyReady,
  pidOf,
  repoRoot,
  startKube2sky,
  startRealApi,
  startSandbox,
  startSkydns,
  stopAll,
  type Kube2sky,
  type Sandbox,
  type Skydns,
} from '../lib/stack.js';
import { fmt, int } from '../lib/stats.js';
import type { Bar, BarGroup } from '../lib/svg.js';
import { QTYPES, UdpProbe } from '../lib/udp-probe.js';
import {
  createFixture,
  existingAndMissing,
  headlessSrvQuestions,
  hostsEntries,
  searchPathQuestions,
  serviceName,
  srvEntries,
  srvQuestions,
  zoneFile,
} from './fixture.js';

const args = parseArgs(
  'bench-dns',
  'dnsperf against skydns, CoreDNS (kubernetes and etcd plugins), Knot DNS and dnsmasq serving the same names (issues 7 and 12).',
  {
    seconds: ['dnsperf -l: seconds per run', 10, 2],
    rate: ['dnsperf -Q of the saturating latency runs (queries per second offered)', 50_000, 50_000],
    'low-rate': ['dnsperf -Q of the latency runs below saturation (every scenario)', 10_000, 5_000],
    rounds: ['rounds of the alternating runs (the median qps and CPU per question are reported)', 1, 1],
    services: ['ClusterIP services created (half the names of query file (a))', 500, 500],
    headless: ['headless services created (query file (e))', 50, 20],
    endpoints: [
      'ready endpoints (with hostnames) per headless service (5: every server’s SRV reply with its A records fits 512 bytes without EDNS)',
      5,
      5,
    ],
  },
  {
    api: [
      "the API server the fixture is created on: a real kube-apiserver (CoreDNS's kubernetes plugin then runs too), or the sandbox",
      ['real', 'sandbox'],
    ],
  },
);

/** The labels of the servers, as the tables and figures print them. */
const SKYDNS = 'skydns';
const COREDNS_K8S = 'CoreDNS (kubernetes)';
const COREDNS_ETCD = 'CoreDNS (etcd)';
const KNOT = 'Knot DNS';
const DNSMASQ = 'dnsmasq';
const SKYDNS_NOCACHE = 'skydns, answer cache off';
/** skydns on Node's dgram (SKYDNS_UDP=dgram): the UDP path before the batched one, in the same run. */
const SKYDNS_DGRAM = 'skydns, dgram';
/** skydns with two worker processes on the port (-workers=2); its CPU is the primary's and the workers'. */
const SKYDNS_WORKERS = 'skydns -workers=2';

/** The skydns flag that turns the encoded-answer cache off, when this build has one. */
function cacheOffFlag(): string | undefined {
  const help = execFileSync(process.execPath, [join(repoRoot, 'packages', 'skydns', 'dist', 'main.js'), '--help'], {
    encoding: 'utf8',
  });
  return /--answer-cache\b/.test(help) ? '--answer-cache=false' : undefined;
}

interface Target {
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  /** A process this server needs per question and whose CPU is added to its own (the etcd the CoreDNS etcd plugin reads). */
  readonly backendPid?: number;
}

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly file: string;
  readonly targets: readonly Target[];
  /** A fixed offered rate for the saturating latency run, when the scenario's answers are big (default `--rate`). */
  readonly rate?: number;
}

interface Measured {
  readonly r: DnsperfResult;
  /** CPU seconds of the server plus its backend during the run. */
  readonly cpuSeconds: number;
  readonly backendCpuSeconds: number;
}

interface Row {
  readonly scenario: Scenario;
  readonly target: Target;
  readonly runs: Measured[];
  latency?: Measured;
  low?: Measured;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** CPU µs (server + backend) per answered question of one run. */
function cpuPerQuestion(m: Measured): number {
  return (1e6 * m.cpuSeconds) / Math.max(1, m.r.completed);
}

/** The server's own kernel (system) CPU µs per answered question of one run (the backend's not included). */
function systemPerQuestion(m: Measured): number {
  return (1e6 * m.r.serverSystemSeconds) / Math.max(1, m.r.completed);
}

/** Run dnsperf against a target, with its backend's CPU. */
async function measure(t: Target, o: Omit<Parameters<typeof dnsperf>[0], 'port' | 'serverPid'>): Promise<Measured> {
  const backend = t.backendPid === undefined ? undefined : new CpuMeter(t.backendPid);
  const r = await dnsperf({ ...o, port: t.port, serverPid: t.pid });
  const b = backend?.stop().cpuSeconds ?? 0;
  return { r, cpuSeconds: r.serverCpuSeconds + b, backendCpuSeconds: b };
}

/** Compare rcodes and answer counts of every question in `lines` between skydns and a peer. */
async function compareAnswers(
  lines: readonly string[],
  a: number,
  b: number,
  peer: string,
): Promise<{ checked: number; differing: string[] }> {
  const pa = await UdpProbe.open(a);
  const pb = await UdpProbe.open(b);
  const differing: string[] = [];
  try {
    for (const line of lines) {
      const [name, type] = line.split(' ') as [string, keyof typeof QTYPES];
      const [ra, rb] = await Promise.all([pa.query(name, QTYPES[type]), pb.query(name, QTYPES[type])]);
      if (ra === undefined || rb === undefined || ra.rcode !== rb.rcode || ra.answers !== rb.answers) {
        differing.push(
          `${line}: skydns ${ra ? `rcode ${ra.rcode}, ${ra.answers} answers` : 'no reply'}; ${peer} ${rb ? `rcode ${rb.rcode}, ${rb.answers} answers` : 'no reply'}`,
        );
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
  requireTool('knotd');
  const report = new Report('dns', 'DNS throughput, CPU per question and latency (e2e/bench/dns)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-dns-'));
  let etcd: EtcdServer | undefined;
  let sandbox: Sandbox | undefined;
  let kube2sky: Kube2sky | undefined;
  let skydns: Skydns | undefined;
  let nocache: Skydns | undefined;
  let dgram: Skydns | undefined;
  let workers: Skydns | undefined;
  let masq: Dnsmasq | undefined;
  const peers: PeerServer[] = [];
  try {
    etcd = await EtcdServer.start();
    const etcdPid = pidByCmdline(`\0${etcd.dataDir}\0`);
    sandbox = args.api === 'real' ? await startRealApi(dir) : await startSandbox(dir);
    const api = new ApiClient(sandbox.url, sandbox.credentials);
    const fixture = await createFixture(api, args.services, 10, args.headless, args.endpoints);
    const kubernetesIp =
      (await api.get<{ spec: { clusterIP: string } }>('/api/v1/namespaces/default/services/kubernetes')).body?.spec
        .clusterIP ?? '10.0.0.1';
    api.close();
    kube2sky = await startKube2sky(etcd, sandbox.kubeconfig);
    await kube2skyReady(kube2sky);
    const offFlag = cacheOffFlag();
    skydns = await startSkydns(etcd);
    if (offFlag !== undefined) nocache = await startSkydns(etcd, [offFlag], 'skydns-nocache');
    dgram = await startSkydns(etcd, [], 'skydns-dgram', { SKYDNS_UDP: 'dgram' });
    workers = await startSkydns(etcd, ['-workers=2'], 'skydns-workers');
    const probeName = serviceName(fixture.services[0] as { name: string; namespace: string });
    const lastHeadless = fixture.headless[fixture.headless.length - 1];
    // Wait for everything to be in the API's watch caches: the last object created is the last headless service's endpoint.
    const lastName =
      lastHeadless === undefined
        ? serviceName(fixture.services[fixture.services.length - 1] as { name: string; namespace: string })
        : `web-0.${serviceName(lastHeadless)}`;
    const k8s =
      args.api === 'real'
        ? await startCoredns(dir, {
            backend: { plugin: 'kubernetes', kubeconfig: sandbox.kubeconfig },
            probeName: lastName,
          })
        : undefined;
    if (k8s !== undefined) peers.push(k8s);
    const cde = await startCoredns(dir, { backend: { plugin: 'etcd', endpoint: etcd.endpoint }, probeName: lastName });
    peers.push(cde);
    const knot = await startKnot(dir, zoneFile(fixture, kubernetesIp), probeName);
    peers.push(knot);
    masq = await startDnsmasq(dir, 'cluster.local', hostsEntries(fixture, kubernetesIp), srvEntries(fixture));
    // kube2sky has done its part; stop it (and the sandbox, which no peer reads) so they take no CPU during the runs.
    // A real control plane stays up: CoreDNS's kubernetes plugin keeps its watches on it.
    await stopAll(kube2sky.process, ...(args.api === 'real' ? [] : [sandbox.process]));

    const files = {
      a: existingAndMissing(fixture, 2 * args.services),
      b: srvQuestions(fixture, 2 * args.services),
      c: searchPathQuestions(fixture, args.services * 2),
      e: headlessSrvQuestions(fixture),
    };
    const path = (id: string): string => join(dir, `queries-${id}.txt`);
    for (const [id, lines] of Object.entries(files)) writeFileSync(path(id), `${lines.join('\n')}\n`);

    const sky: Target = { label: SKYDNS, port: skydns.dnsPort, pid: pidOf(skydns.process) };
    const tK8s: Target | undefined =
      k8s === undefined ? undefined : { label: COREDNS_K8S, port: k8s.port, pid: pidOf(k8s.process) };
    const tEtcd: Target = {
      label: COREDNS_ETCD,
      port: cde.port,
      pid: pidOf(cde.process),
      ...(etcdPid === undefined ? {} : { backendPid: etcdPid }),
    };
    const tKnot: Target = { label: KNOT, port: knot.port, pid: pidOf(knot.process) };
    const dm: Target = { label: DNSMASQ, port: masq.port, pid: pidOf(masq.process) };
    const off: Target | undefined =
      nocache === undefined ? undefined : { label: SKYDNS_NOCACHE, port: nocache.dnsPort, pid: pidOf(nocache.process) };
    const tDgram: Target = { label: SKYDNS_DGRAM, port: dgram.dnsPort, pid: pidOf(dgram.process) };
    const tWorkers: Target = { label: SKYDNS_WORKERS, port: workers.dnsPort, pid: pidOf(workers.process) };
    const all: Target[] = [sky, tDgram, ...(tK8s === undefined ? [] : [tK8s]), tEtcd, tKnot, dm];
    const coredns = tK8s ?? tEtcd;

    const questions = [...files.a, ...files.b, ...files.c, ...files.e];
    const checks: string[][] = [];
    const differences: string[] = [];
    for (const peer of [...all.slice(1), tWorkers]) {
      const check = await compareAnswers(questions, sky.port, peer.port, peer.label);
      checks.push([peer.label, int(check.checked), int(check.differing.length)]);
      differences.push(...check.differing.slice(0, 5).map((d) => `- ${d}`));
    }
    report.add(
      'Same answers check: every question of the query files asked of skydns and of each peer; rcode and answer count compared.',
    );
    report.add(
      table(['Peer', 'questions', 'differ from skydns'], checks) +
        (differences.length > 0 ? `\n\nFirst differences:\n\n${differences.join('\n')}` : ''),
    );

    const scenarios: Scenario[] = [
      { id: 'a', title: '(a) A: 50 % services / 50 % NXDOMAIN', file: path('a'), targets: [...all, tWorkers] },
      { id: 'b', title: '(b) SRV for named ports', file: path('b'), targets: [...all, tWorkers] },
      { id: 'c', title: '(c) ndots:5 search path (A+AAAA)', file: path('c'), targets: all },
      { id: 'e', title: `(e) SRV of headless services (${args.endpoints} endpoints)`, file: path('e'), targets: all },
      {
        id: 'd',
        title: '(d) as (a), skydns answer cache off',
        file: path('a'),
        targets: off === undefined ? [] : [off, ...(tK8s === undefined ? [] : [tK8s]), tKnot],
      },
    ];
    const rows: Row[] = [];
    for (const scenario of scenarios) {
      const mine: Row[] = scenario.targets.map((target) => ({ scenario, target, runs: [] }));
      rows.push(...mine);
      for (let round = 0; round < args.rounds; round++) {
        const order = round % 2 === 0 ? mine : [...mine].reverse();
        for (const row of order) {
          process.stderr.write(`[bench-dns] ${scenario.id} round ${round + 1}: ${row.target.label}\n`);
          row.runs.push(await measure(row.target, { queryFile: scenario.file, seconds: args.seconds }));
        }
      }
      for (const row of mine) {
        process.stderr.write(
          `[bench-dns] ${scenario.id} latency at -Q ${args.rate} and -Q ${args['low-rate']}: ${row.target.label}\n`,
        );
        row.latency = await measure(row.target, {
          queryFile: scenario.file,
          seconds: args.seconds,
          maxQps: args.rate,
          verboseFile: join(dir, 'verbose.txt'),
        });
        row.low = await measure(row.target, {
          queryFile: scenario.file,
          seconds: args.seconds,
          maxQps: args['low-rate'],
          verboseFile: join(dir, 'verbose.txt'),
        });
      }
    }

    const qps = (row: Row): number => median(row.runs.map((m) => m.r.qps));
    const cpu = (row: Row): number => median(row.runs.map(cpuPerQuestion));
    const sys = (row: Row): number => median(row.runs.map(systemPerQuestion));
    const rowOf = (id: string, t: Target | undefined): Row | undefined =>
      rows.find((r) => r.scenario.id === id && r.target === t);
    const ratio = (a: number, b: number): string => fmt(a / b, 2);
    report.add(
      table(
        [
          'Scenario',
          'Server',
          'qps',
          'qps ÷ skydns',
          'CPU µs per answered question',
          'of which in the kernel',
          'CPU ÷ skydns',
          'server CPU (% of a core)',
          'avg ms',
          'lost',
          'rcodes',
        ],
        rows.map((row) => {
          const last = row.runs[row.runs.length - 1] as Measured;
          const base = rowOf(row.scenario.id, row.scenario.id === 'd' ? off : sky);
          const backend =
            row.target.backendPid === undefined
              ? ''
              : ` (etcd ${fmt((1e6 * last.backendCpuSeconds) / Math.max(1, last.r.completed), 1)})`;
          return [
            row.scenario.title,
            row.target.label,
            int(qps(row)),
            base === undefined ? '–' : ratio(qps(row), qps(base)),
            `${fmt(cpu(row), 1)}${backend}`,
            fmt(sys(row), 1),
            base === undefined ? '–' : ratio(cpu(row), cpu(base)),
            fmt((100 * last.cpuSeconds) / args.seconds, 0),
            fmt(last.r.avgMs, 3),
            int(row.runs.reduce((n, x) => n + x.r.lost, 0)),
            Object.entries(last.r.rcodes)
              .map(([k, v]) => `${k} ${int(v)}`)
              .join(', '),
          ];
        }),
      ),
    );
    report.add(
      `Throughput runs: \`dnsperf -s 127.0.0.1 -p PORT -d FILE -c 4 -T 1 -l ${args.seconds}\` (dnsperf's default 100 outstanding), ${args.rounds} round(s), servers alternating; ` +
        'qps and CPU per question are medians over the rounds; avg latency, lost and rcodes from the last round. CPU = user+system ticks of the server process (all its threads) from ' +
        '/proc/<pid>/stat before and after the run ("in the kernel": the system ticks, i.e. the socket calls); for CoreDNS\'s etcd plugin the CPU of the etcd it reads is added (in brackets), as that plugin asks etcd on every cache miss. ' +
        'CPU per answered question is the honest figure on this shared machine: it does not depend on how much of a core the server got.',
    );

    report.add(
      table(
        [
          'Scenario',
          'Server',
          'offered qps',
          'answered qps',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'lost',
          'CPU µs/question',
        ],
        rows
          .flatMap(
            (row) =>
              [
                [row, row.latency, args.rate],
                [row, row.low, args['low-rate']],
              ] as const,
          )
          .filter((x): x is readonly [Row, Measured, number] => x[1] !== undefined)
          .map(([row, m, rate]) => {
            const l = m.r.latency;
            return [
              row.scenario.title,
              row.target.label,
              int(rate),
              int(m.r.qps),
              fmt(l?.p50 ?? NaN, 3),
              fmt(l?.p99 ?? NaN, 3),
              fmt(l?.p999 ?? NaN, 3),
              fmt(l?.max ?? NaN, 1),
              int(m.r.lost),
              fmt(cpuPerQuestion(m), 1),
            ];
          }),
      ),
    );
    report.add(
      `Latency runs: the same with \`-Q ${args.rate} -v\` (saturating on this machine) and \`-Q ${args['low-rate']} -v\` (below saturation), every scenario; every answered query's latency (the last field of dnsperf's -v line) is collected and ` +
        'p50/p99/p99.9 are nearest-rank percentiles of those (lost queries are counted separately, not in the percentiles).',
    );

    const peersLine = [
      k8s === undefined
        ? undefined
        : `CoreDNS (kubernetes): its \`kubernetes\` plugin on the same real kube-apiserver, \`pods verified\`, \`ttl 30\`, with \`cache 30\` in front (the kubeadm Corefile's cache)`,
      'CoreDNS (etcd): its `etcd` plugin reading the same etcd kube2sky wrote (`path /skydns`), with `cache 30` in front',
      'Knot DNS: `knotd` 3.2 authoritative for cluster.local from a zone file generated from the same objects (TTL 30), one UDP worker, one TCP worker, one background worker',
      'dnsmasq: a generated hosts file and `srv-host` lines for the same names',
    ].filter((x): x is string => x !== undefined);
    report.add(
      `Servers: skydns with the manifest's flags (\`-ns-rotate=false -domain=cluster.local. -no-rec\`), fed by kube2sky from ${args.api === 'real' ? 'a real kube-apiserver' : 'the sandbox API'}; ${peersLine.join('; ')}. ` +
        `Fixture: ${int(args.services)} ClusterIP services with two named ports over 10 namespaces, ${int(args.headless)} headless services with ${args.endpoints} ready endpoints each (hostnames). Corefiles:\n\n` +
        peers
          .filter((p) => p !== knot)
          .map((p) => `\`\`\`\n${p.config}\`\`\``)
          .join('\n\n'),
    );
    if (off === undefined)
      report.add(
        '(d) not measured: this skydns build has no switch to turn its encoded-answer cache off (`--answer-cache`).',
      );

    // Figures: CPU per question, qps, p99 below saturation.
    const groups = (value: (r: Row) => number, note: (r: Row) => string | undefined): BarGroup[] =>
      scenarios
        .filter((s) => s.targets.length > 0)
        .map((s) => ({
          label: s.title,
          bars: rows
            .filter((r) => r.scenario === s)
            .map((r): Bar => {
              const n = note(r);
              return { series: r.target.label, value: value(r), ...(n === undefined ? {} : { note: n }) };
            }),
        }));
    const vsSky =
      (value: (r: Row) => number) =>
      (r: Row): string | undefined => {
        const base = rowOf(r.scenario.id, r.scenario.id === 'd' ? off : sky);
        return base === undefined || base === r ? undefined : `${fmt(value(r) / value(base), 2)}× skydns`;
      };
    const sub = `${new Date().toISOString().slice(0, 10)}, 2 shared cores; dnsperf -c 4 -T 1 -l ${args.seconds}`;
    report.chart('cpu', {
      title: 'CPU per answered question',
      unit: 'µs of server CPU (user + system, /proc)',
      lowerIsBetter: true,
      subtitle: sub,
      groups: groups(cpu, vsSky(cpu)),
    });
    report.chart('qps', {
      title: 'Throughput',
      unit: 'answered queries per second',
      lowerIsBetter: false,
      decimals: 0,
      subtitle: `${sub}; client and server share the machine`,
      groups: groups(qps, vsSky(qps)),
    });
    const p99 = (r: Row): number => r.low?.r.latency?.p99 ?? NaN;
    report.chart('p99', {
      title: `p99 latency at ${int(args['low-rate'])} queries per second offered`,
      unit: 'ms',
      lowerIsBetter: true,
      decimals: 2,
      subtitle: `${sub} -Q ${args['low-rate']}`,
      groups: groups(p99, () => undefined),
    });

    // Goals (issue 12): CPU per answered question ≤ ⅓ of CoreDNS's on (a)–(c); issue 7's latency goals.
    for (const id of ['a', 'b', 'c']) {
      const s = rowOf(id, sky);
      const c = rowOf(id, coredns);
      const e = rowOf(id, tEtcd);
      const k = rowOf(id, tKnot);
      const r = s && c ? cpu(s) / cpu(c) : NaN;
      report.goal(
        `CPU per answered question ≤ ⅓ of ${coredns.label}'s on (${id})`,
        `${fmt(s ? cpu(s) : NaN, 1)} vs ${fmt(c ? cpu(c) : NaN, 1)} µs = ${fmt(r, 2)}×` +
          (coredns !== tEtcd
            ? `; ${COREDNS_ETCD} ${fmt(e ? cpu(e) : NaN, 1)} µs (${fmt(s && e ? cpu(s) / cpu(e) : NaN, 2)}×)`
            : '') +
          `; Knot ${fmt(k ? cpu(k) : NaN, 1)} µs`,
        Number.isFinite(r) ? r <= 1 / 3 : undefined,
      );
    }
    // Goals (issue 17): CPU per answered question on (a) ≤ dnsmasq's, then ≤ 2 × Knot's; on (b) ≤ ½ dnsmasq's;
    // and the batched UDP path no worse than dgram anywhere.
    const cpuOf = (id: string, t: Target): number => {
      const r = rowOf(id, t);
      return r === undefined ? Number.NaN : cpu(r);
    };
    const goalRatio = (label: string, id: string, peer: Target, factor: number): void => {
      const r = cpuOf(id, sky) / cpuOf(id, peer);
      report.goal(
        label,
        `${fmt(cpuOf(id, sky), 1)} vs ${fmt(cpuOf(id, peer), 1)} µs = ${fmt(r, 2)}× (goal ≤ ${factor}×); -workers=2 ${fmt(cpuOf(id, tWorkers), 1)} µs; dgram ${fmt(cpuOf(id, tDgram), 1)} µs`,
        Number.isFinite(r) ? r <= factor : undefined,
      );
    };
    goalRatio("CPU per answered question on (a) ≤ dnsmasq's", 'a', dm, 1);
    goalRatio("CPU per answered question on (a) ≤ 2 × Knot's", 'a', tKnot, 2);
    goalRatio("CPU per answered question on (b) SRV ≤ 0.5 × dnsmasq's", 'b', dm, 0.5);
    const worse = scenarios
      .filter((sc) => sc.targets.includes(tDgram))
      .filter((sc) => !(cpuOf(sc.id, sky) <= cpuOf(sc.id, tDgram)));
    report.goal(
      'batched UDP no worse than dgram (CPU per answered question, every scenario)',
      scenarios
        .filter((sc) => sc.targets.includes(tDgram))
        .map((sc) => `(${sc.id}) ${fmt(cpuOf(sc.id, sky), 1)} vs ${fmt(cpuOf(sc.id, tDgram), 1)}`)
        .join('; '),
      worse.length === 0,
    );
    const aSky = rowOf('a', sky);
    const lat = aSky?.latency?.r;
    const p99a = lat?.latency?.p99 ?? NaN;
    const reached = (lat?.qps ?? 0) >= 0.95 * args.rate;
    report.goal(
      `p99 ≤ 2 ms at ${int(args.rate)} qps offered (a)`,
      `p99 ${fmt(p99a, 3)} ms; answered ${int(lat?.qps ?? NaN)} qps${reached ? '' : ' (could not keep up with the offered rate)'}`,
      Number.isFinite(p99a) ? p99a <= 2 && reached : undefined,
    );
    // Paced runs the server kept up with (answered ≥ 95 % of the offered rate) are below saturation.
    const paced = rows
      .filter((r) => r.target === sky || r.target === off)
      .flatMap(
        (r) =>
          [
            [r.latency, args.rate],
            [r.low, args['low-rate']],
          ] as const,
      );
    const belowSaturation = paced
      .filter((x): x is readonly [Measured, number] => x[0] !== undefined && x[0].r.qps >= 0.95 * x[1])
      .map(([m]) => m.r);
    const lostBelow = belowSaturation.reduce((n, r) => n + r.lost, 0);
    report.goal(
      'no lost queries below saturation',
      belowSaturation.length === 0
        ? 'no skydns paced run kept up with its offered rate'
        : `${int(lostBelow)} lost in ${belowSaturation.length} paced skydns run(s) that kept up with the offered rate`,
      belowSaturation.length === 0 ? undefined : lostBelow === 0,
    );
    report.data['api'] = args.api;
    report.data['servers'] = Object.fromEntries([
      [SKYDNS, skydns.process.name],
      ...peers.map((p) => [p.process.name, p.command]),
      [DNSMASQ, masq.command],
    ]);
    report.data['rows'] = rows.map((r) => ({
      scenario: r.scenario.id,
      title: r.scenario.title,
      target: r.target.label,
      qps: qps(r),
      cpuUsPerQuestion: cpu(r),
      systemUsPerQuestion: sys(r),
      p99LowMs: r.low?.r.latency?.p99 ?? null,
      runs: r.runs,
      latency: r.latency,
      low: r.low,
    }));
    report.write();
  } finally {
    await stopAll(
      skydns?.process,
      nocache?.process,
      dgram?.process,
      workers?.process,
      ...peers.map((p) => p.process),
      masq?.process,
      kube2sky?.process,
      sandbox?.process,
    );
    await sandbox?.stop?.();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
