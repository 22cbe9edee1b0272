import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** A process and its descendants now (skydns -workers N: the primary and its workers). */
export function processTree(pid: number): number[] {
  let children = '';
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  } catch {
    // gone, or no children file (then it has no children we can see)
  }
  return [pid, ...(children === '' ? [] : children.split(/\s+/).map(Number).flatMap(processTree))];
}

/**
 * User and system CPU seconds a process (all its threads) and its live descendants have used so far
 * (fields 14 and 15 of /proc/<pid>/stat each).
 */
export function cpuTimes(pid: number): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const p of processTree(pid)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue; // a child that just exited
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += Number(fields[11]) / CLK_TCK;
    system += Number(fields[12]) / CLK_TCK;
  }
  return { user, system };
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** Resident memory of a process now and at its peak, and now's anonymous and file-backed parts, in MiB (VmRSS, VmHWM, RssAnon, RssFile of /proc/<pid>/status). */
export function memoryMiB(pid: number): { rss: number; peak: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
}

/** Measures the CPU a process uses between `start` and `stop`. */
export class CpuMeter {
  private readonly start: { user: number; system: number };
  private readonly startTime = performance.now();

  constructor(private readonly pid: number) {
    this.start = cpuTimes(pid);
  }

  /** CPU seconds used (and of those, in the kernel) and the share of one core over the wall time elapsed. */
  stop(): { cpuSeconds: number; systemSeconds: number; corePercent: number } {
    const now = cpuTimes(this.pid);
    const system = now.system - this.start.system;
    const used = now.user - this.start.user + system;
    const wall = (performance.now() - this.startTime) / 1000;
    return { cpuSeconds: used, systemSeconds: system, corePercent: wall > 0 ? (100 * used) / wall : 0 };
  }
}
