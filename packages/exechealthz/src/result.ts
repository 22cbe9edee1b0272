/** The outcome of one run of the probe command (or the initial state before the first run). */
export interface ExecResult {
  /** Combined stdout and stderr of the command, possibly truncated. */
  output: string;
  /** Why the run failed (`exit status 1`, `signal: SIGKILL …`), or null when it exited 0. */
  error: string | null;
  /** When the run finished; the initial state is stamped with the start time. */
  at: Date;
}

/** An HTTP answer for /healthz. */
export interface HealthzResponse {
  status: 200 | 503;
  body: string;
}

/** The state before the first run: a success stamped `now`, so /healthz is 200 for up to -latency (as the original). */
export function initialResult(now: Date): ExecResult {
  return { output: '', error: null, at: now };
}

/** Print a time the way Go's `time.Time` prints with %v, in UTC: `2015-07-08 17:59:45.698 +0000 UTC`. */
export function formatGoTime(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} +0000 UTC`;
}

/** The original's description of a result: `Result of last exec: <output>, at <time>, error <err|None>`. */
export function describeResult(result: ExecResult): string {
  return `Result of last exec: ${result.output}, at ${formatGoTime(result.at)}, error ${result.error ?? 'None'}`;
}

/**
 * Decide the /healthz answer: a failed last run gives 503 "Healthz probe error: …", a result older
 * than `latencyMs` gives 503 "Latest result too old to be useful: ….", anything else 200 "ok".
 */
export function healthzResponse(result: ExecResult, now: Date, latencyMs: number): HealthzResponse {
  if (result.error !== null) return { status: 503, body: `Healthz probe error: ${describeResult(result)}\n` };
  if (now.getTime() - result.at.getTime() > latencyMs) {
    return { status: 503, body: `Latest result too old to be useful: ${describeResult(result)}.\n` };
  }
  return { status: 200, body: 'ok' };
}
