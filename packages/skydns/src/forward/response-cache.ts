import { FLAG, RCODE, TYPE } from '../dns-codes.js';
import { agedReply } from '../encode.js';
import { recordRanges, skipName, questionEndOf } from '../wire.js';

interface Entry {
  readonly name: string;
  readonly buffer: Buffer;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly ttls: ReadonlyArray<readonly [number, number]>;
}

/**
 * The response cache (`-rcache N`, `-rcache-ttl S`) for replies that came from upstream:
 * case-insensitive keys, TTLs that count down, negative answers kept for the SOA minimum,
 * entries dropped at once when records at or below their name change.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byName = new Map<string, Set<string>>();

  constructor(
    private readonly capacity: number,
    private readonly maxTtlSeconds: number,
  ) {}

  /** Number of cached replies. */
  get size(): number {
    return this.entries.size;
  }

  /** The cache key of a question: lower-cased name, type, class, DO bit and transport. */
  static key(name: string, type: number, qclass: number, dnssecOk: boolean, tcp: boolean): string {
    return `${type}/${qclass}/${dnssecOk ? 'd' : '-'}/${tcp ? 't' : 'u'}/${name.toLowerCase()}`;
  }

  /** A copy of the cached reply with TTLs reduced by its age; undefined on a miss or when expired. */
  get(key: string, now: number): Buffer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.remove(key);
      return undefined;
    }
    return agedReply(entry.buffer, entry.ttls, Math.floor((now - entry.storedAt) / 1000));
  }

  /**
   * Keep an upstream reply: positive answers for the smallest answer TTL, negative ones
   * (NXDOMAIN/NODATA) for the SOA minimum, each at most `-rcache-ttl`; truncated, failed and
   * unparseable replies are not kept. Returns true when stored.
   */
  put(key: string, name: string, reply: Buffer, now: number): boolean {
    if (this.capacity <= 0) return false;
    const lifetime = cacheLifetime(reply);
    if (lifetime === undefined || lifetime <= 0) return false;
    const ttls = ttlPositions(reply);
    if (ttls === undefined) return false;
    this.remove(key);
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.remove(oldest.value);
    }
    const lower = name.toLowerCase();
    this.entries.set(key, {
      name: lower,
      buffer: Buffer.from(reply),
      storedAt: now,
      expiresAt: now + Math.min(lifetime, this.maxTtlSeconds) * 1000,
      ttls,
    });
    let keys = this.byName.get(lower);
    if (keys === undefined) this.byName.set(lower, (keys = new Set()));
    keys.add(key);
    return true;
  }

  /** Drop the entries of `name` and of every name above it (their answers include its subtree). */
  invalidate(name: string): void {
    const parts = name
      .toLowerCase()
      .split('.')
      .filter((p) => p !== '');
    for (let i = 0; i <= parts.length; i++) {
      const suffix = i === parts.length ? '.' : `${parts.slice(i).join('.')}.`;
      for (const key of this.byName.get(suffix) ?? []) this.remove(key);
    }
  }

  /** Drop everything. */
  clear(): void {
    this.entries.clear();
    this.byName.clear();
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    const keys = this.byName.get(entry.name);
    keys?.delete(key);
    if (keys?.size === 0) this.byName.delete(entry.name);
  }
}

function sections(reply: Buffer): { an: number; ns: number; ar: number; start: number } | undefined {
  const start = questionEndOf(reply);
  if (start < 0) return undefined;
  return { an: reply.readUInt16BE(6), ns: reply.readUInt16BE(8), ar: reply.readUInt16BE(10), start };
}

/** Offsets and values of every TTL in the reply (OPT excluded); undefined when malformed. */
function ttlPositions(reply: Buffer): Array<readonly [number, number]> | undefined {
  const s = sections(reply);
  if (s === undefined) return undefined;
  const ranges = recordRanges(reply, s.start, s.an + s.ns + s.ar);
  if (ranges === undefined) return undefined;
  return ranges.filter((r) => r.type !== TYPE.OPT).map((r) => [r.ttlAt, reply.readUInt32BE(r.ttlAt)] as const);
}

/** How long (seconds) a reply may be cached, or undefined when it must not be. */
export function cacheLifetime(reply: Buffer): number | undefined {
  const s = sections(reply);
  if (s === undefined) return undefined;
  const flags = reply.readUInt16BE(2);
  if (flags & FLAG.TC) return undefined;
  const rcode = flags & 0xf;
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return undefined;
  const answers = recordRanges(reply, s.start, s.an);
  if (answers === undefined) return undefined;
  if (rcode === RCODE.NOERROR && answers.length > 0)
    return Math.min(...answers.map((r) => reply.readUInt32BE(r.ttlAt)));
  const authority = recordRanges(reply, answers[answers.length - 1]?.end ?? s.start, s.ns);
  const soa = authority?.find((r) => r.type === TYPE.SOA);
  if (soa === undefined) return undefined;
  const rdata = soa.ttlAt + 6;
  const afterNames = skipName(reply, skipName(reply, rdata));
  if (afterNames < 0 || afterNames + 20 > soa.end) return undefined;
  return Math.min(reply.readUInt32BE(soa.ttlAt), reply.readUInt32BE(afterNames + 16));
}
