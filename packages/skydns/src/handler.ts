import { AnswerCache } from './answer-cache.js';
import { RCODE, typeName } from './dns-codes.js';
import { codeReply, encodeReply, replyFor, type ReplyShape } from './encode.js';
import { Forwarder, type ForwardOptions, type ResponseCache } from './forward/index.js';
import type { LogFn } from '@kube-dns-legacy/processkit';
import type { DnsObserver, DnsSystem } from './metrics.js';
import { bare, completeExternal, type Resolution } from './resolve/answer.js';
import type { ResolveContext } from './resolve/context.js';
import { decide, type ForwardPolicy } from './resolve/index.js';
import type { Peer } from './server.js';
import { parseQuery, type WireQuery } from './wire.js';

/** Settings of the DNS path. */
export interface HandlerOptions {
  /** The resolve context (records and answer settings). */
  readonly ctx: ResolveContext;
  /** Upstream servers and timeouts. */
  readonly forward: ForwardOptions;
  /** `-no-rec`: never forward. */
  readonly noRec: boolean;
  /** Fewest labels a name needs before it is forwarded (`ndots`, 2). */
  readonly ndots: number;
  /** `-round-robin`: rotate address records. */
  readonly roundRobin: boolean;
  /** `-answer-cache` (default true): reuse encoded authoritative answers; false resolves and encodes every query. */
  readonly answerCache?: boolean;
  /** Largest UDP reply, whatever the client offers. */
  readonly udpCap: number;
  /** The response cache for upstream replies, or undefined when `-rcache` is 0. */
  readonly rcache: ResponseCache | undefined;
  /** `-rcache-ttl`: also the TTL of upstream records added to answers. */
  readonly rcacheTtl: number;
  /** Metrics. */
  readonly observer: DnsObserver;
  /** Log one line per query (`-verbose`). */
  readonly verbose: boolean;
  /** Where log lines go. */
  readonly log: LogFn;
}

const BADVERS: Resolution = Object.freeze(bare('BADVERS'));

/**
 * The DNS pipeline for one message: parse (wire) → answer cache → resolve (the decision) →
 * forward → encode (the writer) → back to the server, which sends it. Never throws, never
 * stalls; returns the reply, or undefined to stay silent.
 */
export class DnsHandler {
  /** Encoded authoritative replies, cleared when records change. */
  readonly answers = new AnswerCache();
  private readonly forwarder: Forwarder;
  private readonly policy: ForwardPolicy;

  constructor(private readonly options: HandlerOptions) {
    this.forwarder = new Forwarder(options);
    this.policy = { noRec: options.noRec, ndots: options.ndots, haveServers: options.forward.servers.length > 0 };
  }

  /** Records changed at these keys: drop every encoded answer and the cached upstream replies they affect. */
  recordsChanged(keys: readonly string[]): void {
    this.answers.clear();
    this.forwarder.recordsChanged(keys, this.options.ctx.prefix);
  }

  /**
   * Answer one message received over UDP or TCP: synchronously when the answer is local (cache
   * hits and authoritative answers), as a promise when upstream servers are involved.
   */
  handle(msg: Buffer, tcp: boolean, peer: Peer): Buffer | undefined | Promise<Buffer | undefined> {
    const started = performance.now();
    const { observer, verbose, log } = this.options;
    // 1. parse
    const outcome = parseQuery(msg);
    if (outcome.kind === 'drop') {
      observer.error('dropped');
      if (verbose) log('debug', 'dropped a packet', { remote: `${peer.address}:${peer.port}`, reason: outcome.reason });
      return undefined;
    }
    if (outcome.kind === 'error') {
      observer.error(outcome.rcode === RCODE.NOTIMP ? 'notimp' : 'formerr');
      if (verbose) log('debug', 'malformed query', { remote: `${peer.address}:${peer.port}`, reason: outcome.reason });
      return this.done(started, tcp, 'error', -1, codeReply(msg, outcome.rcode, outcome.questionEnd));
    }
    const q = outcome.query;
    if (verbose)
      log('debug', 'query', {
        remote: `${peer.address}:${peer.port}`,
        name: q.name,
        type: typeName(q.type),
        transport: tcp ? 'tcp' : 'udp',
      });
    try {
      const limit = tcp
        ? 65535
        : q.edns === undefined
          ? 512
          : Math.min(this.options.udpCap, Math.max(512, q.edns.udpSize));
      if (outcome.kind === 'badvers') {
        observer.error('badvers');
        return this.done(started, tcp, 'error', q.type, this.encode(msg, q, tcp, limit, BADVERS, undefined));
      }
      // 2. answer cache
      const key = this.options.answerCache === false ? undefined : AnswerCache.key(q, msg, limit, tcp);
      if (key !== undefined) {
        const hit = this.answers.get(key);
        observer.cache('answer', hit !== undefined);
        if (hit !== undefined)
          return this.done(
            started,
            tcp,
            'cache',
            q.type,
            replyFor(hit.reply, q, msg, hit.turn, this.options.roundRobin),
          );
      }
      // 3. resolve: answer, forward or refuse
      const decision = decide(this.options.ctx, this.policy, q);
      switch (decision.kind) {
        case 'answer':
          return this.done(
            started,
            tcp,
            decision.source,
            q.type,
            this.encode(msg, q, tcp, limit, decision.resolution, decision.cacheable ? key : undefined),
          );
        case 'code':
          if (decision.refused) observer.forward('refused');
          return this.done(
            started,
            tcp,
            decision.source,
            q.type,
            codeReply(msg, RCODE[decision.rcode], q.questionEnd, decision),
          );
        case 'forward':
          // 4. forward
          return this.forwarder.forward(msg, q, tcp).then(
            (reply) => this.done(started, tcp, decision.source, q.type, reply),
            (err: Error) => this.failed(msg, q, tcp, started, err),
          );
        case 'external':
          return this.forwarder
            .lookupTargets(decision.resolution.external)
            .then((found) =>
              this.done(
                started,
                tcp,
                'recursive',
                q.type,
                this.encode(
                  msg,
                  q,
                  tcp,
                  limit,
                  completeExternal(this.options.ctx, decision.resolution, found),
                  undefined,
                ),
              ),
            )
            .catch((err: Error) => this.failed(msg, q, tcp, started, err));
      }
    } catch (err) {
      return this.failed(msg, q, tcp, started, err as Error);
    }
  }

  /** Count one reply (or none) that took since `started` (performance.now()), and pass it on to be sent. */
  private done(
    started: number,
    tcp: boolean,
    system: DnsSystem,
    qtype: number,
    reply: Buffer | undefined,
  ): Buffer | undefined {
    const rcode = reply !== undefined && reply.length >= 4 ? (reply[3] as number) & 0xf : -1;
    this.options.observer.reply(system, tcp, qtype, rcode, (performance.now() - started) / 1000, reply?.length ?? 0);
    return reply;
  }

  private failed(msg: Buffer, q: WireQuery, tcp: boolean, started: number, err: Error): Buffer | undefined {
    this.options.observer.error('internal');
    this.options.log('error', 'failed to answer a query', { name: q.name, type: typeName(q.type), error: err.message });
    return this.done(started, tcp, 'error', q.type, codeReply(msg, RCODE.SERVFAIL, q.questionEnd, { ra: true }));
  }

  /** 5. encode: a resolution for this query, remembered in the answer cache under `key` when given. */
  private encode(
    msg: Buffer,
    q: WireQuery,
    tcp: boolean,
    limit: number,
    res: Resolution,
    key: string | undefined,
  ): Buffer {
    const shape: ReplyShape = {
      id: q.id,
      rd: q.rd,
      cd: q.cd,
      name: q.name.toLowerCase(),
      type: q.type,
      qclass: q.qclass,
      limit,
      tcp,
      opt: q.edns === undefined ? undefined : { udpSize: this.options.udpCap, do: q.edns.do },
    };
    const encoded = encodeReply(shape, res);
    if (encoded.truncated) this.options.observer.error('truncated');
    if (res.capped === true) this.options.observer.error('capped');
    // A capped answer with records is not kept, so each ask gets another run of them (see
    // Resolution.capped); one without (UDP: TC and no room for the RRset) is the same every time.
    if (key !== undefined && (res.capped !== true || encoded.buffer.readUInt16BE(6) === 0))
      this.answers.set(key, encoded);
    return replyFor(encoded, q, msg, 0, this.options.roundRobin);
  }
}
