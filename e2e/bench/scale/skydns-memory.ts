// Where skydns's bytes go at scale: a fresh etcd gets 120,004 kube2sky-shaped records (as etcd-memory.ts
// writes them), then skydns starts once per variant (flags and NAME=value environment entries; `-workers=N`
// counts the primary and every worker) and its steady RSS 5 s after the tree loaded is printed with the
// parts of it (V8 heap, anonymous and file-backed pages), and what each module costs an idle process.
// Usage: skydns-memory.ts [--keys 120004] [--variants 'default;-workers=2']
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEtcd } from '@kube-dns-legacy/etcdkit';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EtcdServer, freeDnsPort, freePort, ManagedProcess, waitFor } from '@kube-dns-legacy/testkit';
import { heapSnapshotFlags, heapSummary, takeHeapSnapshot } from '../lib/heap.js';
import { memoryMiB, processTree } from '../lib/procfs.js';
import { table } from '../lib/report.js';
import { repoRoot } from '../lib/stack.js';
import { fmt, int } from '../lib/stats.js';
import { writeRecords } from './records.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('skydns-memory')
  .option('keys', { type: 'number', default: 120_004, describe: 'records written' })
  .option('variants', {
    type: 'string',
    default: 'default;-workers=2',
    describe:
      'skydns settings to compare, ";"-separated: flags, NAME=value environment entries and node:--v8-flag for Node itself, or "default"',
  })
  .option('modules', {
    type: 'boolean',
    default: true,
    describe: 'also measure what each module costs an idle process',
  })
  .option('snapshot', {
    type: 'boolean',
    default: true,
    describe: "also take a V8 heap snapshot of the first variant and print what holds the heap's bytes",
  })
  .strict()
  .help()
  .parseSync();

const SKYDNS = join(repoRoot, 'packages', 'skydns', 'dist', 'main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Measured {
  readonly processes: number;
  readonly rss: number;
  readonly peak: number;
  readonly perProcess: string;
  readonly anon: number;
  readonly file: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly loadS: number;
  /** The heap snapshot file, when one was asked for. */
  readonly snapshot: string | undefined;
}

async function measure(endpoint: string, variant: string, snapshotDir?: string): Promise<Measured> {
  const words = variant.split(' ').filter((w) => w !== '' && w !== 'default');
  const env = {
    PATH: process.env['PATH'] ?? '',
    MALLOC_ARENA_MAX: '2', // as the image sets it
    ...Object.fromEntries(
      words.filter((w) => !w.startsWith('-') && !w.startsWith('node:')).map((w) => w.split('=', 2) as [string, string]),
    ),
  };
  const metricsPort = await freePort();
  const started = performance.now();
  const proc = new ManagedProcess(
    'skydns',
    process.execPath,
    [
      ...words.filter((w) => w.startsWith('node:')).map((w) => w.slice('node:'.length)),
      SKYDNS,
      `-machines=${endpoint}`,
      `-addr=127.0.0.1:${await freeDnsPort()}`,
      '-domain=cluster.local.',
      '-no-rec',
      `-metrics-port=${metricsPort}`,
      ...words.filter((w) => w.startsWith('-')),
    ],
    { env, ...(snapshotDir === undefined ? {} : { cwd: snapshotDir }) },
  );
  try {
    await waitFor(
      'skydns ready',
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readiness`).catch(() => undefined))?.status === 200,
      120_000,
      100,
    );
    const loadS = (performance.now() - started) / 1000;
    await sleep(5000);
    const pid = proc.child.pid as number;
    const pids = processTree(pid);
    const each = pids.map(memoryMiB);
    const sum = (field: keyof ReturnType<typeof memoryMiB>): number => each.reduce((s, e) => s + e[field], 0);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const gauge = (name: string): number =>
      Number(new RegExp(`^skydns_skydns_${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN) / 1048576;
    const heapUsed = gauge('nodejs_heap_size_used_bytes');
    const heapTotal = gauge('nodejs_heap_size_total_bytes');
    const external = gauge('nodejs_external_memory_bytes');
    const spaces = [...metrics.matchAll(/^skydns_skydns_nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm)]
      .map((m) => `${m[1]} ${fmt(Number(m[2]) / 1048576)}`)
      .join(', ');
    process.stdout.write(`${variant}: V8 heap spaces committed (MiB): ${spaces}\n`);
    const snapshot = snapshotDir === undefined ? undefined : await takeHeapSnapshot(pid, snapshotDir);
    return {
      snapshot,
      processes: pids.length,
      rss: sum('rss'),
      peak: sum('peak'),
      perProcess: each.map((e) => fmt(e.rss)).join(' + '),
      anon: sum('anon'),
      file: sum('file'),
      heapUsed,
      heapTotal,
      external,
      loadS,
    };
  } finally {
    await proc.stop('SIGTERM', 10_000);
  }
}

/** RSS of an idle Node after importing each module in turn (from skydns's package, as it loads them). */
function moduleCosts(): string[][] {
  const modules = [
    './dist/dns2-packet.js',
    '@kube-dns-legacy/processkit/metrics',
    '@kube-dns-legacy/processkit',
    'yargs',
    '@kube-dns-legacy/etcdkit',
    '@kube-dns-legacy/udp-batch',
    './dist/app.js',
  ];
  const script = `
    const { readFileSync } = await import('node:fs');
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const out = [['node', rss(), process.memoryUsage().heapUsed / 1048576]];
    for (const m of ${JSON.stringify(modules)}) {
      await import(m);
      globalThis.gc(); globalThis.gc();
      out.push([m, rss(), process.memoryUsage().heapUsed / 1048576]);
    }
    process.stdout.write(JSON.stringify(out));`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    cwd: join(repoRoot, 'packages', 'skydns'),
    encoding: 'utf8',
  });
  const rows = JSON.parse(out) as Array<[string, number, number]>;
  return rows.map(([m, rss, heap], i) => {
    const prev = rows[i - 1];
    return [m, fmt(rss), prev === undefined ? '–' : `+${fmt(rss - prev[1])}`, fmt(heap)];
  });
}

const dir = mkdtempSync(join(tmpdir(), 'skydns-mem-'));
const etcd = await EtcdServer.start();
const url = etcd.endpoint;
const client = connectEtcd({ endpoints: [url], dialTimeoutMs: 3000 });
try {
  await writeRecords(client, argv.keys);
  const rows: string[][] = [];
  let snapshot: string | undefined;
  const snapshotDir = argv.snapshot ? join(dir, 'snapshot') : undefined;
  if (snapshotDir !== undefined) mkdirSync(snapshotDir);
  for (const [n, variant] of argv.variants.split(';').entries()) {
    const m = await measure(
      url,
      n === 0 && snapshotDir !== undefined
        ? [variant.trim(), ...heapSnapshotFlags(snapshotDir).map((f) => `node:${f}`)].join(' ')
        : variant.trim(),
      n === 0 ? snapshotDir : undefined,
    );
    snapshot ??= m.snapshot;
    rows.push([
      variant,
      String(m.processes),
      `${fmt(m.rss)} (${m.perProcess})`,
      fmt(m.peak),
      fmt(m.anon),
      fmt(m.file),
      `${fmt(m.heapUsed)} / ${fmt(m.heapTotal)}`,
      fmt(m.external),
      fmt(m.loadS),
    ]);
    process.stdout.write(`${variant}: ${fmt(m.rss)} MiB\n`);
  }
  process.stdout.write(
    `\nskydns with ${int(argv.keys)} records, RSS 5 s after ready (MiB; MALLOC_ARENA_MAX=2 as in the image):\n\n${table(
      [
        'variant',
        'processes',
        'RSS (each)',
        'peak',
        'anonymous',
        'file-backed',
        'V8 heap used / committed',
        'external (Buffers)',
        'ready s',
      ],
      rows,
    )}\n`,
  );
  if (snapshot !== undefined)
    process.stdout.write(
      `\nV8 heap snapshot of the first variant (self sizes by object constructor or node type, MiB):\n\n${table(
        ['held by', 'MiB', 'nodes'],
        heapSummary(snapshot),
      )}\n`,
    );
  if (argv.modules)
    process.stdout.write(
      `\nIdle Node, RSS after importing each module in turn (MiB, after a full GC):\n\n${table(
        ['module', 'RSS', 'added', 'V8 heap used'],
        moduleCosts(),
      )}\n`,
    );
} finally {
  client.close();
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
