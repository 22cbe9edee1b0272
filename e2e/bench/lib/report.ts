import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { writeBarChart, type BarChart } from './svg.js';

/** Where every benchmark writes `<name>.md` and `<name>.json`, and `npm run bench` its summary. */
export const RESULTS_DIR = resolve(fileURLToPath(import.meta.url), '..', '..', 'results');

/** One goal (issues 7 and 12) and how this run did against it. */
export interface GoalResult {
  readonly goal: string;
  readonly measured: string;
  /** undefined: could not be measured in this run. */
  readonly met: boolean | undefined;
}

/** A markdown table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The goals as a markdown table. */
export function goalTable(goals: readonly GoalResult[]): string {
  return table(
    ['Goal', 'Measured', 'Met'],
    goals.map((g) => [g.goal, g.measured, g.met === undefined ? 'not measured' : g.met ? 'yes' : '**no**']),
  );
}

/** The machine, the time and the load, for the record. */
export function machineLine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${new Date().toISOString()} · ${cpus().length} × ${model} · Node ${process.version} · load average at start: ${load}`;
}

/** Collects what a benchmark prints, then writes it as results/<name>.md and results/<name>.json. */
export class Report {
  private readonly parts: string[] = [];
  readonly goals: GoalResult[] = [];
  readonly data: Record<string, unknown> = {};

  constructor(
    readonly name: string,
    readonly title: string,
  ) {
    this.parts.push(`## ${title}`, '', machineLine(), '');
  }

  /** Print a paragraph or table now and keep it for the markdown file. */
  add(markdown: string): void {
    process.stdout.write(`${markdown}\n\n`);
    this.parts.push(markdown, '');
  }

  /** Draw `chart` as results/<name>-<id>.svg and show it in the markdown; resolves with the file's name. */
  chart(id: string, chart: BarChart): string {
    const file = `${this.name}-${id}.svg`;
    writeBarChart(join(RESULTS_DIR, file), chart);
    this.parts.push(`![${chart.title}](${file})`, '');
    process.stdout.write(`(figure: ${join(RESULTS_DIR, file)})\n\n`);
    return file;
  }

  /** Record a goal's outcome. */
  goal(goal: string, measured: string, met: boolean | undefined): void {
    this.goals.push({ goal, measured, met });
  }

  /** Write results/<name>.md (sections, then the goals) and results/<name>.json. */
  write(): string {
    const markdown = [...this.parts, '### Goals', '', goalTable(this.goals), ''].join('\n');
    process.stdout.write(`### Goals\n\n${goalTable(this.goals)}\n\n`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${this.name}.md`);
    writeFileSync(file, markdown);
    writeFileSync(
      join(RESULTS_DIR, `${this.name}.json`),
      `${JSON.stringify({ name: this.name, title: this.title, goals: this.goals, data: this.data }, null, 2)}\n`,
    );
    return file;
  }
}
