import type { LogFn, LogLevel } from '@kube-dns-legacy/processkit';

/**
 * One log line per interval for a repeated event: the first occurrence is logged, the next ones
 * within `intervalMs` only counted, and the next line logged after it carries that count (under
 * `countKey`, `suppressed` by default). The events themselves are counted in a metric by the caller.
 */
export class LogLimiter {
  private last = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly log: LogFn,
    private readonly intervalMs: number,
    private readonly countKey = 'suppressed',
  ) {}

  /** Log `message` unless a line went out less than the interval ago. */
  line(level: LogLevel, message: string, meta: Record<string, unknown>, now = Date.now()): void {
    if (now - this.last < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.log(level, message, this.suppressed > 0 ? { ...meta, [this.countKey]: this.suppressed } : meta);
    this.last = now;
    this.suppressed = 0;
  }
}
