import { FLAG, HEADER_SIZE, OPCODE, RCODE, TYPE } from './dns-codes.js';

// The parse step: checks a received message and reads its question and OPT record. Read-only:
// replies are written by encode.ts alone.

/** Smallest possible resource record on the wire: root name, type, class, TTL, RDLENGTH. */
const MIN_RR_SIZE = 11;

/** EDNS0 parameters of a query. */
export interface Edns {
  /** Requestor's UDP payload size. */
  readonly udpSize: number;
  /** DNSSEC OK bit. */
  readonly do: boolean;
  /** EDNS version. */
  readonly version: number;
}

/** A query that passed the sanity checks: header fields, the one question and EDNS0. */
export interface WireQuery {
  /** Message ID. */
  readonly id: number;
  /** Recursion desired. */
  readonly rd: boolean;
  /** Checking disabled. */
  readonly cd: boolean;
  /** The question name as received, fully qualified (`.` for the root). */
  readonly name: string;
  /** False when a label holds bytes that cannot be part of a SkyDNS key (`.`, `/`, spaces, non-ASCII). */
  readonly plain: boolean;
  /** Number of labels of the name. */
  readonly labelCount: number;
  /** QTYPE. */
  readonly type: number;
  /** QCLASS. */
  readonly qclass: number;
  /** Offset just past the question section. */
  readonly questionEnd: number;
  /** EDNS0 parameters, when the query carried an OPT record. */
  readonly edns: Edns | undefined;
}

/** The outcome of checking a received message. */
export type ParseOutcome =
  | { readonly kind: 'query'; readonly query: WireQuery }
  /** A well-formed query of an EDNS version we do not speak (> 0): answered BADVERS. */
  | { readonly kind: 'badvers'; readonly query: WireQuery }
  | { readonly kind: 'drop'; readonly reason: string }
  | { readonly kind: 'error'; readonly rcode: number; readonly reason: string; readonly questionEnd: number };

const FORMERR = RCODE.FORMERR;
const NOTIMP = RCODE.NOTIMP;

/** Where a question name is assembled in presentation form (one query at a time: no allocation per label). */
const NAME_SCRATCH = Buffer.alloc(256);

const formerr = (reason: string, questionEnd = 0): ParseOutcome => ({
  kind: 'error',
  rcode: FORMERR,
  reason,
  questionEnd,
});

/** Skip a (possibly compressed) name starting at `offset`; returns the offset after it, or -1 when malformed. */
export function skipName(msg: Buffer, offset: number): number {
  if (offset < 0) return -1;
  let pos = offset;
  for (let guard = 0; guard < 128; guard++) {
    if (pos >= msg.length) return -1;
    const len = msg[pos] as number;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    pos += 1 + len;
  }
  return -1;
}

function plainLabel(msg: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = msg[i] as number;
    if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x2f || c === 0x5c) return false;
  }
  return true;
}

/** The question name of a checked message in presentation form (`.` for the root). */
function presentationName(msg: Buffer, labelCount: number): string {
  if (labelCount === 0) return '.';
  let pos = HEADER_SIZE;
  let text = 0;
  for (let len = msg[pos] as number; len !== 0; len = msg[pos] as number) {
    for (let i = pos + 1; i <= pos + len; i++) NAME_SCRATCH[text++] = msg[i] as number;
    NAME_SCRATCH[text++] = 0x2e;
    pos += 1 + len;
  }
  return NAME_SCRATCH.toString('latin1', 0, text);
}

/** A checked query; the name string is only built when something reads it (a cached answer never does). */
class ParsedQuery implements WireQuery {
  private text: string | undefined;

  constructor(
    private readonly msg: Buffer,
    readonly id: number,
    readonly rd: boolean,
    readonly cd: boolean,
    readonly plain: boolean,
    readonly labelCount: number,
    readonly type: number,
    readonly qclass: number,
    readonly questionEnd: number,
    readonly edns: Edns | undefined,
  ) {}

  get name(): string {
    return (this.text ??= presentationName(this.msg, this.labelCount));
  }
}

/**
 * Check a received message before any full parse and read its question and OPT record. Cheap and
 * bounded: counts are checked against the message length first, names are walked with a guard.
 * Responses and runts are dropped; other opcodes get NOTIMP; anything but one well-formed
 * question gets FORMERR; an EDNS version above 0 gets BADVERS.
 */
export function parseQuery(msg: Buffer): ParseOutcome {
  if (msg.length < HEADER_SIZE)
    return { kind: 'drop', reason: `message of ${msg.length} bytes is shorter than a header` };
  const flags = msg.readUInt16BE(2);
  if (flags & FLAG.QR) return { kind: 'drop', reason: 'message is a response (QR=1)' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== OPCODE.QUERY)
    return { kind: 'error', rcode: NOTIMP, reason: `opcode ${opcode} is not implemented`, questionEnd: 0 };
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  if (qd !== 1) return formerr(`${qd} questions (exactly one is supported)`);
  if (an !== 0 || ns !== 0) return formerr('a query with answer or authority records');
  if (HEADER_SIZE + 5 + ar * MIN_RR_SIZE > msg.length)
    return formerr(`${ar} additional records cannot fit in ${msg.length} bytes`);

  let pos = HEADER_SIZE;
  let plain = true;
  let nameLength = 1;
  let labelCount = 0;
  for (;;) {
    if (pos >= msg.length) return formerr('question name runs past the end of the message');
    const len = msg[pos] as number;
    if (len === 0) {
      pos += 1;
      break;
    }
    if (len > 63) return formerr('question name uses compression or a label longer than 63 bytes');
    nameLength += len + 1;
    if (nameLength > 255) return formerr('question name is longer than 255 bytes');
    if (pos + 1 + len > msg.length) return formerr('question name runs past the end of the message');
    if (plain && !plainLabel(msg, pos + 1, pos + 1 + len)) plain = false;
    labelCount++;
    pos += 1 + len;
  }
  if (pos + 4 > msg.length) return formerr('question is missing its type and class');
  const type = msg.readUInt16BE(pos);
  const qclass = msg.readUInt16BE(pos + 2);
  const questionEnd = pos + 4;

  let edns: Edns | undefined;
  pos = questionEnd;
  for (let i = 0; i < ar; i++) {
    const afterName = skipName(msg, pos);
    if (afterName < 0 || afterName + 10 > msg.length) return formerr('malformed additional record', questionEnd);
    const rrType = msg.readUInt16BE(afterName);
    const rdLength = msg.readUInt16BE(afterName + 8);
    if (afterName + 10 + rdLength > msg.length)
      return formerr('additional record runs past the end of the message', questionEnd);
    if (rrType === TYPE.OPT) {
      if (edns !== undefined) return formerr('more than one OPT record', questionEnd);
      if (afterName !== pos + 1) return formerr('OPT record not owned by the root', questionEnd);
      edns = {
        udpSize: msg.readUInt16BE(afterName + 2),
        version: msg[afterName + 5] as number,
        do: ((msg[afterName + 6] as number) & 0x80) !== 0,
      };
    }
    pos = afterName + 10 + rdLength;
  }
  const query = new ParsedQuery(
    msg,
    msg.readUInt16BE(0),
    (flags & FLAG.RD) !== 0,
    (flags & FLAG.CD) !== 0,
    plain,
    labelCount,
    type,
    qclass,
    questionEnd,
    edns,
  );
  return { kind: edns !== undefined && edns.version > 0 ? 'badvers' : 'query', query };
}

/** The byte ranges of the records of one section, starting at `offset`; undefined when malformed. */
export function recordRanges(
  msg: Buffer,
  offset: number,
  count: number,
): Array<{ start: number; end: number; type: number; ttlAt: number }> | undefined {
  const ranges: Array<{ start: number; end: number; type: number; ttlAt: number }> = [];
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const afterName = skipName(msg, pos);
    if (afterName < 0 || afterName + 10 > msg.length) return undefined;
    const end = afterName + 10 + msg.readUInt16BE(afterName + 8);
    if (end > msg.length) return undefined;
    ranges.push({ start: pos, end, type: msg.readUInt16BE(afterName), ttlAt: afterName + 4 });
    pos = end;
  }
  return ranges;
}

/** Offset just past the question section of a message with one question, or -1. */
export function questionEndOf(msg: Buffer): number {
  if (msg.length < HEADER_SIZE || msg.readUInt16BE(4) !== 1) return -1;
  const afterName = skipName(msg, HEADER_SIZE);
  return afterName < 0 || afterName + 4 > msg.length ? -1 : afterName + 4;
}
