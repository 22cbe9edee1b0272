import type { EncodedReply } from './encode.js';
import { HEADER_SIZE, type WireQuery } from './wire.js';

/** Where a key is assembled (3 bytes of transport, EDNS and limit, then a question of at most 259 bytes). */
const KEY_SCRATCH = Buffer.alloc(3 + 255 + 4);

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

  /**
   * The cache key of a query answered with the given size limit and transport: one flat string of
   * the transport and EDNS kind, the limit, and the question's wire bytes (name, type, class) with
   * ASCII letters lower-cased — no name string, no concatenation.
   */
  static key(query: WireQuery, msg: Buffer, limit: number, tcp: boolean): string {
    const end = query.questionEnd;
    KEY_SCRATCH[0] = (tcp ? 4 : 0) | (query.edns === undefined ? 0 : query.edns.do ? 1 : 2);
    KEY_SCRATCH[1] = tcp ? 0 : limit >> 8;
    KEY_SCRATCH[2] = tcp ? 0 : limit & 0xff;
    let at = 3;
    for (let i = HEADER_SIZE; i < end; i++) {
      const c = msg[i] as number;
      KEY_SCRATCH[at++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    return KEY_SCRATCH.toString('latin1', 0, at);
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
  // The question name as the client spelled it (a byte loop: Buffer#copy allocates a view per call).
  const nameEnd = query.questionEnd - 4;
  for (let i = HEADER_SIZE; i < nameEnd; i++) out[i] = msg[i] as number;
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
