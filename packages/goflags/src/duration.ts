/** Milliseconds per Go duration unit (`time.ParseDuration` accepts exactly these). */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const SEGMENT = /^(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/;
const BARE_NUMBER = /^\d+(?:\.\d+)?$/;

/** How lenient {@link parseGoDuration} is beyond Go's own rules. */
export interface DurationOptions {
  /** Accept a bare number as seconds (`10` = `10s`), as kube2sky's and skydns's flags always have. */
  bareSeconds?: boolean;
}

/**
 * Parse a Go duration (`2s`, `1m30s`, `1.5h`, `300ms`, `0`, signed) into milliseconds; throws an error
 * naming the text and showing examples on anything `time.ParseDuration` rejects.
 */
export function parseGoDuration(text: string, options: DurationOptions = {}): number {
  let rest = text.trim();
  if (options.bareSeconds === true && BARE_NUMBER.test(rest)) return Number(rest) * 1_000;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  const invalid = (): Error =>
    new Error(`invalid duration ${JSON.stringify(text)} (expected a number and a unit such as 500ms, 2s, 1m30s)`);
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const match = SEGMENT.exec(rest);
    const digits = match?.[1];
    const unit = match?.[2];
    if (!match || digits === undefined || unit === undefined || digits === '' || digits === '.') throw invalid();
    total += Number(digits) * (UNIT_MS[unit] ?? Number.NaN);
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

/** Format milliseconds the way Go prints a `time.Duration` (`2s`, `1m30s`, `250ms`). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 0) return `-${formatGoDuration(-ms)}`;
  if (ms < 1_000) return `${trim(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1_000;
  if (hours > 0) return `${hours}h${minutes}m${trim(seconds)}s`;
  if (minutes > 0) return `${minutes}m${trim(seconds)}s`;
  return `${trim(seconds)}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(6)));
}
