// Print the top frames of .cpuprofile files (node --cpu-prof; BENCH_CPU_PROF=<dir> makes the benchmarks'
// processes write them) and the top allocation sites of .heapprofile files (node --heap-prof; BENCH_HEAP_PROF=<dir>).
// Usage: node --import tsx e2e/bench/profile-top.ts FILE... [--top N]
import { topAllocations, topFrames } from './lib/cpuprofile.js';
import { table } from './lib/report.js';
import { repoRoot } from './lib/stack.js';
import { fmt } from './lib/stats.js';

const argv = process.argv.slice(2);
const topAt = argv.indexOf('--top');
const top = topAt >= 0 ? Number(argv[topAt + 1]) : 15;
const files = argv.filter((a, i) => a !== '--top' && i !== topAt + 1);
if (files.length === 0) {
  process.stderr.write('usage: profile-top.ts FILE.cpuprofile... [--top N]\n');
  process.exit(2);
}
for (const file of files.filter((f) => f.endsWith('.heapprofile'))) {
  const t = topAllocations(file, repoRoot, top);
  process.stdout.write(`### ${file} (${fmt(t.totalBytes / 1048576, 1)} MiB sampled live)\n\nAllocated here (MiB):\n\n`);
  process.stdout.write(
    `${table(
      ['MiB', '%', 'frame'],
      t.bySelf.map((r) => [fmt(r.selfMs, 1), fmt((100 * r.selfMs * 1048576) / t.totalBytes, 1), `\`${r.frame}\``]),
    )}\n\nAllocated here and in callees (MiB):\n\n`,
  );
  process.stdout.write(
    `${table(
      ['MiB', '%', 'frame'],
      t.byTotal.map((r) => [fmt(r.totalMs, 1), fmt((100 * r.totalMs * 1048576) / t.totalBytes, 1), `\`${r.frame}\``]),
    )}\n\n`,
  );
}
for (const file of files.filter((f) => !f.endsWith('.heapprofile'))) {
  const t = topFrames(file, repoRoot, top);
  process.stdout.write(`### ${file} (${fmt(t.totalMs / 1000, 2)} s sampled)\n\nSelf time:\n\n`);
  process.stdout.write(
    `${table(
      ['ms', '%', 'frame'],
      t.bySelf.map((r) => [fmt(r.selfMs, 0), fmt((100 * r.selfMs) / t.totalMs, 1), `\`${r.frame}\``]),
    )}\n\nTotal time (frame and callees):\n\n`,
  );
  process.stdout.write(
    `${table(
      ['ms', '%', 'frame'],
      t.byTotal.map((r) => [fmt(r.totalMs, 0), fmt((100 * r.totalMs) / t.totalMs, 1), `\`${r.frame}\``]),
    )}\n\n`,
  );
}
