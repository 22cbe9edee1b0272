import type { Logger } from '@kube-dns-legacy/processkit';

/** How many warnings a {@link WarnLimiter} logs per window. */
export interface WarnLimits {
  /** Warnings logged per window; the rest are counted and summed up in one line. */
  readonly perWindow: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

/** kube2sky's limit: 20 warnings about objects per 10 s (a flood of bad objects cannot flood the log). */
export const OBJECT_WARN_LIMITS: WarnLimits = { perWindow: 20, windowMs: 10_000 };

/**
 * Logs warnings at most `perWindow` per window; beyond that they are only counted, and the first
 * warning of a later window is preceded by one line saying how many were left out. The caller
 * counts every warning in its metric, logged or not.
 */
export class WarnLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly limits: WarnLimits = OBJECT_WARN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Log `message` unless this window's share is used up. */
  warn(message: string, meta: Record<string, unknown>): void {
    const now = this.now();
    if (now - this.windowStart >= this.limits.windowMs) {
      if (this.suppressed > 0)
        this.logger.warn('warnings left out of the log (rate limit); the metric counts them all', {
          suppressed: this.suppressed,
          window_ms: this.limits.windowMs,
        });
      this.windowStart = now;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged < this.limits.perWindow) {
      this.logged++;
      this.logger.warn(message, meta);
    } else {
      this.suppressed++;
    }
  }
}
