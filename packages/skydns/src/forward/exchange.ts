import { randomInt } from 'node:crypto';
import type dns2 from 'dns2';
import { FLAG, HEADER_SIZE, TYPE } from '../dns-codes.js';
import { Packet } from '../dns2-packet.js';
import { withId } from '../encode.js';
import type { Rr } from '../rr.js';
import { questionEndOf, recordRanges } from '../wire.js';
import type { UpstreamPool } from './pool.js';
import type { Upstream } from './upstream.js';

/** Forwarding settings. */
export interface ForwardOptions {
  /** Upstream servers, in order. */
  readonly servers: readonly Upstream[];
  /** Start at a server chosen by the query ID instead of the first. */
  readonly rotate: boolean;
  /** Per-try timeout in ms (`-rtimeout`). */
  readonly timeoutMs: number;
}

/** The outcome of forwarding one query. */
export interface Forwarded {
  /** The upstream reply with the client's ID, or undefined when every server failed. */
  readonly reply: Buffer | undefined;
  /** The server that answered. */
  readonly server: Upstream | undefined;
  /** Errors from the servers that failed, in order. */
  readonly errors: string[];
}

/**
 * Send the client's message unchanged (but for a fresh random ID) to the upstream servers over
 * the client's transport, through the pool: the first (or, with rotation, the ID's) server first,
 * the next one on failure; the reply gets the client's ID back.
 */
export async function forwardQuery(
  pool: UpstreamPool,
  options: ForwardOptions,
  msg: Buffer,
  tcp: boolean,
): Promise<Forwarded> {
  const n = options.servers.length;
  const id = msg.readUInt16BE(0);
  const start = options.rotate && n > 0 ? id % n : 0;
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const server = options.servers[(start + i) % n] as Upstream;
    try {
      const reply = await pool.exchange(server, msg, tcp, options.timeoutMs);
      return { reply: withId(reply, id), server, errors };
    } catch (err) {
      errors.push(`${server.host}:${server.port}: ${(err as Error).message}`);
    }
  }
  return { reply: undefined, server: undefined, errors };
}

/** Bytes of an OPT record without options. */
const OPT_SIZE = 11;

/**
 * An upstream reply made to fit the client's limit, as our own answers are: unchanged when it
 * fits; else TC=1 with the answer records that fit (a prefix of the message, so compression
 * pointers stay valid), no authority or additional records, and our OPT record (`udpSize`, the
 * DO bit) when the client sent one. Returns the reply and whether it was cut.
 */
export function fitReply(
  reply: Buffer,
  limit: number,
  opt: { udpSize: number; do: boolean } | undefined,
): { reply: Buffer; truncated: boolean } {
  if (reply.length <= limit) return { reply, truncated: false };
  const room = limit - (opt === undefined ? 0 : OPT_SIZE);
  const questionEnd = questionEndOf(reply);
  let end = questionEnd > 0 && questionEnd <= room ? questionEnd : HEADER_SIZE;
  let kept = 0;
  if (end > HEADER_SIZE) {
    for (const r of recordRanges(reply, questionEnd, reply.readUInt16BE(6)) ?? []) {
      if (r.end > room) break;
      end = r.end;
      kept++;
    }
  }
  const out = Buffer.alloc(end + (opt === undefined ? 0 : OPT_SIZE));
  reply.copy(out, 0, 0, end);
  out.writeUInt16BE(out.readUInt16BE(2) | FLAG.TC, 2);
  out.writeUInt16BE(end > HEADER_SIZE ? 1 : 0, 4);
  out.writeUInt16BE(kept, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt === undefined ? 0 : 1, 10);
  if (opt !== undefined) {
    const at = end;
    out[at] = 0;
    out.writeUInt16BE(TYPE.OPT, at + 1);
    out.writeUInt16BE(opt.udpSize, at + 3);
    out.writeUInt32BE(opt.do ? 0x8000 : 0, at + 5);
    out.writeUInt16BE(0, at + 9);
  }
  return { reply: out, truncated: true };
}

/** A query for `name`/`type` with RD=1 (the ID is replaced when sent). */
export function makeQuery(name: string, type: number): Buffer {
  const p = new Packet();
  p.header.id = randomInt(0x10000);
  p.header.rd = 1;
  p.questions.push(new Packet.Question(name.replace(/\.$/, ''), type, 1));
  return p.toBuffer();
}

/**
 * The A, AAAA and CNAME answer records of an upstream reply as our records, TTLs set to `ttl`
 * (else their own); undefined when the reply is not NOERROR or cannot be parsed, and, with
 * `others` 'fail', when it holds another type (which we could not re-encode).
 */
export function replyRecords(reply: Buffer, ttl: number | undefined, others: 'skip' | 'fail'): Rr[] | undefined {
  let parsed: dns2.Packet;
  try {
    parsed = Packet.parse(reply);
  } catch {
    return undefined;
  }
  if (parsed.header.rcode !== 0) return undefined;
  const out: Rr[] = [];
  for (const answer of parsed.answers as unknown as Array<Record<string, unknown>>) {
    const name = `${String(answer.name)}.`;
    const t = ttl ?? Number(answer.ttl);
    switch (answer.type) {
      case TYPE.A:
      case TYPE.AAAA:
        out.push({ name, ttl: t, type: answer.type === TYPE.A ? 'A' : 'AAAA', address: String(answer.address) });
        break;
      case TYPE.CNAME:
        out.push({ name, ttl: t, type: 'CNAME', target: `${String(answer.domain)}.` });
        break;
      default:
        if (others === 'fail') return undefined;
    }
  }
  return out;
}

/**
 * Addresses for a CNAME target outside the domain, asked upstream through the pool (UDP, RD=1),
 * TTLs set to `ttl` (SkyDNS: `rcache_ttl`): empty when the target has none of that type (NOERROR);
 * undefined when every server fails or answers with an error code such as NXDOMAIN (SkyDNS's
 * "incomplete CNAME chain").
 */
export async function lookupExternal(
  pool: UpstreamPool,
  options: ForwardOptions,
  name: string,
  type: 'A' | 'AAAA',
  ttl: number,
): Promise<Rr[] | undefined> {
  const query = makeQuery(name, type === 'A' ? TYPE.A : TYPE.AAAA);
  for (const server of options.servers) {
    try {
      const records = replyRecords(await pool.exchange(server, query, false, options.timeoutMs), ttl, 'skip');
      if (records !== undefined) return records;
    } catch {
      // next server
    }
  }
  return undefined;
}
