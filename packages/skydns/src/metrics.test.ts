import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { DNS_SYSTEMS, DURATION_BUCKETS, SIZE_BUCKETS } from './dns-counters.js';
import { Metrics } from './metrics.js';
import { seededRandom as random } from '@kube-dns-legacy/testkit';

const PREFIX = 'skydns_skydns_';
const GAUGES = { size: 0, ready: true, connected: true, lastSync: 0 };

/** The per-event prom-client metrics skydns had before counting moved into arrays: the oracle. */
function reference(): {
  registry: Registry;
  reply: (system: string, tcp: boolean, type: string, rcode: string, seconds: number, bytes: number) => void;
  counters: Record<string, Counter>;
} {
  const registry = new Registry();
  const r = [registry];
  const requests = new Counter({
    name: `${PREFIX}dns_request_count_total`,
    help: 'DNS replies by system, transport, query type and rcode.',
    labelNames: ['system', 'transport', 'type', 'rcode'],
    registers: r,
  });
  const duration = new Histogram({
    name: `${PREFIX}dns_request_duration_seconds`,
    help: 'Time to answer a DNS query.',
    labelNames: ['system'],
    buckets: [...DURATION_BUCKETS],
    registers: r,
  });
  const size = new Histogram({
    name: `${PREFIX}dns_response_size_bytes`,
    help: 'Size of DNS replies.',
    labelNames: ['system'],
    buckets: [...SIZE_BUCKETS],
    registers: r,
  });
  const counters = {
    errors: new Counter({
      name: `${PREFIX}dns_error_count_total`,
      help: 'DNS errors by cause, each counted once.',
      labelNames: ['cause'],
      registers: r,
    }),
    hits: new Counter({
      name: `${PREFIX}dns_cachehit_count_total`,
      help: 'Cache hits by cache.',
      labelNames: ['cache'],
      registers: r,
    }),
    misses: new Counter({
      name: `${PREFIX}dns_cachemiss_count_total`,
      help: 'Cache misses by cache.',
      labelNames: ['cache'],
      registers: r,
    }),
    forwards: new Counter({
      name: `${PREFIX}dns_forward_count_total`,
      help: 'Queries forwarded upstream by outcome.',
      labelNames: ['outcome'],
      registers: r,
    }),
  };
  return {
    registry,
    counters,
    reply(system, tcp, type, rcode, seconds, bytes): void {
      requests.inc({ system, transport: tcp ? 'tcp' : 'udp', type, rcode });
      duration.observe({ system }, seconds);
      size.observe({ system }, bytes);
    },
  };
}

/** The lines of the DNS metrics (not the process metrics) in an exposition, sorted. */
function dnsLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.includes(`${PREFIX}dns_`))
    .sort();
}

test('the scraped metrics are exactly what per-event prom-client metrics expose for the same events', async () => {
  const metrics = new Metrics(PREFIX, () => GAUGES);
  const ref = reference();
  const next = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  // Question types: known, unknown (TYPE65000) and none; rcodes: named, unnamed (9) and none (no reply).
  const qtypes: Array<[number, string]> = [
    [1, 'A'],
    [28, 'AAAA'],
    [33, 'SRV'],
    [12, 'PTR'],
    [65000, 'TYPE65000'],
    [-1, 'none'],
  ];
  const rcodes: Array<[number, string]> = [
    [0, 'NOERROR'],
    [3, 'NXDOMAIN'],
    [2, 'SERVFAIL'],
    [1, 'FORMERR'],
    [9, '9'],
    [-1, 'none'],
  ];
  // Durations and sizes on every bucket bound (le: a value equal to a bound is in that bucket), between them and above them all.
  const seconds = [...DURATION_BUCKETS, 0, 0.00001, 0.0007, 0.02, 7, 11, 100];
  const bytes = [...SIZE_BUCKETS, 33, 513, 70000];
  for (let i = 0; i < 5000; i++) {
    const system = pick(DNS_SYSTEMS.slice(0, 4));
    const tcp = next() < 0.3;
    const [qtype, typeLabel] = pick(qtypes);
    const [rcode, rcodeLabel] = pick(rcodes);
    const s = pick(seconds);
    const b = pick(bytes);
    metrics.reply(system, tcp, qtype, rcode, s, b);
    ref.reply(system, tcp, typeLabel, rcodeLabel, s, b);
    const cache = pick(['answer', 'response'] as const);
    const hit = next() < 0.5;
    metrics.cache(cache, hit);
    (hit ? ref.counters['hits'] : ref.counters['misses'])?.inc({ cache });
    if (next() < 0.1) {
      const cause = pick(['dropped', 'formerr', 'truncated']);
      metrics.error(cause);
      ref.counters['errors']?.inc({ cause });
    }
    if (next() < 0.1) {
      const outcome = pick(['ok', 'failed', 'refused'] as const);
      metrics.forward(outcome);
      ref.counters['forwards']?.inc({ outcome });
    }
  }
  const mine = dnsLines(await metrics.registry.metrics());
  const theirs = dnsLines(await ref.registry.metrics());
  assert.ok(theirs.length > 300, `the oracle exposes ${theirs.length} lines`);
  assert.deepEqual(mine, theirs);
  // The JSON form (prom-client's Histogram.get()) carries the system label on every sample too.
  const json = await metrics.registry.getMetricsAsJSON();
  const duration = json.find((m) => m.name === `${PREFIX}dns_request_duration_seconds`);
  assert.equal(duration?.type, 'histogram');
  assert.ok(duration?.values.every((v) => typeof (v.labels as Record<string, unknown>)['system'] === 'string'));
  assert.deepEqual(
    json.find((m) => m.name === `${PREFIX}dns_response_size_bytes`)?.values.length,
    4 * (SIZE_BUCKETS.length + 3),
  );
});

test('scrapes read the counts at scrape time and never reset them; systems never seen are not exposed', async () => {
  const metrics = new Metrics(PREFIX, () => GAUGES);
  const empty = dnsLines(await metrics.registry.metrics()).filter((l) => !l.startsWith('#'));
  assert.deepEqual(empty, []);
  metrics.reply('cache', false, 1, 0, 0.0002, 60);
  metrics.reply('cache', false, 1, 0, 0.0002, 60);
  const first = await metrics.registry.metrics();
  assert.match(
    first,
    /skydns_skydns_dns_request_count_total\{system="cache",transport="udp",type="A",rcode="NOERROR"\} 2\n/,
  );
  assert.match(first, /skydns_skydns_dns_request_duration_seconds_bucket\{le="0.0005",system="cache"\} 2\n/);
  assert.match(first, /skydns_skydns_dns_response_size_bytes_count\{system="cache"\} 2\n/);
  assert.doesNotMatch(first, /system="auth"/);
  metrics.reply('cache', false, 1, 0, 0.0002, 60);
  assert.match(
    await metrics.registry.metrics(),
    /skydns_skydns_dns_request_count_total\{system="cache",transport="udp",type="A",rcode="NOERROR"\} 3\n/,
  );
});
