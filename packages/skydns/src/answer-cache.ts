import type { EncodedReply } from './encode.js';
import { HEADER_SIZE, type WireQuery } from './wire.js';

interface Entry {
  readonly reply: EncodedReply;
  turn: number;
}

/**
 * Encoded authoritative replies per (type, class, lower-cased name, EDNS/DO/size class), so a
 * repeated question costs a copy and a few patched bytes instead of a dns2 encode. Bounded;
 * cleared whenever the records change.
 */
export class AnswerCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 20_000) {}

  /** Number of cached replies. */
  get size(): number {
    return this.entries.size;
  }

  /** The cache key of a query answered with the given size limit and transport. */
  static key(query: WireQuery, limit: number, tcp: boolean): string {
    const edns = query.edns === undefined ? 'n' : query.edns.do ? 'd' : 'e';
    return `${query.type}/${query.qclass}/${edns}/${tcp ? 't' : limit}/${query.name.toLowerCase()}`;
  }

  /** The cached reply for `key`, made ready for `query` (see {@link patchReply}); undefined on a miss. */
  get(key: string, query: WireQuery, msg: Buffer, roundRobin: boolean): Buffer | undefined {
    const entry = this.entries.get(key);
    return entry === undefined ? undefined : patchReply(entry, query, msg, roundRobin);
  }

  /** Remember `reply` under `key` and return it made ready for `query`. */
  set(key: string, reply: EncodedReply, query: WireQuery, msg: Buffer, roundRobin: boolean): Buffer {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const entry: Entry = { reply, turn: 0 };
    this.entries.set(key, entry);
    return patchReply(entry, query, msg, roundRobin);
  }

  /** Forget everything (the records changed). */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * A copy of a cached reply for one query: its ID, RD/CD bits and the question name's bytes as
 * the client spelled them (0x20 case; answer owners point at the question so they follow), with
 * the address records rotated one step per use when round robin is on.
 */
function patchReply(entry: Entry, query: WireQuery, msg: Buffer, roundRobin: boolean): Buffer {
  const source = entry.reply.buffer;
  const out = Buffer.from(source);
  out.writeUInt16BE(query.id, 0);
  out[2] = ((out[2] as number) & 0xfe) | (query.rd ? 1 : 0);
  out[3] = ((out[3] as number) & 0xef) | (query.cd ? 0x10 : 0);
  msg.copy(out, HEADER_SIZE, HEADER_SIZE, query.questionEnd - 4);
  const run = entry.reply.rotatable;
  if (roundRobin && run.length > 1) {
    const turn = entry.turn++ % run.length;
    let at = run[0]?.[0] ?? 0;
    for (let i = 0; i < run.length; i++) {
      const [start, end] = run[(turn + i) % run.length] as readonly [number, number];
      source.copy(out, at, start, end);
      at += end - start;
    }
  }
  return out;
}
