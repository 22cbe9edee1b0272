// Where the pod's etcd bytes go: a fresh etcd gets as many kube2sky-shaped records as the scale benchmark
// (120,004 by default, in transactions of 128 keys as kube2sky writes them), then the paged reads of the
// whole tree kube2sky and skydns make at start, once per etcd setting given, and its steady RSS is printed. Usage: etcd-memory.ts [--keys 120004] [--variants 'default;--snapshot-count=10000']
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEtcd } from '@kube-dns-legacy/etcdkit';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { freePort, ManagedProcess, waitFor } from '@kube-dns-legacy/testkit';
import { memoryMiB } from '../lib/procfs.js';
import { writeRecords } from './records.js';
import { table } from '../lib/report.js';
import { fmt, int } from '../lib/stats.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('etcd-memory')
  .option('keys', { type: 'number', default: 120_004, describe: 'records written' })
  .option('variants', {
    type: 'string',
    default: 'default;--snapshot-count=10000;--snapshot-count=10000 GOGC=50',
    describe: 'etcd settings to compare, ";"-separated: flags and NAME=value environment entries, or "default"',
  })
  .strict()
  .help()
  .parseSync();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(variant: string): Promise<{ rss: number; peak: number; writeS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-mem-'));
  const words = variant === 'default' ? [] : variant.split(' ').filter((w) => w !== '');
  const env = {
    ...process.env,
    ...Object.fromEntries(words.filter((w) => !w.startsWith('-')).map((w) => w.split('=', 2) as [string, string])),
  };
  const flags = words.filter((w) => w.startsWith('-'));
  const port = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = new ManagedProcess(
    'etcd',
    'etcd',
    [
      '--name',
      'm',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `m=http://127.0.0.1:${peer}`,
      '--log-level',
      'error',
      ...flags,
    ],
    { env },
  );
  const client = connectEtcd({ endpoints: [url], dialTimeoutMs: 3000 });
  try {
    await waitFor(
      'etcd',
      async () => {
        try {
          await client.get('x');
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      100,
    );
    const t = performance.now();
    await writeRecords(client, argv.keys);
    const writeS = (performance.now() - t) / 1000;
    // Then the reads a starting pod makes: kube2sky's and skydns's paged reads of the whole tree (pages of 5,000 and 4,000 keys).
    for (const page of [5000, 4000]) {
      let from: string | Buffer = '/skydns/';
      for (;;) {
        const res = await client.range({ key: from, rangeEnd: '/skydns0', limit: page });
        if (!res.more || res.after === undefined) break;
        from = res.after;
      }
    }
    await sleep(5000);
    const pid = proc.child.pid;
    if (pid === undefined) throw new Error('etcd did not start');
    return { ...memoryMiB(pid), writeS };
  } finally {
    client.close();
    await proc.stop('SIGTERM', 10_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: string[][] = [];
for (const variant of argv.variants.split(';')) {
  const m = await measure(variant.trim());
  rows.push([variant.trim(), fmt(m.rss), fmt(m.peak), fmt(m.writeS, 1)]);
  process.stderr.write(`[etcd-memory] ${variant}: ${fmt(m.rss)} MiB\n`);
}
process.stdout.write(
  `${int(argv.keys)} kube2sky-shaped records, transactions of 128 keys, then two paged reads of the whole tree; RSS 5 s after:\n\n${table(['etcd setting', 'steady RSS MiB', 'peak RSS MiB', 'write s'], rows)}\n`,
);
