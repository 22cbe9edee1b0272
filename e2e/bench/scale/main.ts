// Scale: 10,000 ClusterIP services, 1,000 headless services with 20 endpoints, 20,000 pods in the
// sandbox; kube2sky start to ready, keys, transactions, skydns load time, RSS, a forced resync's
// writes, and big (namespace-wide, wildcard) answers while other queries flow (issue 7, part 3); on a real
// kube-apiserver by default, with CoreDNS's kubernetes plugin (`pods verified`) on the same objects: its
// time to ready and RSS against the whole pod's (etcd + kube2sky + skydns) (issue 12).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdServer, waitFor } from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { heapSummary, takeHeapSnapshot } from '../lib/heap.js';
import { pidByCmdline, readyPort, startCoredns, type PeerServer } from '../lib/peers.js';
import { dig, type DigResult } from '../lib/dig.js';
import { dnsperf, type DnsperfResult } from '../lib/dnsperf.js';
import { memoryMiB } from '../lib/procfs.js';
import { Report, table } from '../lib/report.js';
import { ApiClient } from '../lib/sandbox-client.js';
import {
  DOMAIN,
  kube2skyReady,
  metric,
  pidOf,
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
import { expectedKeys, populate, type ScaleSizes } from './populate.js';

const args = parseArgs(
  'bench-scale',
  'kube2sky and skydns with a big cluster in the sandbox (issue 7, part 3).',
  {
    services: ['ClusterIP services (two named ports each)', 10_000, 1_000],
    headless: ['headless services (one EndpointSlice each)', 1_000, 100],
    endpoints: ['ready endpoints per headless service', 20, 20],
    pods: ['running pods', 20_000, 2_000],
    namespaces: ['namespaces the objects are spread over', 50, 10],
    'resync-s': ['kube2sky --resync-period in seconds (the forced resync that must write nothing)', 20, 8],
    'flow-s': ['seconds of background queries in the big-answer test', 10, 3],
    'flow-qps': ['background queries per second (dnsperf -Q) in the big-answer test', 5_000, 5_000],
    'load-timeout-s': ['how long skydns may take to load the tree', 180, 60],
  },
  {
    api: [
      'the API server: a real kube-apiserver and kube-controller-manager (built from Go modules on first use; CoreDNS is then measured beside ours), or the sandbox',
      ['real', 'sandbox'],
    ],
  },
);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The etcd revision and key count under /skydns/ (etcdctl, API v3: a range limited to one key still reports the count of all). */
async function etcdState(etcd: EtcdServer): Promise<{ revision: number; keys: number }> {
  const out = JSON.parse(
    await etcd.etcdctl('get', '--prefix', '/skydns/', '--limit=1', '--keys-only', '-w', 'json'),
  ) as { header: { revision: number | string }; count?: number | string };
  return { revision: Number(out.header.revision), keys: Number(out.count ?? 0) };
}

/** `nodejs_heap_size_used_bytes` (whatever the metric prefix) from a /metrics endpoint, in MiB. */
async function heapUsedMiB(port: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^\S*nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]) / 1024 / 1024;
  } catch {
    return NaN;
  }
}

/** Resident memory sampled every 500 ms for `ms`: the last sample and the largest. */
async function steadyRss(pid: number, ms: number): Promise<ReturnType<typeof memoryMiB>> {
  let last = memoryMiB(pid);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await sleep(500);
    last = memoryMiB(pid);
  }
  return last;
}

interface BigOutcome {
  readonly udpOk: boolean;
  readonly tcpOk: boolean;
  readonly blocked: boolean;
  readonly baseline: DnsperfResult;
  readonly during: DnsperfResult;
  readonly samples: Record<string, DigResult[]>;
}

/** Namespace-wide and wildcard questions asked back to back with dig while dnsperf keeps ordinary questions flowing. */
async function bigAnswers(dir: string, skydns: Skydns, report: Report): Promise<BigOutcome> {
  // Big answers while ordinary queries keep flowing.
  const flowFile = join(dir, 'flow.txt');
  writeFileSync(
    flowFile,
    Array.from(
      { length: 1000 },
      (_, i) => `svc-${(i * 7) % args.services}.scale-${((i * 7) % args.services) % args.namespaces}.svc.${DOMAIN} A\n`,
    ).join(''),
  );
  const flow = (): Promise<DnsperfResult> =>
    dnsperf({
      port: skydns.dnsPort,
      queryFile: flowFile,
      seconds: args['flow-s'],
      maxQps: args['flow-qps'],
      verboseFile: join(dir, 'flow-v.txt'),
      serverPid: pidOf(skydns.process),
    });
  const baseline = await flow();
  const big: Array<{ label: string; name: string; options: string[] }> = [
    { label: 'namespace-wide, UDP (EDNS 1232)', name: `scale-0.svc.${DOMAIN}`, options: [] },
    { label: 'namespace-wide, TCP', name: `scale-0.svc.${DOMAIN}`, options: ['+tcp'] },
    { label: 'wildcard *.scale-0, UDP no EDNS (512)', name: `*.scale-0.svc.${DOMAIN}`, options: ['+noedns'] },
    { label: 'wildcard *.scale-0, TCP', name: `*.scale-0.svc.${DOMAIN}`, options: ['+tcp'] },
    { label: 'whole domain *.svc, UDP (EDNS 1232)', name: `*.svc.${DOMAIN}`, options: [] },
    { label: 'whole domain *.svc, TCP', name: `*.svc.${DOMAIN}`, options: ['+tcp'] },
    { label: 'headless service, TCP', name: `hl-0.scale-0.svc.${DOMAIN}`, options: ['+tcp'] },
  ];
  const samples = new Map<string, DigResult[]>();
  let stop = false;
  const hammer = (async (): Promise<void> => {
    while (!stop) {
      // Each round asks every big question once (a round always completes, so each is asked at least once).
      for (const b of big) {
        const r = await dig(skydns.dnsPort, b.name, 'A', b.options);
        samples.set(b.label, [...(samples.get(b.label) ?? []), r]);
      }
    }
  })();
  const during = await flow();
  stop = true;
  await hammer;
  report.add(
    table(
      ['Big question (A)', 'asked', 'status', 'answers', 'TC', 'bytes', 'dig query time ms (median / max)'],
      big.map((b) => {
        const rs = samples.get(b.label) ?? [];
        const first = rs[0];
        const times = rs.map((r) => r.queryMs).sort((x, y) => x - y);
        return [
          b.label,
          int(rs.length),
          first?.status ?? '–',
          int(first?.answers ?? NaN),
          first === undefined ? '–' : first.truncated ? 'yes' : 'no',
          int(first?.bytes ?? NaN),
          `${fmt(times[Math.floor((times.length - 1) / 2)] ?? NaN, 0)} / ${fmt(times[times.length - 1] ?? NaN, 0)}`,
        ];
      }),
    ),
  );
  const flowRow = (label: string, r: DnsperfResult): string[] => [
    label,
    int(r.qps),
    fmt(r.latency?.p50 ?? NaN, 3),
    fmt(r.latency?.p99 ?? NaN, 3),
    fmt(r.latency?.max ?? NaN, 1),
    int(r.lost),
  ];
  report.add(
    table(
      [
        `Background flow (dnsperf -Q ${int(args['flow-qps'])}, ordinary A names)`,
        'qps',
        'p50 ms',
        'p99 ms',
        'max ms',
        'lost',
      ],
      [flowRow('alone', baseline), flowRow('while the big questions above are asked back to back', during)],
    ),
  );

  const udpOk = big
    .filter((b) => !b.options.includes('+tcp'))
    .every((b) => {
      const r = samples.get(b.label)?.[0];
      return r !== undefined && r.bytes <= (b.options.includes('+noedns') ? 512 : 1232);
    });
  const tcpOk = big
    .filter((b) => b.options.includes('+tcp'))
    .every((b) => {
      const r = samples.get(b.label)?.[0];
      return r !== undefined && r.status === 'NOERROR' && r.bytes <= 65535;
    });
  const blocked = during.lost > 0 || (during.latency?.p99 ?? Infinity) > Math.max(10, 5 * (baseline.latency?.p99 ?? 0));
  return { udpOk, tcpOk, blocked, baseline, during, samples: Object.fromEntries(samples) };
}

async function main(): Promise<void> {
  const report =
    args.api === 'real'
      ? new Report('scale', 'Scale: a big cluster on a real kube-apiserver, beside CoreDNS (e2e/bench/scale)')
      : new Report('scale-sandbox', 'Scale: a big cluster in the sandbox API (e2e/bench/scale --api sandbox)');
  const sizes: ScaleSizes = {
    namespaces: args.namespaces,
    clusterIpServices: args.services,
    headlessServices: args.headless,
    endpointsPerHeadless: args.endpoints,
    pods: args.pods,
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  let etcd: EtcdServer | undefined;
  let sandbox: Sandbox | undefined;
  let kube2sky: Kube2sky | undefined;
  let skydns: Skydns | undefined;
  let coredns: PeerServer | undefined;
  try {
    sandbox = args.api === 'real' ? await startRealApi(dir) : await startSandbox(dir);
    const api = new ApiClient(sandbox.url, sandbox.credentials);
    let t = performance.now();
    const calls = await populate(api, sizes);
    api.close();
    const populateS = (performance.now() - t) / 1000;
    report.add(
      `${args.api === 'real' ? 'A real kube-apiserver and kube-controller-manager (packages/control-plane)' : 'The sandbox'} populated through its HTTP API: ${int(args.services)} ClusterIP services (ports http/80 and grpc/9090), ${int(args.headless)} headless services with one EndpointSlice of ${args.endpoints} ready endpoints each (hostnames web-0…, pod IPs), ` +
        `${int(args.pods)} running pods, over ${args.namespaces} namespaces: ${int(calls)} POSTs in ${fmt(populateS, 1)} s (${int(calls / populateS)}/s, 32 in flight).`,
    );

    // kube2sky: start to /readiness 200 against an empty etcd.
    etcd = await EtcdServer.start();
    t = performance.now();
    kube2sky = await startKube2sky(etcd, sandbox.kubeconfig, [`--resync-period=${args['resync-s']}s`]);
    const readyAt = await kube2skyReady(kube2sky, 600_000);
    const readyS = (readyAt - t) / 1000;
    const k2 = kube2sky.healthzPort;
    const afterReady = await etcdState(etcd);
    const expected = expectedKeys(sizes);
    const keysPut = await metric(k2, 'kube2sky_etcd_keys_put_total');
    const txns = await metric(k2, 'kube2sky_etcd_transactions_total');
    const desired = await metric(k2, 'kube2sky_desired_keys');

    // skydns: time to load the tree (its "loaded records from etcd" log line, timestamped by winston).
    const skyStart = Date.now();
    skydns = await startSkydns(etcd);
    let loadS = NaN;
    let loadedRecords = NaN;
    let loadError: string | undefined;
    try {
      const loaded = await skydns.process.waitForOutput(
        /\{[^\n]*"loaded records from etcd"[^\n]*\}/,
        args['load-timeout-s'] * 1000,
      );
      const line = JSON.parse(loaded[0]) as { records?: number; timestamp?: string };
      loadS = (Date.parse(line.timestamp ?? '') - skyStart) / 1000;
      loadedRecords = line.records ?? NaN;
    } catch {
      const warnings = skydns.process.output.split('\n').filter((l) => l.includes('"warn"') || l.includes('"error"'));
      loadError = `no "loaded records from etcd" within ${args['load-timeout-s']} s; last warning: ${warnings[warnings.length - 1] ?? '(none)'}`;
    }

    report.add(
      table(
        ['Measured', 'Value'],
        [
          ['kube2sky start → /readiness 200 (initial lists written to etcd, stale keys swept)', `${fmt(readyS, 2)} s`],
          [
            'keys under /skydns/ in etcd at readiness (etcdctl, count of the range)',
            `${int(afterReady.keys)} (expected ${int(expected)}; kube2sky_desired_keys ${int(desired)})`,
          ],
          ['keys written (kube2sky_etcd_keys_put_total)', int(keysPut)],
          [
            'etcd transactions (kube2sky_etcd_transactions_total)',
            `${int(txns)} (${fmt(keysPut / txns, 1)} keys each)`,
          ],
          [
            'skydns start → tree loaded (its "loaded records from etcd" log line)',
            loadError === undefined ? `${fmt(loadS, 2)} s, ${int(loadedRecords)} records` : `**failed**: ${loadError}`,
          ],
        ],
      ),
    );

    // CoreDNS as clusters run it (kubernetes plugin, `pods verified`, cache 30) on the same objects: spawn → its `ready` plugin says 200 and it answers a pod-backed name.
    let corednsReadyS = NaN;
    if (args.api === 'real') {
      const t0 = performance.now();
      const lastHeadless = `web-0.hl-${args.headless - 1}.scale-${(args.headless - 1) % args.namespaces}.svc.${DOMAIN}`;
      coredns = await startCoredns(dir, {
        backend: { plugin: 'kubernetes', kubeconfig: sandbox.kubeconfig },
        readyPort: await readyPort(),
        probeName: lastHeadless,
      });
      corednsReadyS = (performance.now() - t0) / 1000;
    }

    // Steady resident memory, after all have settled (sampled at the same time).
    const etcdPid = pidByCmdline(`\0${etcd.dataDir}\0`);
    const none = { rss: NaN, peak: NaN, anon: NaN, file: NaN };
    const [k2Mem, skyMem, apiMem, etcdMem, cdMem] = await Promise.all([
      steadyRss(pidOf(kube2sky.process), 5000),
      steadyRss(pidOf(skydns.process), 5000),
      steadyRss(pidOf(sandbox.process), 5000),
      etcdPid === undefined ? none : steadyRss(etcdPid, 5000),
      coredns === undefined ? none : steadyRss(pidOf(coredns.process), 5000),
    ]);
    const k2Heap = await heapUsedMiB(k2);
    const skyHeap = await heapUsedMiB(skydns.metricsPort);
    const etcdDbMiB = (await metric(etcd.clientPort, 'etcd_mvcc_db_total_size_in_use_in_bytes')) / 1024 / 1024;
    const pod = etcdMem.rss + k2Mem.rss + skyMem.rss;
    const podPeak = etcdMem.peak + k2Mem.peak + skyMem.peak;
    report.add(
      table(
        ['Process', 'steady RSS MiB', 'peak RSS MiB (VmHWM)', 'what is in it'],
        [
          [
            "etcd (the pod's own)",
            fmt(etcdMem.rss),
            fmt(etcdMem.peak),
            `the records (bbolt file in use ${fmt(etcdDbMiB)} MiB, mapped) and etcd's index and caches`,
          ],
          [
            'kube2sky',
            fmt(k2Mem.rss),
            fmt(k2Mem.peak),
            `anonymous ${fmt(k2Mem.anon)}, file-backed ${fmt(k2Mem.file)}; V8 heap used ${fmt(k2Heap)} MiB; the desired state packed off the heap`,
          ],
          [
            `skydns${loadError === undefined ? '' : ' (tree not loaded)'}`,
            fmt(skyMem.rss),
            fmt(skyMem.peak),
            `anonymous ${fmt(skyMem.anon)}, file-backed ${fmt(skyMem.file)}; V8 heap used ${fmt(skyHeap)} MiB; the tree is packed off the heap`,
          ],
          ['**the pod: etcd + kube2sky + skydns**', `**${fmt(pod)}**`, fmt(podPeak), ''],
          ...(coredns === undefined
            ? []
            : [
                [
                  'CoreDNS (kubernetes plugin, `pods verified`)',
                  fmt(cdMem.rss),
                  fmt(cdMem.peak),
                  `informer caches of Services, EndpointSlices, Namespaces and Pods; ready ${fmt(corednsReadyS, 2)} s after spawn`,
                ],
              ]),
          [
            `${args.api === 'real' ? 'kube-apiserver' : 'sandbox API server'} (not a goal)`,
            fmt(apiMem.rss),
            fmt(apiMem.peak),
            '–',
          ],
        ],
      ),
    );
    if (coredns !== undefined) {
      report.add(
        `Time to ready on the same objects: kube2sky ${fmt(readyS, 2)} s from spawn to /readiness 200 against an empty etcd, then skydns ${fmt(loadS, 2)} s to load the tree; ` +
          `CoreDNS ${fmt(corednsReadyS, 2)} s from spawn until its \`ready\` plugin says 200 and it answers the last headless endpoint's name (started after skydns, with the API server's watch cache warm).`,
      );
      report.chart('rss', {
        title: `Resident memory with ${int(expected)} records`,
        unit: 'MiB (VmRSS, steady)',
        lowerIsBetter: true,
        decimals: 0,
        subtitle: `${int(args.services)} Services, ${int(args.headless)} headless × ${args.endpoints} endpoints, ${int(args.pods)} Pods on a real kube-apiserver`,
        groups: [
          {
            label: 'the same objects',
            bars: [
              {
                series: 'kube-dns-legacy pod',
                parts: [
                  { label: 'etcd', value: etcdMem.rss },
                  { label: 'kube2sky', value: k2Mem.rss },
                  { label: 'skydns', value: skyMem.rss },
                ],
                note: `${fmt(pod / cdMem.rss, 2)}× CoreDNS`,
              },
              { series: 'CoreDNS (kubernetes)', value: cdMem.rss },
            ],
          },
        ],
      });
    }

    // A forced resync (--resync-period): etcd is re-read and compared; nothing may be written.
    const loads0 = await metric(k2, 'kube2sky_etcd_request_duration_seconds_count', 'op="load"');
    const put0 = await metric(k2, 'kube2sky_etcd_keys_put_total');
    const del0 = await metric(k2, 'kube2sky_etcd_keys_deleted_total');
    const txn0 = await metric(k2, 'kube2sky_etcd_transactions_total');
    const before = await etcdState(etcd);
    const resyncWait = performance.now();
    await waitFor(
      'a periodic resync to re-read etcd',
      async () => (await metric(k2, 'kube2sky_etcd_request_duration_seconds_count', 'op="load"')) > loads0,
      (args['resync-s'] + 120) * 1000,
      100,
    );
    await waitFor(
      'kube2sky to be idle after the resync',
      async () => (await metric(k2, 'kube2sky_sync_lag_seconds')) === 0,
      120_000,
      100,
    );
    await sleep(500);
    const resyncDoneS = (performance.now() - resyncWait) / 1000;
    // kube2sky idle again after that resync (the first sample above may fall inside the first 20 s resync).
    const k2Idle = await steadyRss(pidOf(kube2sky.process), 5000);
    const k2IdleHeap = await heapUsedMiB(k2);
    // BENCH_HEAP_SNAPSHOT=<dir>: where kube2sky's and skydns's heap is, by what holds it (after every
    // memory sample: writing a snapshot takes memory of its own).
    const snapshots = process.env['BENCH_HEAP_SNAPSHOT'];
    if (snapshots !== undefined && snapshots !== '')
      for (const [name, proc] of [
        ['kube2sky', kube2sky.process],
        ['skydns', skydns.process],
      ] as const)
        report.add(
          `V8 heap snapshot of ${name} (self sizes by object constructor or node type, MiB):\n\n${table(
            ['held by', 'MiB', 'nodes'],
            heapSummary(await takeHeapSnapshot(pidOf(proc), snapshots)),
          )}`,
        );
    const after = await etcdState(etcd);
    const resyncPuts = (await metric(k2, 'kube2sky_etcd_keys_put_total')) - put0;
    const resyncDeletes = (await metric(k2, 'kube2sky_etcd_keys_deleted_total')) - del0;
    const resyncTxns = (await metric(k2, 'kube2sky_etcd_transactions_total')) - txn0;
    const loadMs =
      (1000 * (await metric(k2, 'kube2sky_etcd_request_duration_seconds_sum', 'op="load"'))) /
      (await metric(k2, 'kube2sky_etcd_request_duration_seconds_count', 'op="load"'));
    report.add(
      `Forced resync (\`--resync-period=${args['resync-s']}s\`, observed ${fmt(resyncDoneS, 1)} s after the measurement started): ${int(resyncPuts)} keys put, ${int(resyncDeletes)} deleted, ` +
        `${int(resyncTxns)} transactions; etcd revision ${before.revision} → ${after.revision}. Mean etcd read of the whole tree (op="load"): ${fmt(loadMs, 0)} ms. ` +
        `kube2sky idle after it: RSS ${fmt(k2Idle.rss)} MiB (anonymous ${fmt(k2Idle.anon)}, file-backed ${fmt(k2Idle.file)}; V8 heap used ${fmt(k2IdleHeap)} MiB), peak so far ${fmt(k2Idle.peak)} MiB.`,
    );

    const big = loadError === undefined ? await bigAnswers(dir, skydns, report) : undefined;
    if (coredns !== undefined) {
      report.goal(
        "whole-pod RSS ≤ 1.5 × CoreDNS's at scale",
        `${fmt(pod)} MiB (etcd ${fmt(etcdMem.rss)} + kube2sky ${fmt(k2Mem.rss)} + skydns ${fmt(skyMem.rss)}) vs CoreDNS ${fmt(cdMem.rss)} MiB = ${fmt(pod / cdMem.rss, 2)}×`,
        Number.isFinite(pod / cdMem.rss) ? pod <= 1.5 * cdMem.rss : undefined,
      );
    }
    report.goal('kube2sky start → ready ≤ 15 s', `${fmt(readyS, 2)} s`, readyS <= 15);
    report.goal('kube2sky RSS ≤ 150 MB', `${fmt(k2Mem.rss)} MiB steady (peak ${fmt(k2Mem.peak)})`, k2Mem.rss <= 150);
    report.goal(
      'skydns RSS ≤ 150 MB',
      `${fmt(skyMem.rss)} MiB steady (peak ${fmt(skyMem.peak)})${loadError === undefined ? '' : ', tree not loaded'}`,
      loadError === undefined ? skyMem.rss <= 150 : undefined,
    );
    // Issue 17: the tighter budgets.
    report.goal(
      'kube2sky RSS ≤ 100 MiB (issue 17)',
      `${fmt(k2Idle.rss)} MiB idle after a resync (${fmt(k2Mem.rss)} MiB in the first sample, which may fall inside the first ${args['resync-s']} s resync; peak ${fmt(k2Idle.peak)})`,
      k2Idle.rss <= 100,
    );
    report.goal(
      'skydns RSS ≤ 80 MiB (issue 17)',
      `${fmt(skyMem.rss)} MiB steady`,
      loadError === undefined ? skyMem.rss <= 80 : undefined,
    );
    report.goal(
      'skydns loads the tree',
      loadError === undefined ? `${fmt(loadS, 2)} s, ${int(loadedRecords)} records` : loadError,
      loadError === undefined && loadedRecords === expected,
    );
    report.goal(
      'no-op resync writes 0 keys',
      `${int(resyncPuts)} put, ${int(resyncDeletes)} deleted, revision ${before.revision} → ${after.revision}`,
      resyncPuts === 0 && resyncDeletes === 0 && before.revision === after.revision,
    );
    report.goal(
      'all records in etcd at readiness',
      `${int(afterReady.keys)} of ${int(expected)}`,
      afterReady.keys === expected,
    );
    report.goal(
      'wildcard / namespace-wide answers within UDP/TCP limits',
      big === undefined
        ? 'skydns did not load the tree'
        : `UDP replies within 512/1232 bytes: ${big.udpOk ? 'yes' : 'no'}; TCP NOERROR within 65,535: ${big.tcpOk ? 'yes' : 'no'}`,
      big === undefined ? undefined : big.udpOk && big.tcpOk,
    );
    report.goal(
      '…without blocking other queries',
      big === undefined
        ? 'skydns did not load the tree'
        : `background p99 ${fmt(big.baseline.latency?.p99 ?? NaN, 2)} → ${fmt(big.during.latency?.p99 ?? NaN, 2)} ms, max ${fmt(big.during.latency?.max ?? NaN, 1)} ms, ${int(big.during.lost)} lost`,
      big === undefined ? undefined : !big.blocked,
    );
    report.data['api'] = args.api;
    report.data['sizes'] = sizes;
    report.data['readyS'] = readyS;
    report.data['keys'] = { etcd: afterReady.keys, expected, desired, put: keysPut, txns };
    report.data['skydnsLoad'] = { seconds: loadS, records: loadedRecords, error: loadError };
    report.data['heapMiB'] = { kube2sky: k2Heap, skydns: skyHeap };
    report.data['rss'] = { kube2sky: k2Mem, skydns: skyMem, etcd: etcdMem, pod, coredns: cdMem, sandbox: apiMem };
    report.data['etcdDbMiB'] = etcdDbMiB;
    report.data['corednsReadyS'] = corednsReadyS;
    report.data['resync'] = {
      puts: resyncPuts,
      deletes: resyncDeletes,
      txns: resyncTxns,
      revisionBefore: before.revision,
      revisionAfter: after.revision,
    };
    report.data['big'] = big;
    report.write();
  } finally {
    await stopAll(skydns?.process, coredns?.process, kube2sky?.process, sandbox?.process);
    await sandbox?.stop?.();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
