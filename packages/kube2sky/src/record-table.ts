import { RECORD_DEFAULTS_TAIL } from '@kube-dns-legacy/skymsg';
import { ByteArena } from './byte-arena.js';
import { scannedPrefixes } from './records/ownership.js';
import type { RecordContext } from './records/types.js';

/**
 * A 32-bit FNV-1a hash of a value's UTF-16 code units, as a small integer: what the table remembers of
 * etcd's values. Not skymsg's leaf label (that hashes UTF-8 bytes); this one only compares values
 * with each other, and allocates nothing (it runs for every record written or read back).
 */
export function valueHash(value: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), FNV_PRIME);
  return hash | 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The table keeps values without the tail nearly all of them end with (skymsg's RECORD_DEFAULTS_TAIL). */
const TAIL_CODES = Buffer.from(RECORD_DEFAULTS_TAIL, 'latin1');
const OPEN_BRACE = 0x7b;

/** The first byte of a key or value kept as UTF-16 code units (it has a character beyond ASCII). */
const UTF16 = 0xff;
/** The first byte of a value kept as its ASCII characters, without abbreviations (not a `{…RECORD_DEFAULTS_TAIL` object). */
const VERBATIM = 0xfe;
/** The first abbreviation's byte; bytes up to VERBATIM - 1 name the others. */
const ABBREVIATION = 0x80;
const MAX_ABBREVIATIONS = VERBATIM - ABBREVIATION;

/**
 * Text that most keys and values share, each kept as one byte in the table: key prefixes (the longest
 * that a key starts with) and parts of values (each replaced where it first occurs, in this order,
 * after the previous one). ASCII only.
 */
export interface Abbreviations {
  readonly keyPrefixes: readonly string[];
  readonly valueParts: readonly string[];
}

/**
 * The abbreviations for kube2sky's keys and values under `ctx`: the prefixes it scans, `"host":"`,
 * `.svc.<domain>"` and `,"port":` (those that are ASCII).
 */
export function abbreviationsFor(ctx: RecordContext): Abbreviations {
  const ascii = (parts: string[]): string[] => parts.filter((part) => /^[ -~]+$/.test(part));
  return {
    keyPrefixes: ascii(scannedPrefixes(ctx)),
    valueParts: ascii(['"host":"', `.svc.${ctx.domain}"`, ',"port":']),
  };
}

/** Slot flags. */
const HAVE = 1;
/** Several owners claim the slot: the others' values are in `others`. */
const SHARED = 2;
/** Marks used within one `set`: the slot was the owner's, and the owner wants it now. */
const OLD = 4;
const NEW = 8;

/** A slot: one etcd key, wanted or held by etcd (a small integer, valid while the key stays in the table). */
export type Slot = number;

const NONE = -1;

/** How much the slot and owner arrays grow when full: each copy costs little, the room never used costs bytes per key. */
const GROWTH = 1.25;

/**
 * The records every object wants, merged, side by side with what etcd holds: a key wanted by several
 * owners (two pods sharing an IP, one endpoint IP named by two headless services) stays wanted until
 * its last owner drops it, and its value is the one claimed by the owner with the smallest id. Of
 * etcd's values only a hash is kept (a value changed by hand into one with the same 32-bit hash
 * would go unnoticed: a chance of 1 in 4 billion per changed key).
 *
 * Dense, for 100,000s of keys: keys, values, owner ids and each owner's list of slots are bytes in a
 * `ByteArena` (ASCII, the common prefixes and parts abbreviated to one byte, values without their
 * common tail), found through hash chains in Int32Arrays; a slot is an index into parallel typed
 * arrays. Only the rare values of owners that lose a shared key are JavaScript strings. A slot freed
 * by `prune` or `forgetEtcd` may be reused by a new key: a handle kept past those names that key.
 */
export class RecordTable {
  private readonly keyPrefixes: readonly string[];
  private readonly keyPrefixCodes: readonly Uint8Array[];
  /** The indexes of the key prefixes, longest first (the order they are tried in). */
  private readonly keyPrefixOrder: readonly number[];
  /** For each key prefix: true when no longer one starts with it (a key it starts with has no longer prefix). */
  private readonly longestPrefix: readonly boolean[];
  /** The key prefix that matched last, tried first (keys come in runs under one prefix). */
  private lastPrefix = NONE;
  private readonly valueParts: readonly string[];
  private arena = new ByteArena();
  /** Bytes being encoded (a key, a value or an owner id) and bytes being decoded. */
  private scratch = Buffer.allocUnsafe(1024);
  private text = Buffer.allocUnsafe(1024);
  /** Where the encoded bytes are in `scratch`. */
  private encodedAt = 0;
  private encodedLength = 0;

  // Slots: parallel arrays indexed by slot.
  private slotCount = 0;
  private freeSlot = NONE;
  /** The key's ref in the arena; NONE for a free slot. */
  private keyRef: Int32Array = new Int32Array(0);
  /** The winning claim: owner index and the arena ref of its value; NONE when nobody wants the key. */
  private winner: Int32Array = new Int32Array(0);
  private valueRef: Int32Array = new Int32Array(0);
  /** `valueHash` of the value in etcd, when flags has HAVE. */
  private haveHash: Int32Array = new Int32Array(0);
  /** The next slot in the hash chain (or in the free list). */
  private nextSlot: Int32Array = new Int32Array(0);
  private flags: Uint8Array = new Uint8Array(0);
  private slotBuckets: Int32Array = new Int32Array(16).fill(NONE);
  private liveSlots = 0;
  /** The other claims on shared slots: slot → owner index → value. */
  private readonly others = new Map<Slot, Map<number, string>>();
  private wanted = 0;

  // Owners: parallel arrays indexed by owner index.
  private ownerCount = 0;
  private freeOwner = NONE;
  /** The owner id's ref in the arena; NONE for a free index. */
  private nameRef: Int32Array = new Int32Array(0);
  /** The owner's slots: `-2 - slot` for one, else the ref of their varints in the arena. */
  private ownerSlots: Int32Array = new Int32Array(0);
  private nextOwner: Int32Array = new Int32Array(0);
  private ownerBuckets: Int32Array = new Int32Array(16).fill(NONE);
  private liveOwners = 0;

  constructor(abbreviations: Abbreviations = { keyPrefixes: [], valueParts: [] }) {
    const { keyPrefixes, valueParts } = abbreviations;
    for (const part of [...keyPrefixes, ...valueParts])
      if (part === '' || [...part].some((c) => c.charCodeAt(0) >= 0x80))
        throw new Error(`abbreviation ${JSON.stringify(part)}: not ASCII`);
    if (keyPrefixes.length > MAX_ABBREVIATIONS || valueParts.length > MAX_ABBREVIATIONS)
      throw new Error(`at most ${MAX_ABBREVIATIONS} abbreviations`);
    this.keyPrefixes = [...new Set(keyPrefixes)];
    this.keyPrefixCodes = this.keyPrefixes.map((prefix) => Buffer.from(prefix, 'latin1'));
    const lengths = this.keyPrefixes.map((prefix) => prefix.length);
    this.keyPrefixOrder = lengths.map((_, i) => i).sort((a, b) => (lengths[b] as number) - (lengths[a] as number));
    this.longestPrefix = this.keyPrefixes.map(
      (prefix) => !this.keyPrefixes.some((other) => other.length > prefix.length && other.startsWith(prefix)),
    );
    this.valueParts = [...valueParts];
  }

  /** Replace the records of `owner`; returns the slots whose desired value may have changed (none for a no-op). */
  set(owner: string, records: ReadonlyMap<string, string>): Slot[] {
    let o = this.findOwner(owner);
    if (o === NONE && records.size === 0) return [];
    if (o === NONE) o = this.addOwner(owner);
    const old = this.slotsOf(o);
    for (const slot of old) this.setFlag(slot, OLD);
    const now: Slot[] = [];
    const changed: Slot[] = [];
    let kept = 0;
    for (const [key, value] of records) {
      const slot = this.slotFor(key, true);
      const flags = this.flags[slot] as number;
      this.flags[slot] = flags | NEW;
      now.push(slot);
      if ((flags & OLD) !== 0) kept++;
      const claim = this.claimOf(slot, o, value);
      if (claim === SAME) continue;
      if (claim === DIFFERENT) this.unclaim(slot, o);
      this.claim(slot, o, owner, value);
      changed.push(slot);
    }
    for (const slot of old) {
      if (((this.flags[slot] as number) & NEW) === 0) {
        this.unclaim(slot, o);
        changed.push(slot);
      }
      this.clearFlag(slot, OLD);
    }
    for (const slot of now) this.clearFlag(slot, NEW);
    if (now.length === 0) this.removeOwner(o);
    else if (kept !== old.length || now.length !== old.length) this.setSlotsOf(o, now);
    this.compactIfWasteful();
    return changed;
  }

  /** Drop every record of `owner`; returns the slots it held. */
  delete(owner: string): Slot[] {
    return this.set(owner, new Map());
  }

  /** Every owner id that holds records. */
  *owners(): IterableIterator<string> {
    for (let o = 0; o < this.ownerCount; o++) {
      const ref = this.nameRef[o] as number;
      if (ref !== NONE) yield this.decode(ref, NO_PARTS, false);
    }
  }

  /** The desired value of `key`, or undefined when no owner wants it. */
  get(key: string): string | undefined {
    const slot = this.slotFor(key, false);
    return slot === NONE ? undefined : this.wantedValue(slot);
  }

  /** Every slot: wanted keys and keys etcd holds. */
  *slots(): IterableIterator<Slot> {
    for (let slot = 0; slot < this.slotCount; slot++) if (this.keyRef[slot] !== NONE) yield slot;
  }

  /** The number of wanted keys. */
  get size(): number {
    return this.wanted;
  }

  /** The etcd key of `slot`. */
  key(slot: Slot): string {
    return this.decode(this.keyRef[slot] as number, this.keyPrefixes, false);
  }

  /** The value the objects want at `slot`, or undefined when none does. */
  wantedValue(slot: Slot): string | undefined {
    const ref = this.valueRef[slot];
    return ref === undefined || ref === NONE ? undefined : this.decode(ref, this.valueParts, true);
  }

  /** `valueHash(wantedValue(slot))`, computed without making the string; undefined when no object wants the key. */
  wantedHash(slot: Slot): number | undefined {
    const ref = this.valueRef[slot];
    if (ref === undefined || ref === NONE) return undefined;
    const chunk = this.arena.open(ref);
    const start = this.arena.start;
    const end = start + this.arena.length;
    if (end === start || chunk[start] !== UTF16) {
      let hash = FNV_OFFSET;
      if (end > start && chunk[start] === VERBATIM) {
        for (let i = start + 1; i < end; i++) hash = Math.imul(hash ^ (chunk[i] as number), FNV_PRIME);
        return hash | 0;
      }
      hash = Math.imul(hash ^ OPEN_BRACE, FNV_PRIME);
      for (let i = start; i < end; i++) {
        const byte = chunk[i] as number;
        if (byte < ABBREVIATION) hash = Math.imul(hash ^ byte, FNV_PRIME);
        else {
          const part = this.valueParts[byte - ABBREVIATION] as string;
          for (let k = 0; k < part.length; k++) hash = Math.imul(hash ^ part.charCodeAt(k), FNV_PRIME);
        }
      }
      for (const code of TAIL_CODES) hash = Math.imul(hash ^ code, FNV_PRIME);
      return hash | 0;
    }
    return valueHash(this.decode(ref, this.valueParts, true));
  }

  /** `valueHash` of the value etcd holds at `slot`, undefined when etcd has no such key (as far as kube2sky knows). */
  have(slot: Slot): number | undefined {
    return ((this.flags[slot] ?? 0) & HAVE) === 0 ? undefined : this.haveHash[slot];
  }

  /** etcd now holds a value with hash `hash` at `slot` (undefined: etcd no longer holds the key). */
  setHave(slot: Slot, hash: number | undefined): void {
    if (this.keyRef[slot] === undefined || this.keyRef[slot] === NONE) return;
    if (hash === undefined) {
      this.clearFlag(slot, HAVE);
    } else {
      this.setFlag(slot, HAVE);
      this.haveHash[slot] = hash;
    }
  }

  /** Forget what etcd holds (before re-reading it): every `have` is cleared and slots nobody wants are dropped. */
  forgetEtcd(): void {
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.keyRef[slot] === NONE) continue;
      this.clearFlag(slot, HAVE);
      if (this.winner[slot] === NONE) this.removeSlot(slot);
    }
    this.compactIfWasteful();
  }

  /** etcd holds `key` with a value whose hash is `hash`. */
  observe(key: string, hash: number): void {
    const slot = this.slotFor(key, true);
    this.setFlag(slot, HAVE);
    this.haveHash[slot] = hash;
  }

  /** Drop `slot` when no object wants it and etcd does not hold it. */
  prune(slot: Slot): void {
    const ref = this.keyRef[slot];
    if (ref === undefined || ref === NONE || this.winner[slot] !== NONE || ((this.flags[slot] as number) & HAVE) !== 0)
      return;
    this.removeSlot(slot);
    this.compactIfWasteful();
  }

  private setFlag(slot: Slot, flag: number): void {
    this.flags[slot] = (this.flags[slot] as number) | flag;
  }

  private clearFlag(slot: Slot, flag: number): void {
    this.flags[slot] = (this.flags[slot] as number) & ~flag;
  }

  // Claims.

  /** Whether `o` claims `slot`, and with `value` or another. */
  private claimOf(slot: Slot, o: number, value: string): Claim {
    if (this.winner[slot] === o) return this.matchesValue(this.valueRef[slot] as number, value) ? SAME : DIFFERENT;
    if (((this.flags[slot] as number) & SHARED) === 0) return ABSENT;
    const other = this.others.get(slot)?.get(o);
    return other === undefined ? ABSENT : other === value ? SAME : DIFFERENT;
  }

  private claim(slot: Slot, o: number, owner: string, value: string): void {
    const winner = this.winner[slot] as number;
    if (winner === NONE) {
      this.wanted++;
      this.setWinner(slot, o, value);
    } else if (owner < this.ownerName(winner)) {
      this.claimOthers(slot).set(winner, this.wantedValue(slot) as string);
      this.arena.drop(this.valueRef[slot] as number);
      this.setWinner(slot, o, value);
    } else {
      this.claimOthers(slot).set(o, value);
    }
  }

  private unclaim(slot: Slot, o: number): void {
    const others = ((this.flags[slot] as number) & SHARED) === 0 ? undefined : this.others.get(slot);
    if (this.winner[slot] !== o) {
      others?.delete(o);
    } else {
      this.arena.drop(this.valueRef[slot] as number);
      if (others === undefined) {
        this.wanted--;
        this.winner[slot] = NONE;
        this.valueRef[slot] = NONE;
      } else {
        let next = NONE;
        let nextName = '';
        for (const candidate of others.keys()) {
          const name = this.ownerName(candidate);
          if (next === NONE || name < nextName) {
            next = candidate;
            nextName = name;
          }
        }
        this.setWinner(slot, next, others.get(next) as string);
        others.delete(next);
      }
    }
    if (others?.size === 0) {
      this.others.delete(slot);
      this.clearFlag(slot, SHARED);
    }
  }

  private setWinner(slot: Slot, o: number, value: string): void {
    this.encodeValue(value);
    this.winner[slot] = o;
    this.valueRef[slot] = this.arena.add(this.scratch, this.encodedAt, this.encodedLength);
  }

  private claimOthers(slot: Slot): Map<number, string> {
    let others = this.others.get(slot);
    if (others === undefined) {
      others = new Map();
      this.others.set(slot, others);
      this.setFlag(slot, SHARED);
    }
    return others;
  }

  // Slots and their hash chains.

  /** The slot of `key`: found, else added (when `add`) or NONE. */
  private slotFor(key: string, add: boolean): Slot {
    const prefix = this.prefixOf(key);
    const bucket = this.keyHash(key, prefix) & (this.slotBuckets.length - 1);
    for (let slot = this.slotBuckets[bucket] as number; slot !== NONE; slot = this.nextSlot[slot] as number)
      if (this.matchesKey(this.keyRef[slot] as number, key, prefix)) return slot;
    if (!add) return NONE;
    this.encodeKey(key, prefix);
    let slot = this.freeSlot;
    if (slot !== NONE) this.freeSlot = this.nextSlot[slot] as number;
    else {
      if (this.slotCount === this.keyRef.length) this.growSlots();
      slot = this.slotCount++;
    }
    this.keyRef[slot] = this.arena.add(this.scratch, this.encodedAt, this.encodedLength);
    this.winner[slot] = NONE;
    this.valueRef[slot] = NONE;
    this.flags[slot] = 0;
    this.nextSlot[slot] = this.slotBuckets[bucket] as number;
    this.slotBuckets[bucket] = slot;
    if (++this.liveSlots > this.slotBuckets.length)
      this.slotBuckets = this.rehash(this.keyRef, this.nextSlot, this.slotCount, 2 * this.slotBuckets.length, true);
    return slot;
  }

  private removeSlot(slot: Slot): void {
    const ref = this.keyRef[slot] as number;
    this.unlink(this.slotBuckets, this.nextSlot, slot, this.hashOf(ref, true));
    this.arena.drop(ref);
    this.keyRef[slot] = NONE;
    this.flags[slot] = 0;
    this.nextSlot[slot] = this.freeSlot;
    this.freeSlot = slot;
    this.liveSlots--;
  }

  private growSlots(): void {
    const size = Math.max(64, Math.ceil(this.keyRef.length * GROWTH));
    this.keyRef = grown(this.keyRef, size);
    this.winner = grown(this.winner, size);
    this.valueRef = grown(this.valueRef, size);
    this.haveHash = grown(this.haveHash, size);
    this.nextSlot = grown(this.nextSlot, size);
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.flags = flags;
  }

  // Owners.

  /** The index of `owner`, or NONE. */
  private findOwner(owner: string): number {
    for (
      let o = this.ownerBuckets[this.keyHash(owner, NONE) & (this.ownerBuckets.length - 1)] as number;
      o !== NONE;
      o = this.nextOwner[o] as number
    )
      if (this.matchesKey(this.nameRef[o] as number, owner, NONE)) return o;
    return NONE;
  }

  /** Add `owner` (not in the table), with no slots yet. */
  private addOwner(owner: string): number {
    let o = this.freeOwner;
    if (o !== NONE) this.freeOwner = this.nextOwner[o] as number;
    else {
      if (this.ownerCount === this.nameRef.length) {
        const size = Math.max(64, Math.ceil(this.nameRef.length * GROWTH));
        this.nameRef = grown(this.nameRef, size);
        this.ownerSlots = grown(this.ownerSlots, size);
        this.nextOwner = grown(this.nextOwner, size);
      }
      o = this.ownerCount++;
    }
    const bucket = this.keyHash(owner, NONE) & (this.ownerBuckets.length - 1);
    this.encodeName(owner);
    const ref = this.arena.add(this.scratch, this.encodedAt, this.encodedLength);
    this.nameRef[o] = ref;
    this.ownerSlots[o] = NONE;
    this.nextOwner[o] = this.ownerBuckets[bucket] as number;
    this.ownerBuckets[bucket] = o;
    if (++this.liveOwners > this.ownerBuckets.length)
      this.ownerBuckets = this.rehash(
        this.nameRef,
        this.nextOwner,
        this.ownerCount,
        2 * this.ownerBuckets.length,
        false,
      );
    return o;
  }

  private removeOwner(o: number): void {
    const ref = this.nameRef[o] as number;
    this.unlink(this.ownerBuckets, this.nextOwner, o, this.hashOf(ref, false));
    this.arena.drop(ref);
    const slots = this.ownerSlots[o] as number;
    if (slots >= 0) this.arena.drop(slots);
    this.nameRef[o] = NONE;
    this.nextOwner[o] = this.freeOwner;
    this.freeOwner = o;
    this.liveOwners--;
  }

  private ownerName(o: number): string {
    return this.decode(this.nameRef[o] as number, NO_PARTS, false);
  }

  private slotsOf(o: number): Slot[] {
    const held = this.ownerSlots[o] as number;
    if (held === NONE) return [];
    if (held < 0) return [-2 - held];
    const chunk = this.arena.open(held);
    const slots: Slot[] = [];
    const end = this.arena.start + this.arena.length;
    for (let at = this.arena.start; at < end; ) {
      let slot = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = chunk[at++] as number;
        slot += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte >= 0x80);
      slots.push(slot);
    }
    return slots;
  }

  private setSlotsOf(o: number, slots: readonly Slot[]): void {
    const held = this.ownerSlots[o] as number;
    if (held >= 0) this.arena.drop(held);
    if (slots.length === 1) {
      this.ownerSlots[o] = -2 - (slots[0] as number);
      return;
    }
    const bytes = this.room(slots.length * 5);
    let at = 0;
    for (let slot of slots) {
      while (slot >= 0x80) {
        bytes[at++] = (slot & 0x7f) | 0x80;
        slot >>>= 7;
      }
      bytes[at++] = slot;
    }
    this.ownerSlots[o] = this.arena.add(bytes, 0, at);
  }

  // Hash chains (slots and owners alike: `refs` are the entries' arena refs, `next` their chain links).

  /** `size` buckets for the first `count` entries of `refs` (keys, or owner ids). */
  private rehash(refs: Int32Array, next: Int32Array, count: number, size: number, keys: boolean): Int32Array {
    const buckets = new Int32Array(size).fill(NONE);
    for (let i = 0; i < count; i++) {
      const ref = refs[i] as number;
      if (ref === NONE) continue;
      const bucket = this.hashOf(ref, keys) & (size - 1);
      next[i] = buckets[bucket] as number;
      buckets[bucket] = i;
    }
    return buckets;
  }

  private unlink(buckets: Int32Array, next: Int32Array, entry: number, hash: number): void {
    const bucket = hash & (buckets.length - 1);
    let at = buckets[bucket] as number;
    if (at === entry) {
      buckets[bucket] = next[entry] as number;
      return;
    }
    while (next[at] !== entry) at = next[at] as number;
    next[at] = next[entry] as number;
  }

  /** The index of the longest key prefix `key` starts with, or NONE. */
  private prefixOf(key: string): number {
    const last = this.lastPrefix;
    if (last !== NONE && this.longestPrefix[last] === true && startsWith(key, this.keyPrefixCodes[last] as Uint8Array))
      return last;
    for (const prefix of this.keyPrefixOrder) {
      if (startsWith(key, this.keyPrefixCodes[prefix] as Uint8Array)) {
        this.lastPrefix = prefix;
        return prefix;
      }
    }
    return NONE;
  }

  private prefixLength(prefix: number): number {
    return prefix === NONE ? 0 : (this.keyPrefixCodes[prefix] as Uint8Array).length;
  }

  /**
   * Where a key (or, `prefix` NONE, an owner id) goes in the hash chains: FNV-1a of its prefix's byte
   * and the code units after the prefix, which for ASCII text is FNV-1a of its bytes in the arena (`hashOf`).
   */
  private keyHash(text: string, prefix: number): number {
    let hash = FNV_OFFSET;
    if (prefix !== NONE) hash = Math.imul(hash ^ (ABBREVIATION + prefix), FNV_PRIME);
    for (let i = this.prefixLength(prefix); i < text.length; i++)
      hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
    return hash >>> 0;
  }

  /** `keyHash` of the arena entry `ref`, a key or (`key` false) an owner id. */
  private hashOf(ref: number, key: boolean): number {
    const chunk = this.arena.open(ref);
    const start = this.arena.start;
    const end = start + this.arena.length;
    if (end > start && chunk[start] === UTF16) {
      const text = chunk.toString('utf16le', start + 1, end);
      return this.keyHash(text, key ? this.prefixOf(text) : NONE);
    }
    let hash = FNV_OFFSET;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (chunk[i] as number), FNV_PRIME);
    return hash >>> 0;
  }

  /**
   * True when the arena entry `ref` holds `text`, a key starting with key prefix `prefix` (NONE: none)
   * or an owner id; compared without encoding `text` (encodings are canonical: an entry holds the
   * encoding of a text exactly when it decodes to it).
   */
  private matchesKey(ref: number, text: string, prefix: number): boolean {
    const chunk = this.arena.open(ref);
    let i = this.arena.start;
    const end = i + this.arena.length;
    if (end === i) return text.length === 0;
    const first = chunk[i] as number;
    if (first === UTF16) return matchesUtf16(chunk, i + 1, end, text);
    let at = 0;
    if (prefix !== NONE) {
      if (first !== ABBREVIATION + prefix) return false;
      i++;
      at = this.prefixLength(prefix);
    } else if (first >= ABBREVIATION) {
      return false;
    }
    // The bytes after a key's prefix are ASCII: one a character.
    if (end - i !== text.length - at) return false;
    for (; i < end; i++, at++) if (chunk[i] !== text.charCodeAt(at)) return false;
    return true;
  }

  // Compaction.

  private compactIfWasteful(): void {
    if (!this.arena.wasteful) return;
    const old = this.arena;
    const fresh = new ByteArena();
    for (let slot = 0; slot < this.slotCount; slot++) {
      const key = this.keyRef[slot] as number;
      if (key === NONE) continue;
      this.keyRef[slot] = fresh.copy(old, key);
      const value = this.valueRef[slot] as number;
      if (value !== NONE) this.valueRef[slot] = fresh.copy(old, value);
    }
    for (let o = 0; o < this.ownerCount; o++) {
      const name = this.nameRef[o] as number;
      if (name === NONE) continue;
      this.nameRef[o] = fresh.copy(old, name);
      const slots = this.ownerSlots[o] as number;
      if (slots >= 0) this.ownerSlots[o] = fresh.copy(old, slots);
    }
    this.arena = fresh;
  }

  // Encoding.

  /** `scratch` with room for `size` bytes. */
  private room(size: number): Buffer {
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2));
    return this.scratch;
  }

  /** Encode `key` into `scratch`: ASCII with its key prefix `prefix` (from `prefixOf`) abbreviated, or UTF16 and its code units. */
  private encodeKey(key: string, prefix: number): void {
    const bytes = this.room(3 * key.length + 1);
    if (bytes.write(key, 1, 'utf8') !== key.length) {
      this.encodeUtf16(key);
      return;
    }
    // key[i] is at bytes[1 + i].
    const skip = this.prefixLength(prefix);
    if (prefix === NONE) {
      this.encodedAt = 1;
      this.encodedLength = key.length;
    } else {
      bytes[skip] = ABBREVIATION + prefix;
      this.encodedAt = skip;
      this.encodedLength = 1 + key.length - skip;
    }
  }

  /** Encode an owner id into `scratch` (ASCII or UTF16). */
  private encodeName(name: string): void {
    const bytes = this.room(3 * name.length + 1);
    if (bytes.write(name, 0, 'utf8') !== name.length) this.encodeUtf16(name);
    else {
      this.encodedAt = 0;
      this.encodedLength = name.length;
    }
  }

  /**
   * Encode `value` into `scratch`: a `{…RECORD_DEFAULTS_TAIL` object in ASCII as its middle with the value parts
   * abbreviated; other ASCII text as VERBATIM and its characters; anything else as UTF16 and its code units.
   */
  private encodeValue(value: string): void {
    const n = value.length;
    const bytes = this.room(3 * n + 2);
    if (bytes.write(value, 1, 'utf8') !== n) {
      this.encodeUtf16(value);
      return;
    }
    // value[i] is at bytes[1 + i].
    if (value.charCodeAt(0) !== OPEN_BRACE || !value.endsWith(RECORD_DEFAULTS_TAIL)) {
      bytes[0] = VERBATIM;
      this.encodedAt = 0;
      this.encodedLength = n + 1;
      return;
    }
    const end = n - RECORD_DEFAULTS_TAIL.length;
    let out = 0;
    let from = 1;
    for (let p = 0; p < this.valueParts.length; p++) {
      const part = this.valueParts[p] as string;
      const found = value.indexOf(part, from);
      if (found < 0 || found + part.length > end) continue;
      for (let i = from; i < found; i++) bytes[out++] = bytes[1 + i] as number;
      bytes[out++] = ABBREVIATION + p;
      from = found + part.length;
    }
    for (let i = from; i < end; i++) bytes[out++] = bytes[1 + i] as number;
    this.encodedAt = 0;
    this.encodedLength = out;
  }

  private encodeUtf16(text: string): void {
    const bytes = this.room(2 * text.length + 1);
    bytes[0] = UTF16;
    bytes.write(text, 1, 'utf16le');
    this.encodedAt = 0;
    this.encodedLength = 2 * text.length + 1;
  }

  /**
   * True when the value of the arena entry `ref` is `value`, compared without encoding it: an entry holds
   * the encoding of a text exactly when it decodes to it (encodings are canonical).
   */
  private matchesValue(ref: number, value: string): boolean {
    const chunk = this.arena.open(ref);
    const start = this.arena.start;
    const end = start + this.arena.length;
    if (end > start && chunk[start] === UTF16) return matchesUtf16(chunk, start + 1, end, value);
    if (end > start && chunk[start] === VERBATIM) {
      if (end - start - 1 !== value.length) return false;
      for (let i = start + 1; i < end; i++) if (value.charCodeAt(i - start - 1) !== chunk[i]) return false;
      return true;
    }
    if (value.charCodeAt(0) !== OPEN_BRACE) return false;
    let at = 1;
    for (let i = start; i < end; i++) {
      const byte = chunk[i] as number;
      if (byte < ABBREVIATION) {
        if (value.charCodeAt(at++) !== byte) return false;
      } else {
        const part = this.valueParts[byte - ABBREVIATION] as string;
        if (!value.startsWith(part, at)) return false;
        at += part.length;
      }
    }
    return value.length - at === RECORD_DEFAULTS_TAIL.length && value.endsWith(RECORD_DEFAULTS_TAIL);
  }

  /** The text of the arena entry `ref`: a key (`parts` the key prefixes), a value (`parts` the value parts, `object` true) or an owner id. */
  private decode(ref: number, parts: readonly string[], object: boolean): string {
    const chunk = this.arena.open(ref);
    const start = this.arena.start;
    const end = start + this.arena.length;
    if (end > start && chunk[start] === UTF16) return chunk.toString('utf16le', start + 1, end);
    if (object && end > start && chunk[start] === VERBATIM) return chunk.toString('latin1', start + 1, end);
    let size = end - start + (object ? 1 + RECORD_DEFAULTS_TAIL.length : 0);
    for (let i = start; i < end; i++) {
      const byte = chunk[i] as number;
      if (byte >= ABBREVIATION) size += (parts[byte - ABBREVIATION] as string).length - 1;
    }
    if (this.text.length < size) this.text = Buffer.allocUnsafe(Math.max(size, this.text.length * 2));
    const text = this.text;
    let out = 0;
    if (object) text[out++] = OPEN_BRACE;
    for (let i = start; i < end; i++) {
      const byte = chunk[i] as number;
      if (byte < ABBREVIATION) text[out++] = byte;
      else {
        const part = parts[byte - ABBREVIATION] as string;
        for (let k = 0; k < part.length; k++) text[out++] = part.charCodeAt(k);
      }
    }
    if (object) for (const code of TAIL_CODES) text[out++] = code;
    return text.toString('latin1', 0, out);
  }
}

const NO_PARTS: readonly string[] = [];
const ABSENT = 0;
const SAME = 1;
const DIFFERENT = 2;
type Claim = typeof ABSENT | typeof SAME | typeof DIFFERENT;

/** `text.startsWith(prefix)` for an ASCII prefix (V8's builtin costs more than this loop over a key's prefix). */
function startsWith(text: string, prefix: Uint8Array): boolean {
  if (text.length < prefix.length) return false;
  for (let i = prefix.length - 1; i >= 0; i--) if (text.charCodeAt(i) !== prefix[i]) return false;
  return true;
}

/** True when `bytes[start, end)` are the UTF-16LE code units of `text`. */
function matchesUtf16(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== 2 * text.length) return false;
  for (let i = 0; i < text.length; i++)
    if (((bytes[start + 2 * i] as number) | ((bytes[start + 2 * i + 1] as number) << 8)) !== text.charCodeAt(i))
      return false;
  return true;
}

function grown(array: Int32Array, size: number): Int32Array {
  const bigger = new Int32Array(size);
  bigger.set(array);
  return bigger;
}
