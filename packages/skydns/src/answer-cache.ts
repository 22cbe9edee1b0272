import { HEADER_SIZE } from './dns-codes.js';
import type { EncodedReply } from './encode.js';
import type { WireQuery } from './wire.js';

/** Where a key is assembled (3 bytes of transport, EDNS and limit, then a question of at most 259 bytes). */
const KEY_SCRATCH = Buffer.alloc(3 + 255 + 4);

/** A cached reply as handed out: the encoded reply and the round-robin turn of this use. */
export interface CachedReply {
  /** The encoded reply (never modified: the writer copies it). */
  readonly reply: EncodedReply;
  /** How many times the reply was handed out before this use. */
  readonly turn: number;
}

interface Entry extends CachedReply {
  turn: number;
  uses: number;
}

/**
 * Encoded authoritative replies per (type, class, lower-cased name, EDNS/DO/size class), so a
 * repeated question costs the writer's copy (`replyFor` in encode.ts) instead of a dns2 encode. Bounded;
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

  /**
   * The cached reply for `key` and how often it was handed out before (the round-robin turn of
   * this use); undefined on a miss. The writer makes the client's copy (`replyFor` in encode.ts).
   */
  get(key: string): CachedReply | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    entry.turn = entry.uses++;
    return entry;
  }

  /** Remember `reply` under `key`, as handed out once (turn 0). */
  set(key: string, reply: EncodedReply): CachedReply {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const entry: Entry = { reply, turn: 0, uses: 1 };
    this.entries.set(key, entry);
    return entry;
  }

  /** Forget everything (the records changed). */
  clear(): void {
    this.entries.clear();
  }
}
