import {
  decodeRecord,
  encodeRecord,
  leafLabel,
  nameToKey,
  RECORD_DEFAULTS,
  type SkyRecord,
} from '@kube-dns-legacy/skymsg';
import { freeDnsPort } from '@kube-dns-legacy/testkit';
import { DnsHandler, type HandlerOptions } from './handler.js';
import { NO_METRICS } from './metrics.js';
import { RecordTree } from './tree.js';
import type { ResolveContext } from './resolve/context.js';
import { DnsServer } from './server.js';

/** kube2sky's record for a service/endpoint/pod IP. */
export function kubeA(host: string): SkyRecord {
  return { host, ...RECORD_DEFAULTS };
}

/** A tree builder for tests: records written exactly as kube2sky writes them (JSON through skymsg). */
export class TreeBuilder {
  readonly tree = new RecordTree();

  /** Put `record` as the hash leaf under `name` (as kube2sky does); returns the key. */
  leaf(name: string, record: SkyRecord, label?: string): string {
    const value = encodeRecord(record);
    const key = `${nameToKey(name)}/${label ?? leafLabel(value)}`;
    this.tree.set(key, decodeRecord(key, value));
    return key;
  }

  /** Put `record` exactly at the key of `name`. */
  at(name: string, record: SkyRecord): string {
    const key = nameToKey(name);
    this.tree.set(key, decodeRecord(key, encodeRecord(record)));
    return key;
  }
}

/** A resolve context over `tree` with SkyDNS defaults for `cluster.local.` at a fixed time. */
export function testContext(tree: RecordTree, overrides: Partial<ResolveContext> = {}): ResolveContext {
  tree.ready = true;
  return {
    store: tree,
    domain: 'cluster.local.',
    prefix: 'skydns',
    ttl: 3600,
    minTtl: 60,
    priority: 10,
    hostmaster: 'hostmaster.cluster.local.',
    local: '',
    version: 'kube-dns-legacy',
    serial: () => Math.floor(Date.UTC(2026, 0, 1, 12, 34, 56) / 3_600_000) * 3600,
    ...overrides,
  };
}

/**
 * The real handler over `tree` (through {@link testContext}), quiet: no upstreams, no metrics, no
 * log, round robin on; `overrides` sets the rest.
 */
export function testHandler(tree: RecordTree, overrides: Partial<HandlerOptions> = {}): DnsHandler {
  return new DnsHandler({
    ctx: testContext(tree),
    forward: { servers: [], rotate: false, timeoutMs: 200 },
    noRec: false,
    ndots: 2,
    roundRobin: true,
    udpCap: 1232,
    rcache: undefined,
    rcacheTtl: 60,
    observer: NO_METRICS,
    verbose: false,
    log: () => undefined,
    ...overrides,
  });
}

/** `handler` behind the real UDP and TCP listeners on a free loopback port, listening. */
export async function serveHandler(handler: DnsHandler, tcpMaxConnections = 16): Promise<DnsServer> {
  const server = new DnsServer((msg, tcp, peer) => handler.handle(msg, tcp, peer), {
    host: '127.0.0.1',
    port: await freeDnsPort(),
    tcpIdleMs: 5000,
    tcpMaxConnections,
    log: () => undefined,
  });
  await server.listen();
  return server;
}

/** The dnsmasq stand-in for upstream and stub servers lives in testkit (shared with the e2e tests); re-exported for autopath.test.ts. */
export { startDnsmasq } from '@kube-dns-legacy/testkit';
