import { keyToName } from '@kube-dns-legacy/skymsg';
import { RCODE } from '../dns-codes.js';
import { codeReply, upstreamReplyFor } from '../encode.js';
import type { LogFn } from '@kube-dns-legacy/processkit';
import type { DnsObserver } from '../metrics.js';
import type { ExternalTarget } from '../resolve/context.js';
import type { Rr } from '../rr.js';
import type { WireQuery } from '../wire.js';
import { forwardQuery, lookupExternal, type ForwardOptions } from './exchange.js';
import { ResponseCache } from './response-cache.js';

export { forwardQuery, lookupExternal, type ForwardOptions, type Forwarded } from './exchange.js';
export { ResponseCache, cacheLifetime } from './response-cache.js';
export { parseUpstream, resolvConfServers, type Upstream } from './upstream.js';

/** Settings of the forward step. */
export interface ForwarderOptions {
  /** Upstream servers and timeouts. */
  readonly forward: ForwardOptions;
  /** The response cache for upstream replies, or undefined when `-rcache` is 0. */
  readonly rcache: ResponseCache | undefined;
  /** `-rcache-ttl`: also the TTL of upstream records added to answers. */
  readonly rcacheTtl: number;
  /** Metrics. */
  readonly observer: Pick<DnsObserver, 'cache' | 'forward'>;
  /** Where log lines go. */
  readonly log: LogFn;
}

/**
 * The forward step: questions that resolve sent upstream (through the response cache), and the
 * addresses of CNAME targets outside the domain. Whether to forward is resolve's decision; this
 * only carries it out.
 */
export class Forwarder {
  constructor(private readonly options: ForwarderOptions) {}

  /** Records changed at these etcd keys: drop the cached upstream replies they affect. */
  recordsChanged(keys: readonly string[], prefix: string): void {
    const rcache = this.options.rcache;
    if (rcache === undefined) return;
    for (const key of keys) {
      try {
        rcache.invalidate(keyToName(key, prefix));
      } catch {
        rcache.clear();
      }
    }
  }

  /** The upstream reply to the client's message (from the response cache when fresh), or SERVFAIL when every server failed. */
  async forward(msg: Buffer, q: WireQuery, tcp: boolean): Promise<Buffer> {
    const { rcache, observer } = this.options;
    const key = ResponseCache.key(q.name, q.type, q.qclass, q.edns?.do ?? false, tcp);
    if (rcache !== undefined) {
      const hit = rcache.get(key, Date.now());
      observer.cache('response', hit !== undefined);
      if (hit !== undefined) return upstreamReplyFor(hit, q, msg);
    }
    const result = await forwardQuery(this.options.forward, msg, tcp);
    if (result.reply === undefined) {
      observer.forward('failed');
      this.options.log('warn', 'every upstream failed; answering SERVFAIL', { name: q.name, errors: result.errors });
      return codeReply(msg, RCODE.SERVFAIL, q.questionEnd, { ra: true });
    }
    observer.forward('ok');
    rcache?.put(key, q.name, result.reply, Date.now());
    return result.reply;
  }

  /** The upstream addresses of each target, in order (undefined where the lookup failed or the target does not exist). */
  async lookupTargets(targets: readonly ExternalTarget[]): Promise<Array<Rr[] | undefined>> {
    const found: Array<Rr[] | undefined> = [];
    for (const { cname, type } of targets)
      found.push(await lookupExternal(this.options.forward, cname.target, type, this.options.rcacheTtl));
    return found;
  }
}
