/** Capped exponential back-off with jitter: a delay in [half, full] of min(cap, base × 2^attempt) milliseconds. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const full = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(full / 2 + (full / 2) * random());
}

/** How a {@link Backoff} grows. */
export interface BackoffOptions {
  /** First delay (ms). */
  readonly baseMs: number;
  /** Longest delay (ms). */
  readonly capMs: number;
  /** Spread each delay over [half, full] (default true); false gives exactly base × 2^attempt, capped. */
  readonly jitter?: boolean;
}

/** The delays between attempts of one retried operation: {@link backoffDelay} per failure, reset on success. */
export class Backoff {
  /** Failures since the last success. */
  attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The delay before the next attempt (counts a failure). */
  next(): number {
    const { baseMs, capMs, jitter } = this.options;
    return backoffDelay(this.attempt++, baseMs, capMs, jitter === false ? () => 1 : Math.random);
  }

  /** An attempt succeeded: start again from the first delay. */
  reset(): void {
    this.attempt = 0;
  }
}
