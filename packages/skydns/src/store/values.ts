import { isIP } from 'node:net';
import type { LogFn } from '@kube-dns-legacy/processkit';
import { decodeRecord, dnsNameProblem, type SkyRecord } from '@kube-dns-legacy/skymsg';
import { LogLimiter } from '../log-limit.js';

/** One label of a host name: letters, digits, hyphens and underscores (`_http`), nothing else. */
const HOST_LABEL = /^[A-Za-z0-9_-]+$/;

/** The 16-bit fields of SRV and MX records: a value outside 0..65535 would be served modulo 65536. */
const SIXTEEN_BIT: ReadonlyArray<keyof SkyRecord> = ['port', 'priority', 'weight'];

/**
 * Why `host` cannot be served (undefined when it can): it must be an IPv4 address, an IPv6
 * address without a zone, or a DNS host name (labels of letters, digits, `-` and `_`, at most 63
 * characters each and 253 in all, the last label not all digits: `256.1.1.1` and `1.2.3` look like
 * IPv4 addresses but are not, and no top-level domain is numeric).
 */
export function hostProblem(host: string): string | undefined {
  const family = isIP(host);
  if (family === 4) return undefined;
  if (family === 6) return host.includes('%') ? `IPv6 address with a zone (${JSON.stringify(host)})` : undefined;
  const bare = host.endsWith('.') ? host.slice(0, -1) : host;
  if (bare === '') return 'the root is not a host';
  const labels = bare.split('.');
  const bad = labels.find((l) => l !== '' && !HOST_LABEL.test(l));
  if (bad !== undefined)
    return `${JSON.stringify(host)} is neither an IP address nor a host name (label ${JSON.stringify(bad.slice(0, 63))} has characters other than letters, digits, "-" and "_")`;
  const problem = dnsNameProblem(bare);
  if (problem !== undefined) return `${JSON.stringify(host.slice(0, 80))} is not a host name: ${problem}`;
  if (/^\d+$/.test(labels[labels.length - 1] as string))
    return `${JSON.stringify(host)} looks like an IPv4 address but is not one (and a host name cannot end in a numeric label)`;
  return undefined;
}

/**
 * Why a key cannot be a DNS name (undefined when it can): every segment below the prefix must be
 * a label a question can spell, 1 to 63 bytes of printable ASCII without `.` or `\`, and the name
 * at most 253 characters (a segment `--ffff-10.244.9.7` made from `::ffff:10.244.9.7` is not).
 */
export function keyProblem(key: string, prefix: string): string | undefined {
  const root = `/${prefix}/`;
  if (!key.startsWith(root)) return undefined;
  const segments = key.slice(root.length).split('/');
  let length = 0;
  for (const segment of segments) {
    if (segment === '') return 'the key has an empty segment';
    if (Buffer.byteLength(segment) > 63) return `segment "${segment.slice(0, 20)}…" is longer than a DNS label (63)`;
    if (!/^[\x21-\x7e]+$/.test(segment) || segment.includes('.') || segment.includes('\\'))
      return `segment ${JSON.stringify(segment)} cannot be a DNS label (a dot, space, backslash or non-ASCII byte)`;
    length += segment.length + 1;
  }
  if (length - 1 > 253) return `the name is ${length - 1} characters long, the limit is 253`;
  return undefined;
}

/**
 * Why an etcd value under the prefix is not a record skydns can serve, or undefined when it is
 * one: not a SkyDNS record (JSON, field types), a key that cannot be a DNS name, a host that is
 * neither an IP address nor a host name ({@link hostProblem}), a port, priority or weight outside
 * 0..65535, or a negative targetstrip. skydns never serves such a value: it is skipped, counted
 * and warned about.
 */
export function valueProblem(key: string, json: string, prefix = 'skydns'): string | undefined {
  let record: SkyRecord;
  try {
    record = decodeRecord(key, json);
  } catch (err) {
    return (err as Error).message;
  }
  const badKey = keyProblem(key, prefix);
  if (badKey !== undefined) return `${key}: ${badKey}`;
  const host = record.host;
  if (host !== undefined && host !== '') {
    const problem = hostProblem(host);
    if (problem !== undefined) return `${key}: field "host": ${problem}`;
  }
  for (const field of SIXTEEN_BIT) {
    const value = record[field] as number | undefined;
    if (value !== undefined && (value < 0 || value > 65535))
      return `${key}: field "${field}": ${value} is outside 0..65535`;
  }
  if (record.targetstrip !== undefined && record.targetstrip < 0)
    return `${key}: field "targetstrip": ${record.targetstrip} is negative`;
  return undefined;
}

/** At most one warning about skipped values per this long. */
const WARN_EVERY_MS = 10_000;

/**
 * Warnings about skipped values, rate-limited: the first at once, then at most one per
 * {@link WARN_EVERY_MS}, each saying how many were skipped since the last one (a tree full of bad
 * values, or a writer putting one again and again, costs a few lines, not one per value).
 */
export class BadValueLog {
  private readonly limiter: LogLimiter;

  constructor(
    log: LogFn,
    private readonly now: () => number = Date.now,
  ) {
    this.limiter = new LogLimiter(log, WARN_EVERY_MS, 'skippedSinceLastWarning');
  }

  /** A value at `key` was skipped for `reason`. */
  note(key: string, reason: string): void {
    this.limiter.line(
      'warn',
      'skipped a value that skydns cannot serve (counted in store_bad_values_total)',
      { key, reason },
      this.now(),
    );
  }
}
