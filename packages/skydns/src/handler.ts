import { keyToName } from '@kube-dns-legacy/skymsg';
import { AnswerCache } from './answer-cache.js';
import { authoritative, bare, RCODE, type RcodeName, type Resolution } from './answer.js';
import { ResponseCache } from './cache.js';
import { encodeReply, type ReplyShape } from './encode.js';
import { forwardQuery, lookupExternal, type ForwardOptions } from './forward.js';
import type { DnsObserver, DnsSystem } from './metrics.js';
import { inDomain, type ResolveContext } from './resolve/context.js';
import { QTYPE, resolveQuery } from './resolve/index.js';
import type { Rr } from './rr.js';
import type { Peer } from './server.js';
import { codeReply, parseQuery, type WireQuery } from './wire.js';

/** Largest UDP payload we send by default (DNS flag day 2020). */
export const DEFAULT_UDP_CAP = 1232;

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
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string, meta?: Record<string, unknown>) => void;
}

/** The name of a question type in logs (`TYPE<n>` when unknown). */
function typeName(qtype: number): string {
  return QTYPE[qtype] ?? `TYPE${qtype}`;
}

/** Answers raw DNS messages: never throws, never stalls; returns the reply, or undefined to stay silent. */
export class DnsHandler {
  /** Encoded authoritative replies, cleared when records change. */
  readonly answers = new AnswerCache();
  private hourEnds = 0;

  constructor(private readonly options: HandlerOptions) {}

  /** Records changed at these keys: drop every encoded answer and the cached upstream replies they affect. */
  recordsChanged(keys: readonly string[]): void {
    this.answers.clear();
    const rcache = this.options.rcache;
    if (rcache === undefined) return;
    for (const key of keys) {
      try {
        rcache.invalidate(keyToName(key, this.options.ctx.prefix));
      } catch {
        rcache.clear();
      }
    }
  }

  /**
   * Answer one message received over UDP or TCP: synchronously when the answer is local (cache
   * hits and authoritative answers), as a promise when upstream servers are involved.
   */
  handle(msg: Buffer, tcp: boolean, peer: Peer): Buffer | undefined | Promise<Buffer | undefined> {
    const started = performance.now();
    const outcome = parseQuery(msg);
    if (outcome.kind === 'drop') {
      this.options.observer.error('dropped');
      if (this.options.verbose) this.options.log('debug', 'dropped a packet', { remote: `${peer.address}:${peer.port}`, reason: outcome.reason });
      return undefined;
    }
    if (outcome.kind === 'error') {
      this.options.observer.error(outcome.rcode === RCODE.NOTIMP ? 'notimp' : 'formerr');
      if (this.options.verbose) this.options.log('debug', 'malformed query', { remote: `${peer.address}:${peer.port}`, reason: outcome.reason });
      return this.done(started, tcp, 'error', -1, codeReply(msg, outcome.rcode, outcome.questionEnd));
    }
    const q = outcome.query;
    if (this.options.verbose) this.options.log('debug', 'query', { remote: `${peer.address}:${peer.port}`, name: q.name, type: typeName(q.type), transport: tcp ? 'tcp' : 'udp' });
    try {
      const limit = tcp ? 65535 : q.edns === undefined ? 512 : Math.min(this.options.udpCap, Math.max(512, q.edns.udpSize));
      const now = this.options.ctx.now();
      if (now >= this.hourEnds) {
        this.answers.clear();
        this.hourEnds = (Math.floor(now / 3_600_000) + 1) * 3_600_000;
      }
      if (q.edns !== undefined && q.edns.version > 0) {
        this.options.observer.error('badvers');
        return this.done(started, tcp, 'error', q.type, this.encode(msg, q, tcp, limit, bare('BADVERS'), undefined));
      }
      const key = this.options.answerCache === false ? undefined : AnswerCache.key(q, msg, limit, tcp);
      if (key !== undefined) {
        const hit = this.answers.get(key, q, msg, this.options.roundRobin);
        this.options.observer.cache('answer', hit !== undefined);
        if (hit !== undefined) return this.done(started, tcp, 'cache', q.type, hit);
      }

      if (!q.plain) {
        const labels = q.name.toLowerCase();
        if (!inDomain(labels, this.options.ctx.domain)) return this.forward(msg, q, tcp).then((r) => this.done(started, tcp, 'recursive', q.type, r), (err: Error) => this.failed(msg, q, tcp, started, err));
        return this.done(started, tcp, 'auth', q.type, codeReply(msg, RCODE.NXDOMAIN, q.questionEnd, { aa: true, ra: true }));
      }
      const res = resolveQuery(this.options.ctx, { name: q.name, type: q.type, qclass: q.qclass });
      if (res.forward) return this.forward(msg, q, tcp).then((r) => this.done(started, tcp, q.type === 12 ? 'reverse' : 'recursive', q.type, r), (err: Error) => this.failed(msg, q, tcp, started, err));
      if (res.external.length > 0) {
        return this.completeExternal(res)
          .then((full) => this.done(started, tcp, 'recursive', q.type, this.encode(msg, q, tcp, limit, full, undefined)))
          .catch((err: Error) => this.failed(msg, q, tcp, started, err));
      }
      return this.done(started, tcp, q.type === 12 ? 'reverse' : 'auth', q.type, this.encode(msg, q, tcp, limit, res, res.rcode === 'SERVFAIL' ? undefined : key));
    } catch (err) {
      return this.failed(msg, q, tcp, started, err as Error);
    }
  }

  /** Count one reply (or none) that took since `started` (performance.now()), and pass it on. */
  private done(started: number, tcp: boolean, system: DnsSystem, qtype: number, reply: Buffer | undefined): Buffer | undefined {
    const rcode = reply !== undefined && reply.length >= 4 ? (reply[3] as number) & 0xf : -1;
    this.options.observer.reply(system, tcp, qtype, rcode, (performance.now() - started) / 1000, reply?.length ?? 0);
    return reply;
  }

  private failed(msg: Buffer, q: WireQuery, tcp: boolean, started: number, err: Error): Buffer | undefined {
    this.options.observer.error('internal');
    this.options.log('error', 'failed to answer a query', { name: q.name, type: typeName(q.type), error: err.message });
    return this.done(started, tcp, 'error', q.type, codeReply(msg, RCODE.SERVFAIL, q.questionEnd, { ra: true }));
  }

  /** Encode a resolution for this query, remembering it under `key` when given. */
  private encode(msg: Buffer, q: WireQuery, tcp: boolean, limit: number, res: Resolution, key: string | undefined): Buffer {
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
    if (key !== undefined) return this.answers.set(key, encoded, q, msg, this.options.roundRobin);
    const reply = Buffer.from(encoded.buffer);
    msg.copy(reply, 12, 12, q.questionEnd - 4);
    return reply;
  }

  private async forward(msg: Buffer, q: WireQuery, tcp: boolean): Promise<Buffer> {
    const fail = (rcode: RcodeName, ra: boolean): Buffer => codeReply(msg, RCODE[rcode], q.questionEnd, { ra });
    if (this.options.noRec) {
      this.options.observer.forward('refused');
      return fail('SERVFAIL', false);
    }
    if (q.labelCount < this.options.ndots || this.options.forward.servers.length === 0) {
      this.options.observer.forward('refused');
      return fail('SERVFAIL', true);
    }
    const rcache = this.options.rcache;
    const key = ResponseCache.key(q.name, q.type, q.qclass, q.edns?.do ?? false, tcp);
    if (rcache !== undefined) {
      const hit = rcache.get(key, Date.now());
      this.options.observer.cache('response', hit !== undefined);
      if (hit !== undefined) {
        hit.writeUInt16BE(q.id, 0);
        if (hit.length >= q.questionEnd) msg.copy(hit, 12, 12, q.questionEnd - 4);
        return hit;
      }
    }
    const result = await forwardQuery(this.options.forward, msg, tcp);
    if (result.reply === undefined) {
      this.options.observer.forward('failed');
      this.options.log('warn', 'every upstream failed; answering SERVFAIL', { name: q.name, errors: result.errors });
      return fail('SERVFAIL', true);
    }
    this.options.observer.forward('ok');
    rcache?.put(key, q.name, result.reply, Date.now());
    return result.reply;
  }

  /** Resolve CNAME targets outside the domain upstream; CNAMEs whose target yields nothing are dropped. */
  private async completeExternal(res: Resolution): Promise<Resolution> {
    let answer: Rr[] = [...res.answer];
    for (const { cname, type } of res.external) {
      const found = this.options.noRec ? [] : await lookupExternal(this.options.forward, cname.target, type, this.options.rcacheTtl);
      if (found.length === 0) answer = [];
      else answer.push(...found);
    }
    return authoritative(this.options.ctx, { exists: true, answer, additional: res.additional, external: [] });
  }
}
