import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Reads a file, or undefined when it is not there (no such cgroup controller). */
function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The CPUs this container may use by its cgroup CPU quota, rounded up (a limit of 1.5 CPUs is 2;
 * 100m is 1): cgroup v2's `cpu.max` ("max 100000" or "150000 100000"), else cgroup v1's
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`. Undefined when no quota is set.
 */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = read(`${root}/cpu.max`)?.trim().split(/\s+/);
  let quota: number;
  let period: number;
  if (v2 !== undefined) {
    if (v2[0] === 'max') return undefined;
    quota = Number(v2[0]);
    period = Number(v2[1] ?? 100000);
  } else {
    quota = Number(read(`${root}/cpu/cpu.cfs_quota_us`) ?? -1);
    period = Number(read(`${root}/cpu/cpu.cfs_period_us`) ?? 100000);
  }
  if (!(quota > 0) || !(period > 0)) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

/**
 * The default of `-workers`: the CPUs the container's quota allows, at most the CPUs there are;
 * 1 without a quota. Every worker holds its own copy of the records, so a host's full core count
 * is no safe guess for a pod that did not say what it may use.
 */
export function defaultWorkers(root?: string): number {
  const quota = cgroupCpuQuota(root);
  return quota === undefined ? 1 : Math.min(quota, availableParallelism());
}
