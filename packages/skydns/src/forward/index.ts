import { keyToName } from '@kube-dns-legacy/skymsg';
import { RCODE } from '../dns-codes.js';
import { codeReply, upstreamReplyFor } from '../encode.js';
import type { LogFn } from '@kube-dns-legacy/processkit';
import type { DnsObserver } from '../metrics.js';
import type { ExternalTarget } from '../resolve/context.js';
import type { Rr } from '../rr.js';
import type { WireQuery } from '../wire.js';
import { fitReply, forwardQuery, lookupExternal, type ForwardOptions, type Forwarded } from './exchange.js';
import { LogLimiter } from '../log-limit.js';
import { UpstreamPool } from './pool.js';
import { ResponseCache } from './response-cache.js';
import type { Upstream } from './upstream.js';
import {
  forwardingKey,
  readStubZones,
  readUpstreams,
  stubFor,
  touches,
  withLoopGuard,
  type StubZone,
  type ZoneSource,
} from './zones.js';

export {
  forwardQuery,
  lookupExternal,
  makeQuery,
  replyRecords,
  type ForwardOptions,
  type Forwarded,
} from './exchange.js';
export { recursionAllowed, type Network } from './acl.js';
export { ResponseCache, cacheLifetime } from './response-cache.js';
export { parseUpstream, resolvConfServers, type Upstream } from './upstream.js';
export { hasLoopGuard } from './zones.js';

/** How often a repeated forwarding warning is logged at most. */
const WARN_INTERVAL_MS = 10_000;

/** Settings of the forward step. */
export interface ForwarderOptions {
  /** Upstream servers (from `-nameservers` or resolv.conf) and timeouts. */
  readonly forward: ForwardOptions;
  /** The records holding stub zones and the upstream override, and the domain they belong to. */
  readonly zones: ZoneSource;
  /** `-stubzones`: send questions under stub zones to their servers. */
  readonly stubzones: boolean;
  /** The response cache for upstream replies, or undefined when `-rcache` is 0. */
  readonly rcache: ResponseCache | undefined;
  /** `-rcache-ttl`: also the TTL of upstream records added to answers. */
  readonly rcacheTtl: number;
  /** Largest UDP reply we advertise in our OPT record. */
  readonly udpCap: number;
  /** Metrics. */
  readonly observer: Pick<DnsObserver, 'cache' | 'forward' | 'error'>;
  /** Where log lines go. */
  readonly log: LogFn;
}

/**
 * The forward step: questions that resolve sent upstream (through the response cache, identical
 * questions in flight sent once), questions under stub zones sent to their servers, and the
 * addresses of CNAME targets outside the domain. Replies are checked (source, ID, question) and
 * fitted to the client's limit. Whether to forward is resolve's decision; this only carries it out.
 */
export class Forwarder {
  private readonly pool: UpstreamPool;
  private readonly inFlight = new Map<string, Promise<Forwarded>>();
  private readonly warnings: LogLimiter;
  private stubs: readonly StubZone[] = [];
  private override: readonly Upstream[] = [];
  private upstream: ForwardOptions;

  constructor(private readonly options: ForwarderOptions) {
    this.upstream = options.forward;
    this.warnings = new LogLimiter(options.log, WARN_INTERVAL_MS);
    this.pool = new UpstreamPool(undefined, (why) => options.observer.error(`upstream-${why}`));
  }

  /** The upstream servers in force: the `dns/upstream` records when there are any, else the flag's (or resolv.conf's). */
  get servers(): readonly Upstream[] {
    return this.upstream.servers;
  }

  /** The stub zone a name belongs to (`-stubzones`), if any. */
  stubZone(name: string): StubZone | undefined {
    return this.stubs.length === 0 ? undefined : stubFor(this.stubs, name);
  }

  /** Records changed at these etcd keys: re-read stub zones and upstream records they touch, drop the cached upstream replies they affect. */
  recordsChanged(keys: readonly string[]): void {
    const { zones, rcache } = this.options;
    const stubKey = forwardingKey(zones, 'stub');
    const upstreamKey = forwardingKey(zones, 'upstream');
    if (this.options.stubzones && keys.some((k) => touches(k, stubKey))) this.readStubs();
    if (keys.some((k) => touches(k, upstreamKey))) this.readUpstreams();
    if (rcache === undefined) return;
    for (const key of keys) {
      try {
        rcache.invalidate(keyToName(key, zones.prefix));
      } catch {
        rcache.clear();
      }
    }
  }

  private readStubs(): void {
    const { value, skipped } = readStubZones(this.options.zones);
    for (const s of skipped) this.options.log('warn', 'skipped a stub zone record', s);
    const before = JSON.stringify(this.stubs);
    this.stubs = value;
    if (JSON.stringify(value) !== before) {
      this.options.log('info', 'stub zones', {
        zones: Object.fromEntries(value.map((z) => [z.zone, z.servers.map((s) => `${s.host}:${s.port}`)])),
      });
      this.options.rcache?.clear();
    }
  }

  private readUpstreams(): void {
    const { value, skipped } = readUpstreams(this.options.zones);
    for (const s of skipped) this.options.log('warn', 'skipped an upstream record', s);
    const before = this.override;
    this.override = value;
    this.upstream = value.length > 0 ? { ...this.options.forward, servers: value } : this.options.forward;
    if (JSON.stringify(value) !== JSON.stringify(before)) {
      this.options.log('info', 'upstream servers', {
        nameservers: this.upstream.servers.map((s) => `${s.host}:${s.port}`),
        from: value.length > 0 ? forwardingKey(this.options.zones, 'upstream') : 'flags or resolv.conf',
      });
      this.options.rcache?.clear();
    }
  }

  /**
   * The upstream (or, with `zone`, the stub zone's) reply to the client's message, from the
   * response cache when fresh, fitted to `limit`; SERVFAIL when every server failed.
   */
  async forward(msg: Buffer, q: WireQuery, tcp: boolean, limit: number, zone?: StubZone): Promise<Buffer> {
    const { rcache, observer } = this.options;
    const cacheKey = `${zone === undefined ? '' : `${zone.zone}|`}${ResponseCache.key(q.name, q.type, q.qclass, q.edns?.do ?? false, tcp)}`;
    if (rcache !== undefined) {
      const hit = rcache.get(cacheKey, Date.now());
      observer.cache('response', hit !== undefined);
      if (hit !== undefined) return this.fit(upstreamReplyFor(hit, q, msg), q, limit);
    }
    const flightKey = `${cacheKey}|${q.rd ? 'r' : '-'}${q.cd ? 'c' : '-'}${q.edns === undefined ? '-' : 'e'}`;
    let flight = this.inFlight.get(flightKey);
    if (flight === undefined) {
      flight = this.send(msg, q, tcp, zone, cacheKey).finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, flight);
    } else observer.forward('coalesced');
    const result = await flight;
    if (result.reply === undefined) return codeReply(msg, RCODE.SERVFAIL, q.questionEnd, { ra: true });
    return this.fit(upstreamReplyFor(Buffer.from(result.reply), q, msg), q, limit);
  }

  /** Send one message upstream (or to a stub zone), count and log the outcome, keep the reply in the response cache. */
  private async send(
    msg: Buffer,
    q: WireQuery,
    tcp: boolean,
    zone: StubZone | undefined,
    cacheKey: string,
  ): Promise<Forwarded> {
    const { observer } = this.options;
    const result =
      zone === undefined
        ? await forwardQuery(this.pool, this.upstream, msg, tcp)
        : await forwardQuery(
            this.pool,
            { servers: zone.servers, rotate: true, timeoutMs: this.upstream.timeoutMs },
            withLoopGuard(msg),
            tcp,
          );
    if (result.reply === undefined) {
      observer.forward('failed');
      this.warnings.line('warn', 'every upstream failed; answering SERVFAIL', {
        name: q.name,
        ...(zone === undefined ? {} : { zone: zone.zone }),
        errors: result.errors,
      });
      return result;
    }
    observer.forward('ok');
    this.options.rcache?.put(cacheKey, q.name, result.reply, Date.now());
    return result;
  }

  /** The reply cut to the client's limit (TC=1) when it does not fit. */
  private fit(reply: Buffer, q: WireQuery, limit: number): Buffer {
    const fitted = fitReply(
      reply,
      limit,
      q.edns === undefined ? undefined : { udpSize: this.options.udpCap, do: q.edns.do },
    );
    if (fitted.truncated) this.options.observer.error('truncated');
    return fitted.reply;
  }

  /** Send a message of our own (autopath's bare name) upstream or to its stub zone; the reply, or undefined when every server failed. */
  async ask(msg: Buffer, name: string): Promise<Buffer | undefined> {
    const zone = this.stubZone(name);
    const options =
      zone === undefined ? this.upstream : { servers: zone.servers, rotate: true, timeoutMs: this.upstream.timeoutMs };
    const result = await forwardQuery(this.pool, options, zone === undefined ? msg : withLoopGuard(msg), false);
    this.options.observer.forward(result.reply === undefined ? 'failed' : 'ok');
    return result.reply;
  }

  /** The upstream addresses of each target, in order (undefined where the lookup failed or the target does not exist). */
  async lookupTargets(targets: readonly ExternalTarget[]): Promise<Array<Rr[] | undefined>> {
    const found: Array<Rr[] | undefined> = [];
    for (const { cname, type } of targets)
      found.push(await lookupExternal(this.pool, this.upstream, cname.target, type, this.options.rcacheTtl));
    return found;
  }

  /** Close the upstream sockets. */
  close(): void {
    this.pool.close();
  }
}
