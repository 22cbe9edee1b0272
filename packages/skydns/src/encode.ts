import { isIPv4 } from 'node:net';
import dns2 from 'dns2';
import { RCODE, type Resolution } from './answer.js';
import type { Rr } from './rr.js';
import { recordRanges } from './wire.js';

const { Packet } = dns2;

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

const TYPE_CODE: Readonly<Record<Rr['type'], number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33,
};

/** IPv6 text without an embedded dotted quad (dns2 only encodes hex groups). */
function plainIPv6(address: string): string {
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (m?.[1] === undefined || m[2] === undefined || !isIPv4(m[2])) return address;
  const [a, b, c, d] = m[2].split('.').map(Number) as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

function resource(rr: Rr): Record<string, unknown> {
  const base = { name: rr.name, type: TYPE_CODE[rr.type], class: rr.type === 'TXT' && rr.chaos ? 3 : 1, ttl: rr.ttl };
  switch (rr.type) {
    case 'A':
      return { ...base, address: rr.address };
    case 'AAAA':
      return { ...base, address: plainIPv6(rr.address) };
    case 'CNAME':
    case 'PTR':
      return { ...base, domain: rr.target };
    case 'NS':
      return { ...base, ns: rr.target };
    case 'MX':
      return { ...base, exchange: rr.target, priority: rr.preference };
    case 'SRV':
      return { ...base, priority: rr.priority, weight: rr.weight, port: rr.port, target: rr.target };
    case 'TXT':
      return { ...base, data: rr.texts };
    case 'SOA':
      return {
        ...base,
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

function build(shape: ReplyShape, res: Resolution, answer: Rr[], authority: Rr[], additional: Rr[], tc: boolean): Buffer {
  const packet = new Packet();
  const header = {
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
    rcode: RCODE[res.rcode],
  };
  packet.header = new Packet.Header(header as Partial<dns2.Packet.Header>);
  packet.questions = [new Packet.Question(shape.name, shape.type, shape.qclass)];
  packet.answers = answer.map(resource) as unknown as dns2.Packet.Resource[];
  packet.authorities = authority.map(resource) as unknown as dns2.Packet.Resource[];
  const extra = additional.map(resource) as unknown as dns2.Packet.Resource[];
  if (shape.opt !== undefined) {
    extra.push(Packet.Resource.EDNS([], { udpPayloadSize: shape.opt.udpSize, doFlag: shape.opt.do }) as unknown as dns2.Packet.Resource);
  }
  packet.additionals = extra;
  return packet.toBuffer();
}

/** Answer records grouped into RRsets (consecutive records with one owner and type). */
function rrsets(rrs: readonly Rr[]): Rr[][] {
  const sets: Rr[][] = [];
  for (const rr of rrs) {
    const last = sets[sets.length - 1];
    const head = last?.[0];
    if (last !== undefined && head !== undefined && head.type === rr.type && head.name.toLowerCase() === rr.name.toLowerCase()) last.push(rr);
    else sets.push([rr]);
  }
  return sets;
}

function rotatableRun(buffer: Buffer, questionEnd: number, answerCount: number): Array<readonly [number, number]> {
  const ranges = recordRanges(buffer, questionEnd, answerCount);
  if (ranges === undefined) return [];
  const run = ranges.filter((r) => r.type === 1 || r.type === 28);
  if (run.length < 2) return [];
  const first = run[0]?.start ?? 0;
  const contiguous = run.every((r, i) => i === 0 || r.start === run[i - 1]?.end);
  const allPointers = run.every((r) => ((buffer[r.start] as number) & 0xc0) === 0xc0 && (buffer.readUInt16BE(r.start) & 0x3fff) < first);
  return contiguous && allPointers ? run.map((r) => [r.start, r.end] as const) : [];
}

/**
 * Encode a resolution for one client with dns2 (name compression on). Over UDP, when the message
 * is too large, the additional section goes first (no TC: glue is optional), then whole RRsets from
 * the end of the answer, with TC=1. Over TCP the whole answer is sent.
 */
export function encodeReply(shape: ReplyShape, res: Resolution): EncodedReply {
  const questionEnd = 12 + (shape.name === '.' ? 1 : Buffer.byteLength(shape.name, 'latin1') + 1) + 4;
  let answer = res.answer;
  let buffer = build(shape, res, answer, res.authority, res.additional, false);
  let truncated = false;
  if (!shape.tcp && buffer.length > shape.limit) {
    buffer = build(shape, res, answer, res.authority, [], false);
    if (buffer.length > shape.limit) {
      truncated = true;
      const sets = rrsets(answer);
      do {
        sets.pop();
        answer = sets.flat();
        buffer = build(shape, res, answer, [], [], true);
      } while (buffer.length > shape.limit && sets.length > 0);
    }
  }
  return { buffer, rotatable: rotatableRun(buffer, questionEnd, answer.length), truncated };
}
