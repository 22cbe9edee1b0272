import { isIPv6 } from 'node:net';

/** A service IP family, spelled as in `spec.ipFamilies`. */
export type IPFamily = 'IPv4' | 'IPv6';

/** Parse a dotted IPv4 address to a 32-bit number, or undefined when it is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Format a 32-bit number as a dotted IPv4 address. */
export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Parse an IPv6 address (any spelling: `::`, an IPv4 tail) to a 128-bit number, or undefined when it is not one. */
export function parseIPv6(text: string): bigint | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let body = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const v4 = parseIPv4(dotted[1]);
    if (v4 === undefined) return undefined;
    body = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = body.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = groups(rest ?? '');
  const missing = 8 - left.length - right.length;
  if ((rest === undefined && missing !== 0) || missing < 0) return undefined;
  const all = [...left, ...new Array<number>(missing).fill(0), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Format a 128-bit number as an IPv6 address the way Go's net.IP.String does (RFC 5952: lowercase, longest zero run as `::`). */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** The family and numeric value of an IP address, or undefined when the text is not one. */
export function parseIP(text: string): { family: IPFamily; value: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 'IPv4', value: BigInt(v4) };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 'IPv6', value: v6 };
}

/**
 * An address as Go's net.ParseIP then String() gives it, with the family Go's To4() implies (an IPv4-mapped IPv6
 * address counts as IPv4); undefined when the text is not an address.
 */
export function canonicalIP(text: string): { family: IPFamily; text: string } | undefined {
  const parsed = parseIP(text);
  if (!parsed) return undefined;
  if (parsed.family === 'IPv4' || parsed.value >> 32n === 0xffffn)
    return { family: 'IPv4', text: formatIPv4(Number(parsed.value & 0xffffffffn)) };
  return { family: 'IPv6', text: formatIPv6(parsed.value) };
}

/** Why an address cannot be given to a service. */
export type AllocationProblem = 'not-in-range' | 'taken' | 'full';

/**
 * ClusterIP allocation from one service CIDR (IPv4 or IPv6), as the API server does: the network address is
 * never handed out, nor an IPv4 range's broadcast address; the first usable address goes to `default/kubernetes`
 * (for the primary range), the rest in order.
 */
export class IPAllocator {
  /** The family of the range. */
  readonly family: IPFamily;
  /** The lowest usable address (the one after the network address). */
  private readonly low: bigint;
  /** The highest usable address (before the broadcast address for IPv4, the last one for IPv6). */
  private readonly high: bigint;
  private readonly used = new Set<bigint>();
  /** No address below this one is free (keeps allocation linear over many services). */
  private lowestFree: bigint;

  constructor(readonly cidr: string) {
    const match = /^([0-9a-fA-F.:]+)\/([0-9]{1,3})$/.exec(cidr);
    const ip = match?.[1] === undefined ? undefined : parseIP(match[1]);
    const bits = Number(match?.[2]);
    if (ip === undefined)
      throw new Error(`invalid service CIDR "${cidr}": want a network such as 10.0.0.0/24 or fd00:10::/108`);
    const width = ip.family === 'IPv4' ? 32 : 128;
    if (!(bits >= 1 && bits <= width - 2))
      throw new Error(`invalid service CIDR "${cidr}": the prefix must be 1-${width - 2} for ${ip.family}`);
    this.family = ip.family;
    const size = 1n << BigInt(width - bits);
    const base = ip.value - (ip.value % size);
    this.low = base + 1n;
    this.high = this.family === 'IPv4' ? base + size - 2n : base + size - 1n;
    this.lowestFree = this.low;
  }

  /** The first usable address of the range (the `kubernetes` service's, for the primary range). */
  get first(): string {
    return this.format(this.low);
  }

  /** Whether `ip` is a usable address of the range. */
  contains(ip: string): boolean {
    const parsed = parseIP(ip);
    return (
      parsed !== undefined && parsed.family === this.family && parsed.value >= this.low && parsed.value <= this.high
    );
  }

  /** Reserve a specific address; returns the problem when it cannot be. */
  reserve(ip: string): AllocationProblem | undefined {
    const parsed = parseIP(ip);
    if (!parsed || !this.contains(ip)) return 'not-in-range';
    if (this.used.has(parsed.value)) return 'taken';
    this.used.add(parsed.value);
    return undefined;
  }

  /** Hand out the lowest free address, or undefined when the range is full. */
  next(): string | undefined {
    for (let n = this.lowestFree; n <= this.high; n++) {
      if (!this.used.has(n)) {
        this.used.add(n);
        this.lowestFree = n + 1n;
        return this.format(n);
      }
    }
    this.lowestFree = this.high + 1n;
    return undefined;
  }

  /** Capture the allocation state; the returned function puts it back (for dry runs). */
  snapshot(): () => void {
    const saved = new Set(this.used);
    const lowest = this.lowestFree;
    return () => {
      this.used.clear();
      for (const n of saved) this.used.add(n);
      this.lowestFree = lowest;
    };
  }

  /** Give an address back. */
  release(ip: string): void {
    const parsed = parseIP(ip);
    if (parsed === undefined || parsed.family !== this.family) return;
    this.used.delete(parsed.value);
    if (parsed.value < this.lowestFree && parsed.value >= this.low) this.lowestFree = parsed.value;
  }

  private format(value: bigint): string {
    return this.family === 'IPv4' ? formatIPv4(Number(value)) : formatIPv6(value);
  }
}

/**
 * The allocators of `--service-cluster-ip-range`: one CIDR, or two of different families separated by a comma
 * (dual-stack; the first is the primary family). Throws with a clear message otherwise.
 */
export function serviceRanges(text: string): IPAllocator[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 2 || parts.some((p) => p === ''))
    throw new Error(
      `invalid service CIDR "${text}": want one range, or an IPv4 and an IPv6 range separated by a comma`,
    );
  const ranges = parts.map((p) => new IPAllocator(p));
  if (ranges.length === 2 && ranges[0]?.family === ranges[1]?.family) {
    throw new Error(
      `invalid service CIDR "${text}": a dual-stack range needs one IPv4 and one IPv6 CIDR, both are ${ranges[0]?.family ?? ''}`,
    );
  }
  return ranges;
}
