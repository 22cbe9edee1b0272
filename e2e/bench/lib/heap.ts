// V8 heap snapshots of benchmarked processes: taken on a signal, summarized by what holds the bytes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@kube-dns-legacy/testkit';
import { fmt, int } from './stats.js';

/** Node flags that make a process write a heap snapshot into `dir` on SIGUSR2 (see {@link takeHeapSnapshot}). */
export function heapSnapshotFlags(dir: string): string[] {
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
}

/** Signal `pid` (started with {@link heapSnapshotFlags} for `dir`) and resolve with the path of the snapshot it wrote. */
export async function takeHeapSnapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  let file: string | undefined;
  await waitFor(
    `the heap snapshot of ${pid}`,
    () => {
      file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && f.includes(`.${pid}.`) && !before.has(f));
      return file !== undefined;
    },
    120_000,
    200,
  );
  // The file is written while it grows: wait until its size stops changing.
  let size = -1;
  await waitFor(
    'the heap snapshot written',
    () => {
      const now = statSync(join(dir, file as string)).size;
      const done = now === size && now > 0;
      size = now;
      return done;
    },
    120_000,
    500,
  );
  return join(dir, file as string);
}

/** Self sizes in a .heapsnapshot summed by node type and, for objects, constructor name: the largest `top`. */
export function heapSummary(file: string, top = 14): string[][] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const sums = new Map<string, [number, number]>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    const name = snap.strings[snap.nodes[i + nameAt] as number] ?? '?';
    const key = type === 'object' || type === 'native' ? `${type} ${name}` : type;
    const size = snap.nodes[i + sizeAt] as number;
    total += size;
    const cell = sums.get(key) ?? [0, 0];
    cell[0] += size;
    cell[1]++;
    sums.set(key, cell);
  }
  return [
    ['(all)', fmt(total / 1048576, 2), int(snap.nodes.length / fields.length)],
    ...[...sums]
      .sort((a, b) => b[1][0] - a[1][0])
      .slice(0, top)
      .map(([k, [size, count]]) => [k.slice(0, 60), fmt(size / 1048576, 2), int(count)]),
  ];
}
