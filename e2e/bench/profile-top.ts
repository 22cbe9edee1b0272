// Print the top frames of .cpuprofile files (node --cpu-prof; set BENCH_CPU_PROF=<dir> to make the
// benchmarks' processes write them). Usage: node --import tsx e2e/bench/profile-top.ts FILE... [--top N]
import { topFrames } from './lib/cpuprofile.js';
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
for (const file of files) {
  const t = topFrames(file, repoRoot, top);
  process.stdout.write(`### ${file} (${fmt(t.totalMs / 1000, 2)} s sampled)\n\nSelf time:\n\n`);
  process.stdout.write(`${table(['ms', '%', 'frame'], t.bySelf.map((r) => [fmt(r.selfMs, 0), fmt((100 * r.selfMs) / t.totalMs, 1), `\`${r.frame}\``]))}\n\nTotal time (frame and callees):\n\n`);
  process.stdout.write(`${table(['ms', '%', 'frame'], t.byTotal.map((r) => [fmt(r.totalMs, 0), fmt((100 * r.totalMs) / t.totalMs, 1), `\`${r.frame}\``]))}\n\n`);
}
