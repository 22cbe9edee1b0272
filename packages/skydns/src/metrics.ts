import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Which part of the server produced a reply (SkyDNS's `system` label). */
export type DnsSystem = 'auth' | 'cache' | 'recursive' | 'reverse' | 'error';

/** What the DNS path reports; the Prometheus implementation is {@link Metrics}. */
export interface DnsObserver {
  /** One reply sent (or not, for dropped packets): counted once. */
  reply(system: DnsSystem, transport: 'udp' | 'tcp', type: string, rcode: string, seconds: number, bytes: number): void;
  /** A cache lookup. */
  cache(cache: 'answer' | 'response', hit: boolean): void;
  /** A forward attempt's outcome. */
  forward(outcome: 'ok' | 'failed' | 'refused'): void;
  /** An error by cause (dropped, formerr, notimp, truncated, internal, …), counted once. */
  error(cause: string): void;
}

/** An observer that records nothing (tests). */
export const NO_METRICS: DnsObserver = {
  reply: () => undefined,
  cache: () => undefined,
  forward: () => undefined,
  error: () => undefined,
};

/** Store state the metrics read when scraped. */
export interface StoreGauges {
  /** Records in the tree. */
  readonly size: number;
  /** True once the first load finished. */
  readonly ready: boolean;
  /** True while the etcd watch is connected. */
  readonly connected: boolean;
  /** ms timestamp of the last confirmed sync with etcd (0 = never). */
  readonly lastSync: number;
}

/** Prometheus metrics of one skydns process, in its own registry. */
export class Metrics implements DnsObserver {
  /** The registry to expose on /metrics. */
  readonly registry = new Registry();
  private readonly requests: Counter<'system' | 'transport' | 'type' | 'rcode'>;
  private readonly duration: Histogram<'system'>;
  private readonly size: Histogram<'system'>;
  private readonly errors: Counter<'cause'>;
  private readonly cacheHits: Counter<'cache'>;
  private readonly cacheMisses: Counter<'cache'>;
  private readonly forwards: Counter<'outcome'>;
  /** Values skipped because they were not valid records. */
  readonly badValues: Counter;

  constructor(prefix: string, store: () => StoreGauges) {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix });
    this.requests = new Counter({ name: `${prefix}dns_request_count_total`, help: 'DNS replies by system, transport, query type and rcode.', labelNames: ['system', 'transport', 'type', 'rcode'], registers: r });
    this.duration = new Histogram({ name: `${prefix}dns_request_duration_seconds`, help: 'Time to answer a DNS query.', labelNames: ['system'], buckets: [0.0005, 0.001, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r });
    this.size = new Histogram({ name: `${prefix}dns_response_size_bytes`, help: 'Size of DNS replies.', labelNames: ['system'], buckets: [0, 512, 1024, 1500, 2048, 4096, 8192, 16384, 32768, 65536], registers: r });
    this.errors = new Counter({ name: `${prefix}dns_error_count_total`, help: 'DNS errors by cause, each counted once.', labelNames: ['cause'], registers: r });
    this.cacheHits = new Counter({ name: `${prefix}dns_cachehit_count_total`, help: 'Cache hits by cache.', labelNames: ['cache'], registers: r });
    this.cacheMisses = new Counter({ name: `${prefix}dns_cachemiss_count_total`, help: 'Cache misses by cache.', labelNames: ['cache'], registers: r });
    this.forwards = new Counter({ name: `${prefix}dns_forward_count_total`, help: 'Queries forwarded upstream by outcome.', labelNames: ['outcome'], registers: r });
    this.badValues = new Counter({ name: `${prefix}store_bad_values_total`, help: 'etcd values skipped because they are not valid SkyDNS records.', registers: r });
    new Gauge({ name: `${prefix}store_records`, help: 'Records held in memory.', registers: r, collect(): void { this.set(store().size); } });
    new Gauge({ name: `${prefix}store_ready`, help: '1 once the first load from etcd finished.', registers: r, collect(): void { this.set(store().ready ? 1 : 0); } });
    new Gauge({ name: `${prefix}etcd_up`, help: '1 while the etcd watch is connected.', registers: r, collect(): void { this.set(store().connected ? 1 : 0); } });
    new Gauge({
      name: `${prefix}store_last_sync_age_seconds`,
      help: 'Seconds since the data was last confirmed current with etcd (-1 before the first load).',
      registers: r,
      collect(): void {
        const last = store().lastSync;
        this.set(last === 0 ? -1 : (Date.now() - last) / 1000);
      },
    });
  }

  reply(system: DnsSystem, transport: 'udp' | 'tcp', type: string, rcode: string, seconds: number, bytes: number): void {
    this.requests.inc({ system, transport, type, rcode });
    this.duration.observe({ system }, seconds);
    this.size.observe({ system }, bytes);
  }

  cache(cache: 'answer' | 'response', hit: boolean): void {
    (hit ? this.cacheHits : this.cacheMisses).inc({ cache });
  }

  forward(outcome: 'ok' | 'failed' | 'refused'): void {
    this.forwards.inc({ outcome });
  }

  error(cause: string): void {
    this.errors.inc({ cause });
  }
}
