import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds a process has used so far (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident memory of a process now and at its peak, in MiB (VmRSS and VmHWM of /proc/<pid>/status). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Measures the CPU a process uses between `start` and `stop`. */
export class CpuMeter {
  private readonly startCpu: number;
  private readonly startTime = performance.now();

  constructor(private readonly pid: number) {
    this.startCpu = cpuSeconds(pid);
  }

  /** CPU seconds used and the share of one core over the wall time elapsed. */
  stop(): { cpuSeconds: number; corePercent: number } {
    const used = cpuSeconds(this.pid) - this.startCpu;
    const wall = (performance.now() - this.startTime) / 1000;
    return { cpuSeconds: used, corePercent: wall > 0 ? (100 * used) / wall : 0 };
  }
}
