// `npm run bench`: every benchmark in turn (each is also runnable alone), then a markdown summary
// of all goals and figures in e2e/bench/results/summary.md. Usage: run-all.ts [--quick] [--only dns,propagation,scale,scaleout]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { machineLine, RESULTS_DIR, table, type GoalResult } from './lib/report.js';
import { repoRoot } from './lib/stack.js';

const BENCHMARKS = ['dns', 'propagation', 'scale', 'scaleout'] as const;

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run bench --')
  .usage(
    '$0 [--quick] [--only dns,propagation,scale,scaleout]\n\nRuns the benchmarks (issues 7 and 12: ours beside CoreDNS, Knot DNS and dnsmasq) one after the other and writes e2e/bench/results/summary.md and the SVG figures beside it.',
  )
  .option('quick', {
    type: 'boolean',
    default: false,
    describe: 'Short runs with small sizes (checks that everything works; numbers are not meaningful)',
  })
  .option('only', { type: 'string', default: BENCHMARKS.join(','), describe: 'Comma-separated benchmarks to run' })
  .strict()
  .help()
  .parseSync();

function run(name: string): Promise<number> {
  const args = ['--import', 'tsx', join('e2e', 'bench', name, 'main.ts'), ...(argv.quick ? ['--quick'] : [])];
  process.stdout.write(`\n=== ${name}: node ${args.join(' ')} ===\n\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
    child.once('close', (code) => resolve(code ?? 1));
  });
}

const wanted = argv.only
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');
for (const name of wanted) {
  if (!(BENCHMARKS as readonly string[]).includes(name)) {
    process.stderr.write(`unknown benchmark ${JSON.stringify(name)} (known: ${BENCHMARKS.join(', ')})\n`);
    process.exit(2);
  }
}
mkdirSync(RESULTS_DIR, { recursive: true });
const started = machineLine();
const failed: string[] = [];
for (const name of wanted) {
  rmSync(join(RESULTS_DIR, `${name}.json`), { force: true });
  const code = await run(name);
  if (code !== 0 || !existsSync(join(RESULTS_DIR, `${name}.json`))) failed.push(`${name} (exit ${code})`);
}

const goals: Array<GoalResult & { bench: string }> = [];
const sections: string[] = [];
for (const name of wanted) {
  const json = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(json)) continue;
  const result = JSON.parse(readFileSync(json, 'utf8')) as { goals: GoalResult[] };
  goals.push(...result.goals.map((g) => ({ ...g, bench: name })));
  sections.push(readFileSync(join(RESULTS_DIR, `${name}.md`), 'utf8'));
}
const summary = [
  '# Benchmark summary (`npm run bench`)',
  '',
  `Started ${started}${argv.quick ? ' · **--quick** (short runs; numbers not meaningful)' : ''}.`,
  '',
  table(
    ['Benchmark', 'Goal', 'Measured', 'Met'],
    goals.map((g) => [g.bench, g.goal, g.measured, g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**']),
  ),
  '',
  ...(failed.length > 0 ? [`Failed: ${failed.join(', ')}`, ''] : []),
  ...sections,
].join('\n');
const file = join(RESULTS_DIR, 'summary.md');
writeFileSync(file, summary);
process.stdout.write(
  `\n${table(
    ['Benchmark', 'Goal', 'Measured', 'Met'],
    goals.map((g) => [g.bench, g.goal, g.measured, g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**']),
  )}\n\nSummary written to ${file}\n`,
);
if (failed.length > 0) {
  process.stderr.write(`benchmarks failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
