import { isIPv4 } from 'node:net';
import type dns2 from 'dns2';
import { ByteWriter } from './byte-writer.js';
import { Packet } from './dns2-packet.js';
import { CLASS, FLAG, HEADER_SIZE, RCODE, TYPE } from './dns-codes.js';
import type { Resolution } from './resolve/answer.js';
import type { Rr } from './rr.js';
import { recordRanges } from './wire.js';

// The one writer of reply bytes: whole replies from a resolution (dns2's codecs), code-only
// replies, and the per-client copies of stored replies (answer cache, response cache, upstream).

/** How the reply travels: the size limit and whether the client spoke EDNS0. */
export interface ReplyShape {
  /** Message ID of the query. */
  readonly id: number;
  /** RD bit of the query. */
  readonly rd: boolean;
  /** CD bit of the query. */
  readonly cd: boolean;
  /** The question name (as it should appear in the question section). */
  readonly name: string;
  /** QTYPE. */
  readonly type: number;
  /** QCLASS. */
  readonly qclass: number;
  /** Largest message allowed (UDP: the negotiated size; TCP: 65535). */
  readonly limit: number;
  /** True over TCP: never truncate. */
  readonly tcp: boolean;
  /** The OPT record to echo (our payload size and the DO bit), when the client sent one. */
  readonly opt: { readonly udpSize: number; readonly do: boolean } | undefined;
}

/** An encoded reply and where its rotatable address records sit. */
export interface EncodedReply {
  /** The message. */
  readonly buffer: Buffer;
  /** Byte ranges of the contiguous run of A/AAAA answer records that may be rotated (round robin). */
  readonly rotatable: ReadonlyArray<readonly [number, number]>;
  /** True when the answer had to be truncated (TC=1). */
  readonly truncated: boolean;
}

/** IPv6 text without an embedded dotted quad (dns2 only encodes hex groups). */
function plainIPv6(address: string): string {
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (m?.[1] === undefined || m[2] === undefined || !isIPv4(m[2])) return address;
  const [a, b, c, d] = m[2].split('.').map(Number) as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * The dns2 resource for a record. Each case is a plain object literal: spreading a shared base
 * object (`{ ...base, address }`) cost about 6 µs per record in V8, more than encoding it.
 */
function resource(rr: Rr): Record<string, unknown> {
  const { name, ttl } = rr;
  switch (rr.type) {
    case 'A':
      return { name, type: TYPE.A, class: CLASS.IN, ttl, address: rr.address };
    case 'AAAA':
      return { name, type: TYPE.AAAA, class: CLASS.IN, ttl, address: plainIPv6(rr.address) };
    case 'CNAME':
    case 'PTR':
      return { name, type: TYPE[rr.type], class: CLASS.IN, ttl, domain: rr.target };
    case 'NS':
      return { name, type: TYPE.NS, class: CLASS.IN, ttl, ns: rr.target };
    case 'MX':
      return { name, type: TYPE.MX, class: CLASS.IN, ttl, exchange: rr.target, priority: rr.preference };
    case 'SRV':
      return {
        name,
        type: TYPE.SRV,
        class: CLASS.IN,
        ttl,
        priority: rr.priority,
        weight: rr.weight,
        port: rr.port,
        target: rr.target,
      };
    case 'TXT':
      return { name, type: TYPE.TXT, class: rr.chaos ? CLASS.CHAOS : CLASS.IN, ttl, data: rr.texts };
    case 'SOA':
      return {
        name,
        type: TYPE.SOA,
        class: CLASS.IN,
        ttl,
        primary: rr.mname,
        admin: rr.rname,
        serial: rr.serial,
        refresh: rr.refresh,
        retry: rr.retry,
        expiration: rr.expire,
        minimum: rr.minimum,
      };
  }
}

// dns2's type declarations do not match what its codecs take; these two casts are the only ones.
/** Our byte writer where dns2's codecs expect theirs (they only call the methods ByteWriter has). */
function asDns2Writer(writer: ByteWriter): dns2.Packet.Writer {
  return writer as unknown as dns2.Packet.Writer;
}

/** A resource literal as dns2's encoder takes it (its declared type lacks the per-type fields). */
function asDns2Resource(resource: unknown): dns2.Packet.Resource {
  return resource as dns2.Packet.Resource;
}

/**
 * Encode one record (or the question) with dns2's codecs as if it sat at `base` in the message,
 * sharing the compression table: every record is encoded once, so the cost stays linear (dns2's
 * own Packet.toBuffer re-materializes the whole message after each record, which is quadratic).
 * The writer keeps bytes (dns2's own keeps an array element per bit).
 */
function placed(names: Map<string, number>, base: number, encode: (w: dns2.Packet.Writer) => void): Buffer {
  const writer = new ByteWriter(base, names);
  encode(asDns2Writer(writer));
  return writer.toBuffer();
}

function header(
  shape: ReplyShape,
  res: Resolution,
  counts: readonly [number, number, number, number],
  tc: boolean,
): Buffer {
  const fields = {
    id: shape.id,
    qr: 1,
    opcode: 0,
    aa: res.aa ? 1 : 0,
    tc: tc ? 1 : 0,
    rd: shape.rd ? 1 : 0,
    ra: res.ra ? 1 : 0,
    z: 0,
    ad: 0,
    cd: shape.cd ? 1 : 0,
    rcode: RCODE[res.rcode] & 0xf,
    qdcount: counts[0],
    ancount: counts[1],
    nscount: counts[2],
    arcount: counts[3],
  };
  return new Packet.Header(fields as Partial<dns2.Packet.Header>).toBuffer(
    asDns2Writer(new ByteWriter(0, new Map(), HEADER_SIZE)),
  );
}

function opt(shape: ReplyShape, rcode: number): Buffer {
  if (shape.opt === undefined) return Buffer.alloc(0);
  const record = Packet.Resource.EDNS([], {
    udpPayloadSize: shape.opt.udpSize,
    doFlag: shape.opt.do,
    extendedRcode: rcode >> 4,
  });
  return placed(new Map(), 0, (w) => Packet.Resource.encode(asDns2Resource(record), w));
}

/** The fewest bytes a record can take (owner compressed to a pointer), to skip sets that cannot fit unencoded. */
function smallestSize(rr: Rr): number {
  const fixed = 12;
  switch (rr.type) {
    case 'A':
      return fixed + 4;
    case 'AAAA':
      return fixed + 16;
    case 'SRV':
      return fixed + 8;
    case 'MX':
      return fixed + 4;
    case 'TXT':
      return fixed + rr.texts.reduce((n, t) => n + 1 + Buffer.byteLength(t), 0);
    case 'SOA':
      return fixed + 22;
    default:
      return fixed + 2;
  }
}

/** Answer records grouped into RRsets (consecutive records with one owner and type). */
function rrsets(rrs: readonly Rr[]): Rr[][] {
  const sets: Rr[][] = [];
  for (const rr of rrs) {
    const last = sets[sets.length - 1];
    const head = last?.[0];
    if (
      last !== undefined &&
      head !== undefined &&
      head.type === rr.type &&
      head.name.toLowerCase() === rr.name.toLowerCase()
    )
      last.push(rr);
    else sets.push([rr]);
  }
  return sets;
}

function rotatableRun(buffer: Buffer, questionEnd: number, answerCount: number): Array<readonly [number, number]> {
  const ranges = recordRanges(buffer, questionEnd, answerCount);
  if (ranges === undefined) return [];
  const run = ranges.filter((r) => r.type === TYPE.A || r.type === TYPE.AAAA);
  if (run.length < 2) return [];
  const first = run[0]?.start ?? 0;
  const contiguous = run.every((r, i) => i === 0 || r.start === run[i - 1]?.end);
  const allPointers = run.every(
    (r) => ((buffer[r.start] as number) & 0xc0) === 0xc0 && (buffer.readUInt16BE(r.start) & 0x3fff) < first,
  );
  return contiguous && allPointers ? run.map((r) => [r.start, r.end] as const) : [];
}

/**
 * Encode a resolution for one client (dns2 codecs, name compression). The size limit is the
 * negotiated UDP size, or 65535 over TCP. Too large: the additional section goes first (no TC: glue
 * is optional), then whole RRsets from the end of the answer, with TC=1. Records past the limit are
 * never encoded, so a huge subtree costs no more than what fits.
 */
export function encodeReply(shape: ReplyShape, res: Resolution): EncodedReply {
  const limit = shape.tcp ? 65535 : shape.limit;
  const names = new Map<string, number>();
  const question = placed(names, HEADER_SIZE, (w) =>
    Packet.Question.encode(new Packet.Question(shape.name, shape.type, shape.qclass), w),
  );
  const optBuf = opt(shape, RCODE[res.rcode]);
  const questionEnd = HEADER_SIZE + question.length;
  // `size` is where the next record starts; the OPT record goes last but its room is kept.
  let size = questionEnd;
  const room = limit - optBuf.length;
  const add = (rr: Rr, at = size): Buffer =>
    placed(names, at, (w) => Packet.Resource.encode(asDns2Resource(resource(rr)), w));

  const answer: Buffer[] = [];
  let truncated = false;
  for (const set of rrsets(res.answer)) {
    // Over TCP there is no bigger transport to retry on: a first RRset too big for 64 KiB is sent in
    // part (with TC=1) rather than as an empty answer. Over UDP the client retries over TCP.
    const partial = shape.tcp && answer.length === 0;
    if (!partial && size + set.reduce((n, rr) => n + smallestSize(rr), 0) > room) {
      truncated = true;
      break;
    }
    const encoded: Buffer[] = [];
    let setSize = 0;
    for (const rr of set) {
      const buf = add(rr, size + setSize);
      encoded.push(buf);
      setSize += buf.length;
      if (size + setSize > room) break;
    }
    if (size + setSize > room) {
      truncated = true;
      if (partial) {
        setSize -= encoded.pop()?.length ?? 0;
        answer.push(...encoded);
        size += setSize;
      }
      break;
    }
    answer.push(...encoded);
    size += setSize;
  }
  const authority: Buffer[] = [];
  const additional: Buffer[] = [];
  if (!truncated) {
    for (const rr of res.authority) {
      const buf = add(rr);
      authority.push(buf);
      size += buf.length;
    }
    if (size > room) {
      truncated = true;
      authority.length = 0;
    }
  }
  if (!truncated) {
    let extra = 0;
    for (const rr of res.additional) {
      const buf = add(rr, size + extra);
      additional.push(buf);
      extra += buf.length;
      if (size + extra > room) break;
    }
    if (size + extra > room) additional.length = 0;
  }
  const counts = [1, answer.length, authority.length, additional.length + (optBuf.length > 0 ? 1 : 0)] as const;
  const buffer = Buffer.concat([
    // A capped answer (records left out before encoding) says so with TC=1 as well.
    header(shape, res, counts, truncated || res.capped === true),
    question,
    ...answer,
    ...authority,
    ...additional,
    optBuf,
  ]);
  return { buffer, rotatable: rotatableRun(buffer, questionEnd, answer.length), truncated };
}

/** The header fields and question of a received query that replies echo. */
export interface QueryEcho {
  /** Message ID. */
  readonly id: number;
  /** Recursion desired. */
  readonly rd: boolean;
  /** Checking disabled. */
  readonly cd: boolean;
  /** Offset just past the question section of the query. */
  readonly questionEnd: number;
}

/**
 * A reply carrying only a code: the query's header with QR=1, the given RCODE and flags, and the
 * question copied back when it was well formed (`questionEnd` > 0).
 */
export function codeReply(
  msg: Buffer,
  rcode: number,
  questionEnd: number,
  flags: { aa?: boolean; ra?: boolean } = {},
): Buffer {
  const withQuestion = questionEnd > HEADER_SIZE && questionEnd <= msg.length;
  const out = Buffer.alloc(withQuestion ? questionEnd : HEADER_SIZE);
  msg.copy(out, 0, 0, Math.min(msg.length, withQuestion ? questionEnd : 4));
  const query = msg.length >= 4 ? msg.readUInt16BE(2) : 0;
  const opcode = query & 0x7800;
  const rd = query & FLAG.RD;
  out.writeUInt16BE(FLAG.QR | opcode | (flags.aa ? FLAG.AA : 0) | rd | (flags.ra ? FLAG.RA : 0) | (rcode & 0xf), 2);
  out.writeUInt16BE(withQuestion ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(0, 10);
  return out;
}

/**
 * A copy of an encoded reply for one query: its ID, RD/CD bits and the question name's bytes as
 * the client spelled them (0x20 case; answer owners point at the question so they follow), with
 * the rotatable address records turned `turn` steps when `rotate` is on (round robin).
 */
export function replyFor(reply: EncodedReply, query: QueryEcho, msg: Buffer, turn: number, rotate: boolean): Buffer {
  const source = reply.buffer;
  const out = Buffer.from(source);
  out.writeUInt16BE(query.id, 0);
  out[2] = ((out[2] as number) & 0xfe) | (query.rd ? 1 : 0);
  out[3] = ((out[3] as number) & 0xef) | (query.cd ? 0x10 : 0);
  // The question name as the client spelled it (a byte loop: Buffer#copy allocates a view per call).
  const nameEnd = query.questionEnd - 4;
  for (let i = HEADER_SIZE; i < nameEnd; i++) out[i] = msg[i] as number;
  const run = reply.rotatable;
  if (rotate && run.length > 1) {
    const first = turn % run.length;
    let at = run[0]?.[0] ?? 0;
    for (let i = 0; i < run.length; i++) {
      const [start, end] = run[(first + i) % run.length] as readonly [number, number];
      source.copy(out, at, start, end);
      at += end - start;
    }
  }
  return out;
}

/** A copy of a message with another ID (queries sent upstream get a fresh one; their replies get the client's back). */
export function withId(msg: Buffer, id: number): Buffer {
  const out = Buffer.from(msg);
  out.writeUInt16BE(id, 0);
  return out;
}

/** A copy of a stored upstream reply with every TTL at `ttls` ([offset, stored value]) reduced by `elapsed` seconds. */
export function agedReply(stored: Buffer, ttls: ReadonlyArray<readonly [number, number]>, elapsed: number): Buffer {
  const out = Buffer.from(stored);
  for (const [at, ttl] of ttls) out.writeUInt32BE(Math.max(0, ttl - elapsed), at);
  return out;
}

/** Make a (fresh, aged) upstream reply from the response cache answer `query`: its ID and the question name as spelled. */
export function upstreamReplyFor(reply: Buffer, query: QueryEcho, msg: Buffer): Buffer {
  reply.writeUInt16BE(query.id, 0);
  if (reply.length >= query.questionEnd) msg.copy(reply, HEADER_SIZE, HEADER_SIZE, query.questionEnd - 4);
  return reply;
}
