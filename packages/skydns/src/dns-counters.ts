/** Which part of the server produced a reply (SkyDNS's `system` label). */
export type DnsSystem = 'auth' | 'cache' | 'recursive' | 'reverse' | 'error';

/** Every system, in the order of their counter slots. */
export const DNS_SYSTEMS: readonly DnsSystem[] = ['auth', 'cache', 'recursive', 'reverse', 'error'];

/** The slot of each system (an object lookup with a constant key: no hashing per query). */
const SYSTEM_SLOT: Readonly<Record<DnsSystem, number>> = { auth: 0, cache: 1, recursive: 2, reverse: 3, error: 4 };

/** The caches whose hits and misses are counted. */
export const CACHES = ['answer', 'response'] as const;

/** A cache whose hits and misses are counted. */
export type CacheName = (typeof CACHES)[number];

/** Rcode slots per (system, transport): the 16 header rcodes and "no reply" (`none`, slot 16). */
const RCODE_SLOTS = 17;
/** Slots of one query type's array: system × transport × rcode. */
const TYPE_SLOTS = DNS_SYSTEMS.length * 2 * RCODE_SLOTS;

/** Upper bounds (seconds) of the request duration histogram. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Upper bounds (bytes) of the response size histogram. */
export const SIZE_BUCKETS: readonly number[] = [0, 512, 1024, 1500, 2048, 4096, 8192, 16384, 32768, 65536];

/** One series of a histogram as Prometheus exposes it: cumulative bucket counts (last = +Inf), sum and count. */
export interface HistogramSeries {
  /** Observations at or below each bound, then the total (+Inf). */
  readonly cumulative: readonly number[];
  /** Sum of the observed values. */
  readonly sum: number;
  /** Number of observations. */
  readonly count: number;
}

/** A histogram per system kept in plain arrays: one slot per bucket (the last for values above every bound). */
export class SystemHistogram {
  private readonly counts: Float64Array;
  private readonly sums = new Float64Array(DNS_SYSTEMS.length);
  private readonly stride: number;

  constructor(readonly bounds: readonly number[]) {
    this.stride = bounds.length + 1;
    this.counts = new Float64Array(DNS_SYSTEMS.length * this.stride);
  }

  /** Count `value` for the system in `slot` (`le` semantics: a value equal to a bound is in that bucket). */
  observe(slot: number, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    const at = slot * this.stride + i;
    this.counts[at] = (this.counts[at] as number) + 1;
    this.sums[slot] = (this.sums[slot] as number) + value;
  }

  /** The series of `system`, or undefined when nothing was observed for it. */
  series(system: DnsSystem): HistogramSeries | undefined {
    const base = SYSTEM_SLOT[system] * this.stride;
    const cumulative: number[] = [];
    let total = 0;
    for (let i = 0; i < this.stride; i++) cumulative.push((total += this.counts[base + i] as number));
    return total === 0 ? undefined : { cumulative, sum: this.sums[SYSTEM_SLOT[system]] as number, count: total };
  }
}

/** One non-zero cell of the request counter. */
export interface RequestCount {
  /** The part of the server that answered. */
  readonly system: DnsSystem;
  /** True for TCP. */
  readonly tcp: boolean;
  /** The question type, or -1 when there was no question. */
  readonly qtype: number;
  /** The reply's header rcode, or -1 when nothing was sent. */
  readonly rcode: number;
  /** Replies counted. */
  readonly count: number;
}

/**
 * What the DNS path counts, in typed arrays indexed by (system, transport, type, rcode) so that a
 * reply costs a few array increments and no label hashing or allocation; the Prometheus metrics read
 * these at scrape time.
 */
export class DnsCounters {
  /** Reply counts per question type (-1: none), each an array over system × transport × rcode. */
  private readonly requests = new Map<number, Float64Array>();
  /** Time to answer, per system. */
  readonly duration = new SystemHistogram(DURATION_BUCKETS);
  /** Reply sizes, per system. */
  readonly size = new SystemHistogram(SIZE_BUCKETS);
  /** Hits then misses of each cache, in the order of {@link CACHES}. */
  private readonly caches = new Float64Array(CACHES.length * 2);
  /** Errors by cause. */
  readonly errors = new Map<string, number>();
  /** Forward attempts by outcome. */
  readonly forwards = new Map<string, number>();

  /** One reply (or none: `rcode` -1) of `bytes` bytes that took `seconds`. */
  reply(system: DnsSystem, tcp: boolean, qtype: number, rcode: number, seconds: number, bytes: number): void {
    const slot = SYSTEM_SLOT[system];
    let cells = this.requests.get(qtype);
    if (cells === undefined) this.requests.set(qtype, (cells = new Float64Array(TYPE_SLOTS)));
    const at = (slot * 2 + (tcp ? 1 : 0)) * RCODE_SLOTS + (rcode < 0 || rcode > 15 ? 16 : rcode);
    cells[at] = (cells[at] as number) + 1;
    this.duration.observe(slot, seconds);
    this.size.observe(slot, bytes);
  }

  /** A cache lookup. */
  cache(cache: CacheName, hit: boolean): void {
    const at = (cache === 'answer' ? 0 : 2) + (hit ? 0 : 1);
    this.caches[at] = (this.caches[at] as number) + 1;
  }

  /** Hits (or misses) of `cache` so far. */
  cacheCount(cache: CacheName, hit: boolean): number {
    return this.caches[(cache === 'answer' ? 0 : 2) + (hit ? 0 : 1)] as number;
  }

  /** A forward attempt's outcome. */
  forward(outcome: string): void {
    this.forwards.set(outcome, (this.forwards.get(outcome) ?? 0) + 1);
  }

  /** An error by cause. */
  error(cause: string): void {
    this.errors.set(cause, (this.errors.get(cause) ?? 0) + 1);
  }

  /** Every non-zero cell of the request counter. */
  requestCounts(): RequestCount[] {
    const out: RequestCount[] = [];
    for (const [qtype, cells] of this.requests) {
      for (let i = 0; i < cells.length; i++) {
        const count = cells[i] as number;
        if (count === 0) continue;
        const rcode = i % RCODE_SLOTS;
        const pair = (i - rcode) / RCODE_SLOTS;
        out.push({
          system: DNS_SYSTEMS[pair >> 1] as DnsSystem,
          tcp: (pair & 1) === 1,
          qtype,
          rcode: rcode === 16 ? -1 : rcode,
          count,
        });
      }
    }
    return out;
  }
}
