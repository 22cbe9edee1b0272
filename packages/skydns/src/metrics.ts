import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from '@kube-dns-legacy/processkit/metrics';
import { RCODE_NAME, typeName } from './dns-codes.js';
import {
  CACHES,
  DNS_SYSTEMS,
  DnsCounters,
  type CacheName,
  type DnsSystem,
  type SystemHistogram,
} from './dns-counters.js';

/** Which part of the server produced a reply (re-exported: defined with the counters). */
export type { DnsSystem } from './dns-counters.js';

/** What the DNS path reports; {@link DnsCounters} counts it for {@link Metrics}. */
export interface DnsObserver {
  /** One reply sent (rcode = the header's, or -1 when nothing was sent), for a question of `qtype` (-1: none). */
  reply(system: DnsSystem, tcp: boolean, qtype: number, rcode: number, seconds: number, bytes: number): void;
  /** A cache lookup. */
  cache(cache: CacheName, hit: boolean): void;
  /** A forward attempt's outcome. */
  forward(outcome: 'ok' | 'failed' | 'refused' | 'coalesced'): void;
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

/** The `type` label of a question type (-1: no question). */
function typeLabel(qtype: number): string {
  return qtype < 0 ? 'none' : typeName(qtype);
}

/** The `rcode` label of a header rcode (-1: no reply). */
function rcodeLabel(rcode: number): string {
  return rcode < 0 ? 'none' : (RCODE_NAME[rcode] ?? String(rcode));
}

/** One exposed sample in prom-client's internal form (its Histogram.get() moves `sharedLabels` into `labels`). */
interface ExposedSample {
  readonly labels: { le?: number | string };
  readonly sharedLabels: { system: DnsSystem };
  readonly value: number;
  readonly metricName: string;
}

/**
 * A prom-client histogram by system whose series are read from a {@link SystemHistogram} when
 * scraped. prom-client's registry (text) and its `Histogram.get()` (JSON) both read
 * `getForPromString()`; this one produces the samples prom-client's own histogram would.
 */
class ScrapedHistogram extends Histogram<'system'> {
  constructor(
    private readonly metricName: string,
    private readonly helpText: string,
    private readonly source: SystemHistogram,
    registers: Registry[],
  ) {
    super({ name: metricName, help: helpText, labelNames: ['system'], buckets: [...source.bounds], registers });
  }

  /** Cumulative `_bucket` samples, then `_sum` and `_count`, for every system observed so far. */
  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: ExposedSample[];
  }> {
    const values: ExposedSample[] = [];
    const bounds = this.source.bounds;
    for (const system of DNS_SYSTEMS) {
      const s = this.source.series(system);
      if (s === undefined) continue;
      const sharedLabels = { system };
      s.cumulative.forEach((value, i) =>
        values.push({
          labels: { le: i < bounds.length ? (bounds[i] as number) : '+Inf' },
          sharedLabels,
          value,
          metricName: `${this.metricName}_bucket`,
        }),
      );
      values.push({ labels: {}, sharedLabels, value: s.sum, metricName: `${this.metricName}_sum` });
      values.push({ labels: {}, sharedLabels, value: s.count, metricName: `${this.metricName}_count` });
    }
    return { name: this.metricName, help: this.helpText, type: 'histogram', aggregator: 'sum', values };
  }
}

/**
 * Prometheus metrics of one skydns process, in its own registry. The DNS path only counts into
 * {@link DnsCounters} (plain arrays); the metrics are filled from them when scraped.
 */
export class Metrics implements DnsObserver {
  /** The registry to expose on /metrics. */
  readonly registry = new Registry();
  /** What the DNS path counts. */
  readonly counters = new DnsCounters();
  /** Values skipped because they were not valid records. */
  readonly badValues: Counter;
  /** Holds of the last good data while an etcd that came back behind us was refilled, by how they ended. */
  readonly holds: Counter<'reason'>;

  constructor(prefix: string, store: () => StoreGauges) {
    const r = [this.registry];
    const counters = this.counters;
    collectDefaultMetrics({ register: this.registry, prefix });
    new Counter({
      name: `${prefix}dns_request_count_total`,
      help: 'DNS replies by system, transport, query type and rcode.',
      labelNames: ['system', 'transport', 'type', 'rcode'],
      registers: r,
      collect(): void {
        this.reset();
        for (const c of counters.requestCounts())
          this.inc(
            {
              system: c.system,
              transport: c.tcp ? 'tcp' : 'udp',
              type: typeLabel(c.qtype),
              rcode: rcodeLabel(c.rcode),
            },
            c.count,
          );
      },
    });
    new ScrapedHistogram(`${prefix}dns_request_duration_seconds`, 'Time to answer a DNS query.', counters.duration, r);
    new ScrapedHistogram(`${prefix}dns_response_size_bytes`, 'Size of DNS replies.', counters.size, r);
    const byKey = (name: string, help: string, label: string, source: ReadonlyMap<string, number>): Counter =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers: r,
        collect(): void {
          this.reset();
          for (const [value, count] of source) this.inc({ [label]: value }, count);
        },
      });
    byKey(`${prefix}dns_error_count_total`, 'DNS errors by cause, each counted once.', 'cause', counters.errors);
    const cacheCounter = (name: string, help: string, hit: boolean): Counter =>
      new Counter({
        name,
        help,
        labelNames: ['cache'],
        registers: r,
        collect(): void {
          this.reset();
          for (const cache of CACHES) {
            const count = counters.cacheCount(cache, hit);
            if (count > 0) this.inc({ cache }, count);
          }
        },
      });
    cacheCounter(`${prefix}dns_cachehit_count_total`, 'Cache hits by cache.', true);
    cacheCounter(`${prefix}dns_cachemiss_count_total`, 'Cache misses by cache.', false);
    byKey(`${prefix}dns_forward_count_total`, 'Queries forwarded upstream by outcome.', 'outcome', counters.forwards);
    this.badValues = new Counter({
      name: `${prefix}store_bad_values_total`,
      help: 'etcd values skipped because they are not valid SkyDNS records.',
      registers: r,
    });
    this.holds = new Counter({
      name: `${prefix}store_holds_total`,
      help: 'Times etcd came back behind the data held (restored or wiped) and the last good data served until the refill was quiet (reason="quiet") or the longest hold passed (reason="max-hold").',
      labelNames: ['reason'],
      registers: r,
    });
    new Gauge({
      name: `${prefix}store_records`,
      help: 'Records held in memory.',
      registers: r,
      // With -workers, the primary sums what the workers report; the store's gauges take the worst worker.
      aggregator: 'min',
      collect(): void {
        this.set(store().size);
      },
    });
    new Gauge({
      name: `${prefix}store_ready`,
      help: '1 once the first load from etcd finished.',
      registers: r,
      aggregator: 'min',
      collect(): void {
        this.set(store().ready ? 1 : 0);
      },
    });
    new Gauge({
      name: `${prefix}etcd_up`,
      help: '1 while the etcd watch is connected.',
      registers: r,
      aggregator: 'min',
      collect(): void {
        this.set(store().connected ? 1 : 0);
      },
    });
    new Gauge({
      name: `${prefix}store_last_sync_age_seconds`,
      help: 'Seconds since the data was last confirmed current with etcd (-1 before the first load).',
      registers: r,
      aggregator: 'max',
      collect(): void {
        const last = store().lastSync;
        this.set(last === 0 ? -1 : (Date.now() - last) / 1000);
      },
    });
  }

  reply(system: DnsSystem, tcp: boolean, qtype: number, rcode: number, seconds: number, bytes: number): void {
    this.counters.reply(system, tcp, qtype, rcode, seconds, bytes);
  }

  cache(cache: CacheName, hit: boolean): void {
    this.counters.cache(cache, hit);
  }

  forward(outcome: 'ok' | 'failed' | 'refused' | 'coalesced'): void {
    this.counters.forward(outcome);
  }

  error(cause: string): void {
    this.counters.error(cause);
  }
}
