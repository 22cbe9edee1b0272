#!/usr/bin/env node
// `npm run soak`: the long reliability runs. Prints packets sent, crashes, the longest stall, faults
// injected and the final diff between desired and actual records; exits 1 when a requirement fails.
//
//   npm run soak                                  # 1,000,000 packets, a 10-minute churn with faults, 100,000 keys
//   npm run soak -- --minutes 2 --packets 200000  # a shorter try
import { parseArgs } from 'node:util';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { Cluster, putRecord, startSkydns } from '../src/reliability-cluster.js';
import { Churn, Prober, rng } from '../src/reliability-churn.js';
import { QTYPE } from '../src/reliability-dns.js';
import {
  PacketFuzzer,
  fuzz,
  keepRegression,
  startControl,
  startStallProbe,
  type Probe,
} from '../src/reliability-fuzz.js';
import { runStoreScale } from '../src/reliability-scale.js';
import { runTokenRotation } from '../src/reliability-credentials.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    packets: { type: 'string', default: '1000000' },
    keys: { type: 'string', default: '100000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000_007) },
    only: { type: 'string' },
  },
});
const MINUTES = Number(values.minutes);
const PACKETS = Number(values.packets);
const KEYS = Number(values.keys);
const SEED = Number(values.seed);
const ONLY = values.only;
if (!(MINUTES > 0) || !(PACKETS > 0) || !(KEYS > 0) || !Number.isInteger(SEED)) {
  console.error('soak: --minutes, --packets and --keys must be positive numbers and --seed an integer');
  process.exit(2);
}

const failures: string[] = [];
const report: Record<string, unknown> = { seed: SEED };
const log = (message: string): void => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}`);
const SVC = 'svc.cluster.local.';

async function soakFuzz(): Promise<void> {
  log(`fuzz: ${PACKETS} packets, seed ${SEED}`);
  const etcd = await EtcdServer.start();
  try {
    const kube = { priority: 10, weight: 10, ttl: 30 };
    await putRecord(etcd, `kubernetes.default.${SVC}`, { host: '10.0.0.1', ...kube });
    await putRecord(etcd, `_https._tcp.kubernetes.default.${SVC}`, {
      host: `kubernetes.default.${SVC}`,
      port: 443,
      ...kube,
    });
    await etcd.etcdctl(
      'put',
      '/skydns/arpa/in-addr/10/0/0/1',
      JSON.stringify({ host: `kubernetes.default.${SVC}`, ...kube }),
    );
    for (let i = 0; i < 40; i++) await putRecord(etcd, `big.default.${SVC}`, { host: `10.9.0.${i + 1}`, ...kube });
    const skydns = await startSkydns(etcd.endpoint, [], true);
    const pid = skydns.process.child.pid;
    const probes: Probe[] = [
      { name: `kubernetes.default.${SVC}`, type: QTYPE.A, answer: '10.0.0.1' },
      { name: '1.0.0.10.in-addr.arpa.', type: QTYPE.PTR, answer: `kubernetes.default.${SVC}` },
      {
        name: `_https._tcp.kubernetes.default.${SVC}`,
        type: QTYPE.SRV,
        answer: `10 100 443 kubernetes.default.${SVC}`,
      },
    ];
    const fuzzer = new PacketFuzzer(SEED);
    await Cluster.metric(skydns.metricsPort, 'skydns_skydns_nodejs_eventloop_lag_max_seconds');
    const probe = await startStallProbe(skydns.port, `kubernetes.default.${SVC}`);
    const control = await startControl();
    // The lag metric is read every 10 s (each read restarts its window): the longest stall is the largest window.
    let lagMaxMs = 0;
    let ownMaxMs = 0;
    const sampler = setInterval(() => {
      void Cluster.metric(skydns.metricsPort, 'skydns_skydns_nodejs_eventloop_lag_max_seconds').then(
        (s) => {
          lagMaxMs = Math.max(lagMaxMs, Math.round(s * 1000));
        },
        () => undefined,
      );
    }, 10_000);
    const result = await fuzz(skydns.port, fuzzer, probes, PACKETS, 200, async (problem, recent) => {
      log(`kept ${await keepRegression(SEED, problem, recent)} for: ${problem}`);
    });
    clearInterval(sampler);
    lagMaxMs = Math.max(
      lagMaxMs,
      Math.round(
        (await Cluster.metric(skydns.metricsPort, 'skydns_skydns_nodejs_eventloop_lag_max_seconds').catch(() => 0)) *
          1000,
      ),
    );
    const controlMs = await control.stop();
    const stall = await probe.stop();
    ownMaxMs = Math.max(0, lagMaxMs - controlMs);
    const crashes = skydns.process.alive && skydns.process.child.pid === pid ? 0 : 1;
    report['fuzz'] = {
      packetsSent: result.sent,
      udp: result.udp,
      tcp: result.tcp,
      validAnswered: result.validAnswered,
      wrongAnswers: result.wrong.length,
      udpRetries: result.udpRetries,
      tcpClosedByServer: result.tcpClosedByServer,
      crashes,
      elapsedMs: result.elapsedMs,
      packetsPerSecond: Math.round(result.sent / (result.elapsedMs / 1000)),
      kinds: Object.fromEntries(fuzzer.counts),
      longestStallMs: {
        skydnsEventLoop: lagMaxMs,
        idleControl: controlMs,
        skydnsOwn: ownMaxMs,
        probeReply: stall.maxMs,
        probeRepliesOver100ms: stall.over100ms,
        probeLost: stall.lost,
        probeSent: stall.sent,
      },
    };
    log(
      `fuzz: ${result.sent} packets (${result.udp} UDP, ${result.tcp} TCP) in ${Math.round(result.elapsedMs / 1000)} s, ${result.validAnswered} valid questions answered, ${result.wrong.length} wrong, crashes ${crashes}, longest event-loop stall ${lagMaxMs} ms (idle control ${controlMs} ms), probe's slowest reply ${stall.maxMs} ms`,
    );
    if (crashes > 0) failures.push('fuzz: skydns crashed');
    if (result.wrong.length > 0) failures.push(`fuzz: wrong answers: ${result.wrong.join('; ')}`);
    if (result.sent < PACKETS) failures.push(`fuzz: only ${result.sent} packets sent`);
    if (ownMaxMs >= 100) failures.push(`fuzz: event-loop stall of ${lagMaxMs} ms (idle control ${controlMs} ms)`);
    await skydns.process.stop();
  } finally {
    await etcd.stop();
  }
}

type Fault = 'etcd-kill' | 'etcd-kill-empty' | 'kube2sky-kill' | 'watch-drop' | 'watch-410' | 'api-500' | 'skydns-kill';
const FAULTS: readonly Fault[] = [
  'etcd-kill',
  'etcd-kill-empty',
  'kube2sky-kill',
  'watch-drop',
  'watch-410',
  'api-500',
  'skydns-kill',
];

async function inject(cluster: Cluster, fault: Fault): Promise<void> {
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  switch (fault) {
    case 'etcd-kill':
      await cluster.etcd.kill();
      await pause(3_000);
      await cluster.etcd.resume();
      return;
    case 'etcd-kill-empty':
      await cluster.etcd.kill();
      await pause(3_000);
      await cluster.etcd.resume({ empty: true });
      return;
    case 'kube2sky-kill':
      await cluster.killKube2sky();
      await pause(1_000);
      await cluster.startKube2sky();
      return;
    case 'watch-drop':
      cluster.api.faults.dropWatches();
      return;
    case 'watch-410':
      cluster.api.faults.goneOnWatch(true);
      cluster.api.faults.dropWatches();
      await pause(2_000);
      cluster.api.faults.goneOnWatch(false);
      return;
    case 'api-500':
      cluster.api.faults.failWith(500);
      cluster.api.faults.dropWatches();
      await pause(5_000);
      cluster.api.faults.failWith(undefined);
      return;
    case 'skydns-kill':
      await cluster.killSkydns();
      await pause(1_000);
      await cluster.startSkydns();
      return;
  }
}

async function soakChurn(): Promise<void> {
  log(`churn: ${MINUTES} minutes with faults, seed ${SEED}`);
  const cluster = await Cluster.start();
  const random = rng(SEED);
  const churn = new Churn(cluster, random, 60, 20);
  const stable = new Map<string, string>([[`kubernetes.default.${SVC}`, '10.0.0.1']]);
  const prober = new Prober(cluster.dnsPort, stable, 50);
  const faults: Record<string, number> = {};
  const convergeMs: number[] = [];
  let crashes = 0;
  let finalDiff = -1;
  let answersChecked = 0;
  const outageBad: string[] = [];
  try {
    await cluster.converge('the initial records');
    prober.start();
    churn.start();
    const end = Date.now() + MINUTES * 60_000;
    let round = 0;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(20_000 + random() * 20_000, Math.max(0, end - Date.now()))));
      if (Date.now() >= end) break;
      for (const [name, proc] of [
        ['kube2sky', cluster.kube2sky],
        ['skydns', cluster.skydns],
      ] as const) {
        if (proc?.alive !== true) {
          crashes++;
          log(`${name} crashed: ${proc?.output.slice(-2000) ?? ''}`);
          if (name === 'kube2sky') await cluster.startKube2sky();
          else await cluster.startSkydns();
        }
      }
      const fault = FAULTS[round++ % FAULTS.length] ?? 'watch-drop';
      faults[fault] = (faults[fault] ?? 0) + 1;
      prober.reset();
      await inject(cluster, fault);
      // Names that exist must keep answering through every fault but a skydns restart (no server)
      // and an etcd that came back empty (nothing to serve until kube2sky has rewritten it).
      if (fault !== 'skydns-kill' && fault !== 'etcd-kill-empty')
        outageBad.push(...prober.bad.map((b) => `${fault}: ${b}`));
      await churn.stop();
      const t0 = Date.now();
      await cluster.converge(`convergence after ${fault}`, 120_000);
      convergeMs.push(Date.now() - t0);
      answersChecked += await cluster.checkAnswers();
      log(`${fault}: converged in ${Date.now() - t0} ms; churn so far ${JSON.stringify(churn.counts)}`);
      churn.start();
    }
    await churn.stop();
    await cluster
      .converge('the final records', 120_000)
      .catch((err: Error) => failures.push(err.message.slice(0, 2000)));
    finalDiff = Object.values(await cluster.diff()).reduce((n, keys: string[]) => n + keys.length, 0);
    answersChecked += await cluster.checkAnswers();
  } finally {
    await churn.stop();
    await prober.stop();
    await cluster.close();
  }
  const injected = Object.values(faults).reduce((a, b) => a + b, 0);
  report['churn'] = {
    minutes: MINUTES,
    operations: churn.counts,
    faultsInjected: injected,
    faults,
    crashes,
    convergeMs: {
      max: Math.max(0, ...convergeMs),
      mean: Math.round(convergeMs.reduce((a, b) => a + b, 0) / Math.max(1, convergeMs.length)),
    },
    answersChecked,
    badAnswersDuringOutages: outageBad.length,
    finalDiff,
  };
  log(
    `churn: ${churn.total} changes, ${injected} faults injected ${JSON.stringify(faults)}, crashes ${crashes}, final diff ${finalDiff}, ${answersChecked} answers checked`,
  );
  if (crashes > 0) failures.push(`churn: ${crashes} crashes`);
  if (finalDiff !== 0) failures.push(`churn: final diff ${finalDiff}`);
  if (outageBad.length > 0)
    failures.push(
      `churn: ${outageBad.length} bad answers for existing names during faults: ${outageBad.slice(0, 5).join('; ')}`,
    );
}

async function soakScale(): Promise<void> {
  log(`store scale: ${KEYS} keys under one name`);
  const result = await runStoreScale(KEYS);
  report['scale'] = { ...result.figures, problems: result.problems };
  log(`store scale: ${JSON.stringify(result.figures)}`);
  for (const problem of result.problems) failures.push(`scale: ${problem}`);
}

async function soakCredentials(): Promise<void> {
  log('credentials: in-cluster token rotation (about 100 s)');
  const result = await runTokenRotation();
  report['credentials'] = { ...result.figures, problems: result.problems };
  log(`credentials: ${JSON.stringify(result.figures)}`);
  for (const problem of result.problems) failures.push(`credentials: ${problem}`);
}

const started = Date.now();
for (const [name, part] of [
  ['fuzz', soakFuzz],
  ['churn', soakChurn],
  ['scale', soakScale],
  ['credentials', soakCredentials],
] as const) {
  if (ONLY !== undefined && ONLY !== name) continue;
  try {
    await part();
  } catch (err) {
    failures.push(`${name}: ${(err as Error).stack ?? String(err)}`);
  }
}
report['elapsedSeconds'] = Math.round((Date.now() - started) / 1000);
report['failures'] = failures;
console.log(JSON.stringify(report, null, 2));
console.log(failures.length === 0 ? 'soak: PASS' : `soak: FAIL\n- ${failures.join('\n- ')}`);
await waitFor('output flushed', () => true, 1_000);
process.exit(failures.length === 0 ? 0 : 1);
