// Scale-out on etcd (issue 16): one kube2sky and three skydns replicas on a 3-member etcd cluster, as
// manifests/examples/shared-etcd.yaml lays them out. Propagation from an API change until every
// replica answers, and etcd's load (watchers, revisions per second, database size) while 10,000
// services are created and deleted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster, waitFor } from '@kube-dns-legacy/testkit';
import { parseArgs } from '../lib/args.js';
import { memoryMiB } from '../lib/procfs.js';
import { Report, table } from '../lib/report.js';
import { ApiClient, clusterIpService, pool } from '../lib/sandbox-client.js';
import { QTYPES, UdpProbe } from '../lib/udp-probe.js';
import {
  DOMAIN,
  kube2skyReady,
  pidOf,
  type Skydns,
  startKube2sky,
  startSandbox,
  startSkydns,
  stopAll,
} from '../lib/stack.js';
import { fmt, int, summarize } from '../lib/stats.js';

const args = parseArgs(
  'bench-scaleout',
  'Three skydns replicas on a 3-member etcd cluster: propagation to every replica, etcd load under churn (issue 16).',
  {
    replicas: ['skydns replicas', 3, 3],
    changes: ['services created (then deleted) one at a time for the propagation figures', 300, 60],
    rate: ['changes per second in the propagation run', 50, 50],
    churn: ['services created and then deleted as fast as the API takes them, for the etcd load', 10_000, 1_000],
  },
);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One probe socket per replica. */
const probes = new Map<Skydns, UdpProbe>();

/** Milliseconds from `start` until `name` answers (or, with `present` false, is NXDOMAIN) on the replica, asked every 2 ms for 10 s at most. */
async function answered(s: Skydns, name: string, present: boolean, start: number): Promise<number> {
  const probe = probes.get(s) ?? (await UdpProbe.open(s.dnsPort));
  probes.set(s, probe);
  const deadline = start + 10_000;
  for (;;) {
    const r = await probe.query(name, QTYPES.A, 500);
    if (r !== undefined && (r.rcode === 0 && r.answers > 0) === present) return performance.now() - start;
    if (performance.now() > deadline) return Number.NaN;
    await sleep(2);
  }
}

/** etcd's own gauges from one member's /metrics (the client port serves them). */
async function etcdGauges(endpoint: string): Promise<{ watchers: number; dbBytes: number }> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { watchers: value('etcd_debugging_mvcc_watcher_total'), dbBytes: value('etcd_mvcc_db_total_size_in_bytes') };
}

async function revision(etcd: EtcdCluster): Promise<number> {
  const out = JSON.parse(
    await etcd.etcdctl(['get', '/skydns/', '--prefix', '--limit=1', '--keys-only', '-w', 'json']),
  ) as { header: { revision: number | string } };
  return Number(out.header.revision);
}

async function main(): Promise<void> {
  const report = new Report('scaleout', 'Scale-out: skydns replicas on a 3-member etcd cluster (e2e/bench/scaleout)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-scaleout-'));
  const etcd = await EtcdCluster.start({ size: 3 });
  const sandbox = await startSandbox(dir);
  const kube2sky = await startKube2sky(etcd, sandbox.kubeconfig);
  const replicas: Skydns[] = [];
  try {
    await kube2skyReady(kube2sky);
    for (let i = 0; i < args.replicas; i++) replicas.push(await startSkydns(etcd, [], `skydns-${i}`));
    const api = new ApiClient(sandbox.url);
    const path = '/api/v1/namespaces/default/services';

    // Propagation: one change at a time at a fixed rate; the time until every replica answers.
    const create: number[][] = [];
    const remove: number[][] = [];
    for (const [phase, samples] of [
      ['create', create],
      ['delete', remove],
    ] as const) {
      const waits: Promise<void>[] = [];
      for (let i = 0; i < args.changes; i++) {
        const name = `p-${i}`;
        const fqdn = `${name}.default.svc.${DOMAIN}.`;
        if (phase === 'create')
          await api.create(path, clusterIpService(name, [{ name: 'http', port: 80, protocol: 'TCP' }]));
        else await api.remove(`${path}/${name}`);
        const start = performance.now();
        waits.push(
          Promise.all(replicas.map((r) => answered(r, fqdn, phase === 'create', start))).then(
            (t) => void samples.push(t),
          ),
        );
        await sleep(1000 / args.rate);
      }
      await Promise.all(waits);
    }
    const row = (label: string, samples: number[][]): string[] => {
      const every = summarize(samples.map((t) => Math.max(...t)));
      const each = summarize(samples.flat());
      const missed = samples.filter((t) => t.some((x) => Number.isNaN(x))).length;
      return [
        label,
        fmt(each.p50, 1),
        fmt(each.p99, 1),
        fmt(every.p50, 1),
        fmt(every.p99, 1),
        fmt(every.max, 1),
        int(missed),
      ];
    };
    report.add(
      `Propagation: ${int(args.changes)} services created, then deleted, one at a time at ${args.rate}/s through the sandbox API; each replica asked every 2 ms from the moment the API call returned.`,
    );
    report.add(
      table(
        [
          'change',
          'one replica p50 ms',
          'one replica p99 ms',
          'every replica p50 ms',
          'every replica p99 ms',
          'every replica max ms',
          'not seen in 10 s',
        ],
        [row('create → answers', create), row('delete → NXDOMAIN', remove)],
      ),
    );

    // etcd's load while 10,000 services are created and deleted as fast as the API takes them.
    const members = etcd.endpoints;
    const before = await Promise.all(members.map(etcdGauges));
    const rev0 = await revision(etcd);
    let t = performance.now();
    const ids = Array.from({ length: args.churn }, (_, i) => i);
    let peakWatchers = 0;
    const sampler = setInterval(() => {
      void Promise.all(members.map(etcdGauges)).then(
        (g) => {
          peakWatchers = Math.max(peakWatchers, ...g.map((x) => x.watchers));
        },
        () => undefined,
      );
    }, 500);
    await pool(ids, 32, async (i) => {
      await api.create(path, clusterIpService(`c-${i}`, [{ name: 'http', port: 80, protocol: 'TCP' }]));
    });
    const last = `c-${args.churn - 1}.default.svc.${DOMAIN}.`;
    await waitFor(
      'the last service on every replica',
      async () =>
        (await Promise.all(replicas.map((r) => answered(r, last, true, performance.now())))).every(Number.isFinite),
      300_000,
      100,
    );
    const createS = (performance.now() - t) / 1000;
    const rev1 = await revision(etcd);
    const afterCreate = await Promise.all(members.map(etcdGauges));
    t = performance.now();
    await pool(ids, 32, async (i) => {
      await api.remove(`${path}/c-${i}`);
    });
    await waitFor(
      'the last service gone from every replica',
      async () =>
        (await Promise.all(replicas.map((r) => answered(r, last, false, performance.now())))).every(Number.isFinite),
      300_000,
      100,
    );
    const deleteS = (performance.now() - t) / 1000;
    clearInterval(sampler);
    const rev2 = await revision(etcd);
    const after = await Promise.all(members.map(etcdGauges));
    api.close();
    for (const p of probes.values()) p.close();
    const mib = (b: number): string => fmt(b / 1024 / 1024, 1);
    report.add(
      table(
        [
          'churn',
          'seconds until every replica agrees',
          'etcd revisions',
          'revisions per second',
          'etcd db size MiB (per member, after)',
        ],
        [
          [
            `${int(args.churn)} services created`,
            fmt(createS, 1),
            int(rev1 - rev0),
            int((rev1 - rev0) / createS),
            afterCreate.map((g) => mib(g.dbBytes)).join(' / '),
          ],
          [
            `${int(args.churn)} services deleted`,
            fmt(deleteS, 1),
            int(rev2 - rev1),
            int((rev2 - rev1) / deleteS),
            after.map((g) => mib(g.dbBytes)).join(' / '),
          ],
        ],
      ),
    );
    report.add(
      `etcd watchers (etcd_debugging_mvcc_watcher_total, per member): ${before.map((g) => int(g.watchers)).join(' / ')} before the churn, at most ${int(peakWatchers)} on one member during it — one watch per skydns replica, none from kube2sky (it polls the revision). ` +
        `Resident memory after the churn: ${replicas.map((r) => `${r.process.name} ${fmt(memoryMiB(pidOf(r.process)).rss, 1)} MiB`).join(', ')}.`,
    );
    const everyP99 = summarize(create.map((x) => Math.max(...x))).p99;
    report.goal('every replica answers a new service (p99)', `${fmt(everyP99, 1)} ms`, Number.isFinite(everyP99));
    report.data['propagation'] = { create, remove };
    report.data['churn'] = {
      createS,
      deleteS,
      revisions: [rev0, rev1, rev2],
      peakWatchers,
      dbBytes: after.map((g) => g.dbBytes),
    };
    report.write();
  } finally {
    await stopAll(...replicas.map((r) => r.process), kube2sky.process, sandbox.process);
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
