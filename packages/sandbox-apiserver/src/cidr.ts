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

/** Why an address cannot be given to a service. */
export type AllocationProblem = 'not-in-range' | 'taken' | 'full';

/**
 * ClusterIP allocation from an IPv4 service CIDR, as the API server does: the network and broadcast
 * addresses are never handed out, the first usable address goes to `default/kubernetes`, the rest in order.
 */
export class IPv4Allocator {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  /** No address below this one is free (keeps allocation linear over many services). */
  private lowestFree = 0;

  constructor(readonly cidr: string) {
    const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr);
    const ip = match?.[1] === undefined ? undefined : parseIPv4(match[1]);
    const bits = Number(match?.[2]);
    if (ip === undefined || !(bits >= 1 && bits <= 30)) throw new Error(`invalid service CIDR "${cidr}": want an IPv4 network such as 10.0.0.0/24 (prefix 1-30)`);
    this.size = 2 ** (32 - bits);
    this.base = ip - (ip % this.size);
  }

  /** The first usable address of the range (the `kubernetes` service's). */
  get first(): string {
    return formatIPv4(this.base + 1);
  }

  /** Whether `ip` is a usable address of the range. */
  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n > this.base && n < this.base + this.size - 1;
  }

  /** Reserve a specific address; returns the problem when it cannot be. */
  reserve(ip: string): AllocationProblem | undefined {
    if (!this.contains(ip)) return 'not-in-range';
    const n = parseIPv4(ip) as number;
    if (this.used.has(n)) return 'taken';
    this.used.add(n);
    return undefined;
  }

  /** Hand out the lowest free address, or undefined when the range is full. */
  next(): string | undefined {
    for (let n = Math.max(this.lowestFree, this.base + 1); n < this.base + this.size - 1; n++) {
      if (!this.used.has(n)) {
        this.used.add(n);
        this.lowestFree = n + 1;
        return formatIPv4(n);
      }
    }
    this.lowestFree = this.base + this.size - 1;
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
    const n = parseIPv4(ip);
    if (n === undefined) return;
    this.used.delete(n);
    this.lowestFree = Math.min(this.lowestFree, n);
  }
}
