/** Capped exponential back-off with jitter: a delay in [half, full] of min(cap, base × 2^attempt) milliseconds. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const full = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(full / 2 + (full / 2) * random());
}
