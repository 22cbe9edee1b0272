import { AnswerCache } from './answer-cache.js';
import { RCODE, typeName } from './dns-codes.js';
import { codeReply, encodeReply, replyFor, type ReplyShape } from './encode.js';
import { autopathPlan, type AutopathPlan } from './autopath.js';
import { LogLimiter } from './log-limit.js';
import {
  Forwarder,
  hasLoopGuard,
  makeQuery,
  recursionAllowed,
  replyRecords,
  type ForwardOptions,
  type Network,
  type ResponseCache,
} from './forward/index.js';
import type { LogFn } from '@kube-dns-legacy/processkit';
import type { DnsObserver, DnsSystem } from './metrics.js';
import { bare, completeExternal, type Resolution } from './resolve/answer.js';
import type { ResolveContext } from './resolve/context.js';
import { decide, type ForwardPolicy, type WireQuestion } from './resolve/index.js';
import type { Rr } from './rr.js';
import type { Peer } from './message.js';
import { parseQuery, type WireQuery } from './wire.js';

/** Settings of the DNS path. */
export interface HandlerOptions {
  /** The resolve context (records and answer settings). */
  readonly ctx: ResolveContext;
  /** Upstream servers and timeouts. */
  readonly forward: ForwardOptions;
  /** `-no-rec`: never forward. */
  readonly noRec: boolean;
  /** `-allow-recursion`: the client networks whose questions may be forwarded (undefined: every client). */
  readonly allowRecursion?: readonly Network[];
  /** `-stubzones`: send questions under the stub zones in `stub.dns.<domain>` to their servers. */
  readonly stubzones?: boolean;
  /** `-autopath`: answer a pod's first search-path candidate with the first name of its search path that exists. */
  readonly autopath?: boolean;
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

/** How often a repeated warning about clients is logged at most. */
const WARN_INTERVAL_MS = 10_000;

/** The number of labels of a fully qualified name. */
const labelsOf = (name: string): number => name.split('.').filter((l) => l !== '').length;

/** True when an encoded reply says NXDOMAIN. */
const isNxdomain = (reply: Buffer): boolean => ((reply[3] as number) & 0xf) === RCODE.NXDOMAIN;

/**
 * The DNS pipeline for one message: parse (wire) → answer cache → resolve (the decision) →
 * forward → encode (the writer) → back to the server, which sends it. Never throws, never
 * stalls; returns the reply, or undefined to stay silent.
 */
export class DnsHandler {
  /** Encoded authoritative replies, cleared when records change. */
  readonly answers = new AnswerCache();
  private readonly forwarder: Forwarder;
  private policy: ForwardPolicy;
  private readonly allowed: (address: string) => boolean;
  private readonly loops: LogLimiter;

  constructor(private readonly options: HandlerOptions) {
    this.forwarder = new Forwarder({ ...options, zones: options.ctx, stubzones: options.stubzones ?? false });
    this.allowed = recursionAllowed(options.allowRecursion);
    this.loops = new LogLimiter(options.log, WARN_INTERVAL_MS);
    this.policy = this.forwardPolicy();
  }

  private forwardPolicy(): ForwardPolicy {
    return { noRec: this.options.noRec, ndots: this.options.ndots, haveServers: this.forwarder.servers.length > 0 };
  }

  /**
   * Records changed at these keys: drop every encoded answer and the cached upstream replies they
   * affect; re-read the stub zones and upstream servers when their records changed.
   */
  recordsChanged(keys: readonly string[]): void {
    this.answers.clear();
    this.forwarder.recordsChanged(keys);
    this.policy = this.forwardPolicy();
  }

  /** Close the upstream sockets. */
  close(): void {
    this.forwarder.close();
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
        // An NXDOMAIN may still have an autopath answer for the pod asking.
        if (hit !== undefined && (this.options.autopath !== true || !isNxdomain(hit.reply.buffer)))
          return this.done(
            started,
            tcp,
            'cache',
            q.type,
            replyFor(hit.reply, q, msg, hit.turn, this.options.roundRobin),
          );
      }
      // stub zones: their servers answer (`-stubzones`)
      const zone = this.forwarder.stubZone(q.name);
      if (zone !== undefined) {
        if (hasLoopGuard(msg)) {
          observer.error('stub-loop');
          this.loops.line('warn', 'dropped a question that already went through a stub zone (a forwarding loop)', {
            name: q.name,
            zone: zone.zone,
            remote: peer.address,
          });
          return this.done(started, tcp, 'recursive', q.type, undefined);
        }
        if (!this.allowed(peer.address)) return this.refused(msg, q, tcp, started);
        return this.forwarder.forward(msg, q, tcp, limit, zone).then(
          (reply) => this.done(started, tcp, 'recursive', q.type, reply),
          (err: Error) => this.failed(msg, q, tcp, started, err),
        );
      }
      // 3. resolve: answer, forward or refuse
      const decision = decide(this.options.ctx, this.policy, q);
      // autopath: for a pod's first search-path candidate that does not exist, the rest of its search path (`-autopath`)
      if (this.options.autopath === true && decision.kind === 'answer' && decision.resolution.rcode === 'NXDOMAIN') {
        const plan = autopathPlan(this.options.ctx, q.name, peer.address);
        if (plan !== undefined) {
          const nxdomain = decision.resolution;
          return this.searchPath(q, plan, peer).then(
            (found) =>
              this.done(
                started,
                tcp,
                found === undefined || found.aa ? 'auth' : 'recursive',
                q.type,
                this.encode(msg, q, tcp, limit, found ?? nxdomain, undefined),
              ),
            (err: Error) => this.failed(msg, q, tcp, started, err),
          );
        }
      }
      const allowed = decision.kind !== 'forward' && decision.kind !== 'external' ? true : this.allowed(peer.address);
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
          // 4. forward (`-allow-recursion`: REFUSED for other clients)
          if (!allowed) return this.refused(msg, q, tcp, started);
          return this.forwarder.forward(msg, q, tcp, limit).then(
            (reply) => this.done(started, tcp, decision.source, q.type, reply),
            (err: Error) => this.failed(msg, q, tcp, started, err),
          );
        case 'external':
          if (!allowed)
            return this.done(
              started,
              tcp,
              'auth',
              q.type,
              this.encode(msg, q, tcp, limit, completeExternal(this.options.ctx, decision.resolution, []), undefined),
            );
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

  /** REFUSED for a client outside `-allow-recursion` asking for a name that would be forwarded. */
  private refused(msg: Buffer, q: WireQuery, tcp: boolean, started: number): Buffer | undefined {
    this.options.observer.forward('refused');
    return this.done(started, tcp, 'recursive', q.type, codeReply(msg, RCODE.REFUSED, q.questionEnd, { ra: false }));
  }

  /**
   * Autopath's search: `<base>.svc.<domain>`, `<base>.<domain>`, then the bare name (forwarded
   * as the policy and `-allow-recursion` allow); the first that exists, answered under the
   * question's name with a CNAME to it; undefined when none does.
   */
  private async searchPath(q: WireQuery, plan: AutopathPlan, peer: Peer): Promise<Resolution | undefined> {
    const { ctx } = this.options;
    for (const name of [...plan.candidates, plan.base]) {
      const candidate: WireQuestion = {
        name,
        type: q.type,
        qclass: q.qclass,
        plain: q.plain,
        labelCount: labelsOf(name),
      };
      const d = decide(ctx, this.policy, candidate);
      if (d.kind === 'answer' && d.resolution.rcode !== 'NXDOMAIN' && d.resolution.rcode !== 'SERVFAIL')
        return withCname(q.name, name, d.resolution, ctx.minTtl);
      if (d.kind === 'external' && this.allowed(peer.address)) {
        const found = await this.forwarder.lookupTargets(d.resolution.external);
        return withCname(q.name, name, completeExternal(ctx, d.resolution, found), ctx.minTtl);
      }
      if (d.kind === 'forward' && this.allowed(peer.address)) {
        const reply = await this.forwarder.ask(makeQuery(name, q.type), name);
        const records = reply === undefined ? undefined : replyRecords(reply, undefined, 'fail');
        // Any reply but NXDOMAIN wins, as in CoreDNS: no records of the type (NODATA) is the CNAME alone.
        if (records !== undefined)
          return withCname(q.name, name, { ...bare('NOERROR', false, true), answer: records }, ctx.minTtl);
      }
    }
    return undefined;
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

/** `res` answered under `owner`: a CNAME from `owner` to `target` first (TTL: the smallest of the answer's, else `minTtl`). */
function withCname(owner: string, target: string, res: Resolution, minTtl: number): Resolution {
  const ttl = res.answer.reduce(
    (min, r) => Math.min(min, r.ttl),
    res.answer.length > 0 ? Number.MAX_SAFE_INTEGER : minTtl,
  );
  const cname: Rr = { name: owner, ttl, type: 'CNAME', target };
  return { ...res, answer: [cname, ...res.answer] };
}
