import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { requireTool } from '@kube-dns-legacy/testkit';
import { CpuMeter } from './procfs.js';
import { summarize, type Summary } from './stats.js';

/** One dnsperf run. */
export interface DnsperfOptions {
  readonly port: number;
  readonly queryFile: string;
  readonly seconds: number;
  /** `-c` clients (4 as in the reference runs). */
  readonly clients?: number;
  /** `-T` threads (1 as in the reference runs). */
  readonly threads?: number;
  /** `-Q`: offered load cap in queries per second. */
  readonly maxQps?: number;
  /** `-q`: queries outstanding (dnsperf's default 100). */
  readonly outstanding?: number;
  /** With `-v`: every query's latency is written to this file and summarized (p50/p99). */
  readonly verboseFile?: string;
  /** The server's pid, for its CPU seconds during the run (/proc/<pid>/stat). */
  readonly serverPid?: number;
}

/** What dnsperf reported, plus the server's CPU and, with `-v`, the latency percentiles. */
export interface DnsperfResult {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly rcodes: Readonly<Record<string, number>>;
  readonly serverCpuSeconds: number;
  /** Of serverCpuSeconds, the time spent in the kernel (system time: the socket calls, for a DNS server). */
  readonly serverSystemSeconds: number;
  readonly serverCorePercent: number;
  /** Per-query latency percentiles in ms (only with `verboseFile`). */
  readonly latency: Summary | undefined;
  readonly command: string;
}

function field(text: string, label: string): number {
  const m = new RegExp(`${label}:\\s+([\\d.]+)`).exec(text);
  if (m === null) throw new Error(`dnsperf output has no "${label}":\n${text}`);
  return Number(m[1]);
}

/** Per-query latencies (ms) from dnsperf -v lines such as `> NOERROR name A 0.000083`. */
export function verboseLatencies(text: string): Float64Array {
  const out: number[] = [];
  let at = 0;
  for (;;) {
    const start = text.indexOf('\n> ', at);
    if (start < 0) break;
    const end = text.indexOf('\n', start + 1);
    const line = text.slice(start + 1, end < 0 ? text.length : end);
    const seconds = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(seconds) && line.split(' ').length >= 5) out.push(seconds * 1000);
    at = end < 0 ? text.length : end;
  }
  return Float64Array.from(out);
}

/** Run dnsperf once and parse its statistics. */
export async function dnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  requireTool('dnsperf');
  const args = [
    '-s',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-d',
    o.queryFile,
    '-c',
    String(o.clients ?? 4),
    '-T',
    String(o.threads ?? 1),
    '-l',
    String(o.seconds),
  ];
  if (o.outstanding !== undefined) args.push('-q', String(o.outstanding));
  if (o.maxQps !== undefined) args.push('-Q', String(o.maxQps));
  if (o.verboseFile !== undefined) args.push('-v');
  const fd = o.verboseFile === undefined ? undefined : openSync(o.verboseFile, 'w');
  const meter = o.serverPid === undefined ? undefined : new CpuMeter(o.serverPid);
  let text = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('dnsperf', args, { stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
    child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
    child.once('error', reject);
    child.once('close', resolve);
  });
  const cpu = meter?.stop();
  let latency: Summary | undefined;
  if (fd !== undefined && o.verboseFile !== undefined) {
    closeSync(fd);
    const verbose = readFileSync(o.verboseFile, 'utf8');
    rmSync(o.verboseFile, { force: true });
    text += verbose.slice(verbose.lastIndexOf('Statistics:'));
    latency = summarize(verboseLatencies(verbose));
  }
  if (code !== 0) throw new Error(`dnsperf ${args.join(' ')} exited with ${code}:\n${text}`);
  const rcodes: Record<string, number> = {};
  for (const m of (/Response codes:\s+(.*)/.exec(text)?.[1] ?? '').matchAll(/([A-Z]+) (\d+)/g))
    rcodes[m[1] as string] = Number(m[2]);
  const avg = /Average Latency \(s\):\s+([\d.]+) \(min [\d.]+, max ([\d.]+)\)/.exec(text);
  return {
    sent: field(text, 'Queries sent'),
    completed: field(text, 'Queries completed'),
    lost: field(text, 'Queries lost'),
    qps: field(text, 'Queries per second'),
    avgMs: Number(avg?.[1]) * 1000,
    maxMs: Number(avg?.[2]) * 1000,
    rcodes,
    serverCpuSeconds: cpu?.cpuSeconds ?? NaN,
    serverSystemSeconds: cpu?.systemSeconds ?? NaN,
    serverCorePercent: cpu?.corePercent ?? NaN,
    latency,
    command: `dnsperf ${args.join(' ')}`,
  };
}
