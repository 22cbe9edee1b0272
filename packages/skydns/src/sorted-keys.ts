/** One run of consecutive entries, packed: the UTF-8 bytes of its keys and of its values, end to end. */
interface Chunk {
  /** Entries in use. */
  count: number;
  /** Key bytes; `keyEnds[i]` is where key `i` ends (it starts where key `i - 1` ends). */
  keys: Buffer;
  keyEnds: Uint32Array;
  /** Value bytes, laid out the same way. */
  values: Buffer;
  valueEnds: Uint32Array;
}

/** Entries per chunk after a split; a chunk splits when it reaches twice this. */
const CHUNK = 512;

const start = (ends: Uint32Array, i: number): number => (i === 0 ? 0 : (ends[i - 1] as number));
const used = (ends: Uint32Array, count: number): number => (count === 0 ? 0 : (ends[count - 1] as number));

/** A chunk holding `count` entries copied from `from` starting at entry `first`, with room for `extra` more bytes and entries. */
function chunkOf(
  from: Chunk,
  first: number,
  count: number,
  extraEntries = 0,
  extraKeyBytes = 0,
  extraValueBytes = 0,
): Chunk {
  const copy = (bytes: Buffer, ends: Uint32Array, extraBytes: number): [Buffer, Uint32Array] => {
    const lo = start(ends, first);
    const hi = count === 0 ? lo : (ends[first + count - 1] as number);
    const out = Buffer.allocUnsafeSlow(hi - lo + extraBytes);
    bytes.copy(out, 0, lo, hi);
    const outEnds = new Uint32Array(count + extraEntries);
    for (let i = 0; i < count; i++) outEnds[i] = (ends[first + i] as number) - lo;
    return [out, outEnds];
  };
  const [keys, keyEnds] = copy(from.keys, from.keyEnds, extraKeyBytes);
  const [values, valueEnds] = copy(from.values, from.valueEnds, extraValueBytes);
  return { count, keys, keyEnds, values, valueEnds };
}

/** A chunk made of these entries, exactly sized. */
function packed(keys: readonly Buffer[], values: readonly Buffer[]): Chunk {
  const ends = (parts: readonly Buffer[]): Uint32Array => {
    const out = new Uint32Array(parts.length);
    let at = 0;
    parts.forEach((p, i) => (out[i] = at += p.length));
    return out;
  };
  const join = (parts: readonly Buffer[]): Buffer => {
    const out = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) at += p.copy(out, at);
    return out;
  };
  return { count: keys.length, keys: join(keys), keyEnds: ends(keys), values: join(values), valueEnds: ends(values) };
}

const EMPTY: Chunk = {
  count: 0,
  keys: Buffer.alloc(0),
  keyEnds: new Uint32Array(0),
  values: Buffer.alloc(0),
  valueEnds: new Uint32Array(0),
};

/**
 * Text most values begin or end with, each kept as one byte: a value beginning with `prefix` is
 * stored as PREFIX_BYTE and the rest, one ending with `suffix` without it and with SUFFIX_BYTE. The
 * map's values must never begin with PREFIX_BYTE nor end with SUFFIX_BYTE themselves (JSON text
 * never holds those control characters raw).
 */
export interface ValueAffixes {
  readonly prefix: string;
  readonly suffix: string;
}

const PREFIX_BYTE = 0x01;
const SUFFIX_BYTE = 0x02;

/**
 * A map from string keys to string values in key order (UTF-8 bytes, as etcd orders keys), packed
 * off the JavaScript heap in chunks of a few hundred entries: a record costs its bytes and two
 * offsets, and the garbage collector has next to nothing to trace. get, set and delete cost
 * O(log n + chunk bytes); a walk from any key costs only what it visits; keys arriving in order
 * (a range read) are appended in place.
 */
export class SortedKeyMap {
  private chunks: Chunk[] = [];
  private total = 0;
  private readonly prefix: string;
  private readonly suffix: string;

  constructor(affixes: ValueAffixes = { prefix: '', suffix: '' }) {
    this.prefix = affixes.prefix;
    this.suffix = affixes.suffix;
  }

  /** Number of entries. */
  get size(): number {
    return this.total;
  }

  /** Compare entry `i` of `chunk` with `key` byte by byte: negative when the entry sorts first (a JavaScript loop beats Buffer.compare's call cost on keys this short). */
  private static compare(chunk: Chunk, i: number, key: Buffer): number {
    const bytes = chunk.keys;
    const from = start(chunk.keyEnds, i);
    const length = (chunk.keyEnds[i] as number) - from;
    const n = Math.min(length, key.length);
    for (let j = 0; j < n; j++) {
      const d = (bytes[from + j] as number) - (key[j] as number);
      if (d !== 0) return d;
    }
    return length - key.length;
  }

  /** Index of the first chunk whose last key is ≥ `key` (chunks.length when none). */
  private chunkFor(key: Buffer): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid] as Chunk;
      if (SortedKeyMap.compare(chunk, chunk.count - 1, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry ≥ `key` in `chunk`. */
  private static indexIn(chunk: Chunk, key: Buffer): number {
    let lo = 0;
    let hi = chunk.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (SortedKeyMap.compare(chunk, mid, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private static keyAt(chunk: Chunk, i: number): string {
    return chunk.keys.toString('utf8', start(chunk.keyEnds, i), chunk.keyEnds[i]);
  }

  /** A value's stored bytes: its affixes as one byte each. */
  private encode(value: string): Buffer {
    const prefixed = this.prefix !== '' && value.startsWith(this.prefix);
    const suffixed =
      this.suffix !== '' &&
      value.length >= (prefixed ? this.prefix.length : 0) + this.suffix.length &&
      value.endsWith(this.suffix);
    if (!prefixed && !suffixed) return Buffer.from(value);
    const body = value.slice(prefixed ? this.prefix.length : 0, suffixed ? -this.suffix.length : undefined);
    const length = Buffer.byteLength(body);
    const out = Buffer.allocUnsafe(length + (prefixed ? 1 : 0) + (suffixed ? 1 : 0));
    if (prefixed) out[0] = PREFIX_BYTE;
    out.write(body, prefixed ? 1 : 0);
    if (suffixed) out[out.length - 1] = SUFFIX_BYTE;
    return out;
  }

  private valueAt(chunk: Chunk, i: number): string {
    let from = start(chunk.valueEnds, i);
    let to = chunk.valueEnds[i] as number;
    const prefixed = to > from && chunk.values[from] === PREFIX_BYTE;
    const suffixed = to > from + (prefixed ? 1 : 0) && chunk.values[to - 1] === SUFFIX_BYTE;
    if (prefixed) from++;
    if (suffixed) to--;
    const body = chunk.values.toString('utf8', from, to);
    return prefixed || suffixed ? `${prefixed ? this.prefix : ''}${body}${suffixed ? this.suffix : ''}` : body;
  }

  /** The value stored at `key`. */
  get(key: string): string | undefined {
    const k = Buffer.from(key);
    const chunk = this.chunks[this.chunkFor(k)];
    if (chunk === undefined) return undefined;
    const i = SortedKeyMap.indexIn(chunk, k);
    return i < chunk.count && SortedKeyMap.compare(chunk, i, k) === 0 ? this.valueAt(chunk, i) : undefined;
  }

  /** Store `value` at `key`; true when the key is new. */
  set(key: string, value: string): boolean {
    const k = Buffer.from(key);
    const v = this.encode(value);
    const last = this.chunks.length - 1;
    const tail = this.chunks[last];
    if (tail === undefined) {
      this.chunks.push(chunkOf(EMPTY, 0, 0, 16, k.length * 16, v.length * 16));
      this.insertAt(0, 0, k, v);
      return true;
    }
    if (SortedKeyMap.compare(tail, tail.count - 1, k) < 0) {
      this.insertAt(last, tail.count, k, v);
      return true;
    }
    const c = this.chunkFor(k);
    const chunk = this.chunks[c] as Chunk;
    const i = SortedKeyMap.indexIn(chunk, k);
    if (SortedKeyMap.compare(chunk, i, k) === 0) {
      this.removeAt(c, i, true);
      this.insertAt(c, i, k, v);
      return false;
    }
    this.insertAt(c, i, k, v);
    return true;
  }

  /**
   * Store many entries at once, as a page of a range read brings them: runs whose keys are in
   * order and after every key held are packed into full chunks directly (no chunk is grown and
   * copied entry by entry); any other entry is set on its own.
   */
  append(keys: readonly string[], values: readonly string[]): void {
    let runKeys: Buffer[] = [];
    let runValues: Buffer[] = [];
    const lastChunk = (): Chunk | undefined => this.chunks[this.chunks.length - 1];
    let last: Buffer | undefined;
    const tail = lastChunk();
    if (tail !== undefined)
      last = tail.keys.subarray(start(tail.keyEnds, tail.count - 1), tail.keyEnds[tail.count - 1]);
    const flush = (): void => {
      if (runKeys.length === 0) return;
      // Top up a part-filled last chunk first.
      const open = lastChunk();
      if (open !== undefined && open.count < CHUNK) {
        this.chunks.pop();
        const ks: Buffer[] = [];
        const vs: Buffer[] = [];
        for (let i = 0; i < open.count; i++) {
          ks.push(open.keys.subarray(start(open.keyEnds, i), open.keyEnds[i]));
          vs.push(open.values.subarray(start(open.valueEnds, i), open.valueEnds[i]));
        }
        this.total -= open.count;
        runKeys = [...ks, ...runKeys];
        runValues = [...vs, ...runValues];
      }
      for (let i = 0; i < runKeys.length; i += CHUNK)
        this.chunks.push(packed(runKeys.slice(i, i + CHUNK), runValues.slice(i, i + CHUNK)));
      this.total += runKeys.length;
      runKeys = [];
      runValues = [];
    };
    keys.forEach((key, i) => {
      const k = Buffer.from(key);
      const value = values[i] as string;
      if (last !== undefined && Buffer.compare(last, k) >= 0) {
        flush();
        this.set(key, value);
        const t = lastChunk() as Chunk;
        last = t.keys.subarray(start(t.keyEnds, t.count - 1), t.keyEnds[t.count - 1]);
        return;
      }
      runKeys.push(k);
      runValues.push(this.encode(value));
      last = k;
    });
    flush();
  }

  /** Make room for one more entry of these sizes in chunk `c` (growing by half again when full). */
  private reserve(c: number, keyBytes: number, valueBytes: number): Chunk {
    const chunk = this.chunks[c] as Chunk;
    const keysUsed = used(chunk.keyEnds, chunk.count);
    const valuesUsed = used(chunk.valueEnds, chunk.count);
    if (
      chunk.count < chunk.keyEnds.length &&
      keysUsed + keyBytes <= chunk.keys.length &&
      valuesUsed + valueBytes <= chunk.values.length
    )
      return chunk;
    const grown = chunkOf(
      chunk,
      0,
      chunk.count,
      (chunk.count >> 1) + 16,
      (keysUsed >> 1) + keyBytes * 16,
      (valuesUsed >> 1) + valueBytes * 16,
    );
    this.chunks[c] = grown;
    return grown;
  }

  private insertAt(c: number, i: number, k: Buffer, v: Buffer): void {
    const chunk = this.reserve(c, k.length, v.length);
    const put = (bytes: Buffer, ends: Uint32Array, add: Buffer): void => {
      const at = start(ends, i);
      const end = used(ends, chunk.count);
      bytes.copy(bytes, at + add.length, at, end);
      add.copy(bytes, at);
      ends.copyWithin(i + 1, i, chunk.count);
      for (let j = i + 1; j <= chunk.count; j++) ends[j] = (ends[j] as number) + add.length;
      ends[i] = at + add.length;
    };
    put(chunk.keys, chunk.keyEnds, k);
    put(chunk.values, chunk.valueEnds, v);
    chunk.count++;
    this.total++;
    if (chunk.count >= 2 * CHUNK)
      this.chunks.splice(c, 1, chunkOf(chunk, 0, CHUNK), chunkOf(chunk, CHUNK, chunk.count - CHUNK));
  }

  /** Remove entry `i` of chunk `c`; an emptied chunk goes too unless `keep` (it is about to be refilled). */
  private removeAt(c: number, i: number, keep = false): void {
    const chunk = this.chunks[c] as Chunk;
    const cut = (bytes: Buffer, ends: Uint32Array): void => {
      const at = start(ends, i);
      const size = (ends[i] as number) - at;
      bytes.copy(bytes, at, at + size, used(ends, chunk.count));
      ends.copyWithin(i, i + 1, chunk.count);
      for (let j = i; j < chunk.count - 1; j++) ends[j] = (ends[j] as number) - size;
    };
    cut(chunk.keys, chunk.keyEnds);
    cut(chunk.values, chunk.valueEnds);
    chunk.count--;
    this.total--;
    if (chunk.count === 0 && !keep) this.chunks.splice(c, 1);
  }

  /** Remove the entry at `key`; true when there was one. */
  delete(key: string): boolean {
    const k = Buffer.from(key);
    const c = this.chunkFor(k);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const i = SortedKeyMap.indexIn(chunk, k);
    if (i >= chunk.count || SortedKeyMap.compare(chunk, i, k) !== 0) return false;
    this.removeAt(c, i);
    return true;
  }

  /**
   * Visit entries in order from the first key ≥ `from` until `visit` returns false or the map
   * ends; `value()` reads the value of the entry being visited (only then is it decoded). The map
   * must not change during the walk.
   */
  walk(from: string, visit: (key: string, value: () => string) => boolean): void {
    const f = Buffer.from(from);
    const c = this.chunkFor(f);
    const chunk = this.chunks[c];
    if (chunk !== undefined) this.walkFrom(c, SortedKeyMap.indexIn(chunk, f), visit);
  }

  /** The number of entries whose key sorts before `key` (the index of the first entry ≥ `key`); O(log n + chunks). */
  rank(key: string): number {
    const k = Buffer.from(key);
    const c = this.chunkFor(k);
    let before = 0;
    for (let i = 0; i < c; i++) before += (this.chunks[i] as Chunk).count;
    const chunk = this.chunks[c];
    return chunk === undefined ? before : before + SortedKeyMap.indexIn(chunk, k);
  }

  /**
   * {@link walk} from the entry at `index` (in key order, from 0) instead of from a key; nothing is
   * visited when `index` is past the end.
   */
  walkAt(index: number, visit: (key: string, value: () => string) => boolean): void {
    let c = 0;
    let i = Math.max(0, Math.floor(index));
    while (c < this.chunks.length && i >= (this.chunks[c] as Chunk).count) i -= (this.chunks[c++] as Chunk).count;
    this.walkFrom(c, i, visit);
  }

  /** The walk of {@link walk} and {@link walkAt}, from entry `i` of chunk `c`. */
  private walkFrom(c: number, i: number, visit: (key: string, value: () => string) => boolean): void {
    let chunk = this.chunks[c];
    if (chunk === undefined) return;
    const value = (): string => this.valueAt(chunk as Chunk, i);
    for (;;) {
      for (; i < chunk.count; i++) if (!visit(SortedKeyMap.keyAt(chunk, i), value)) return;
      chunk = this.chunks[++c];
      if (chunk === undefined) return;
      i = 0;
    }
  }

  /** Take over the entries of `other` (made with the same affixes; it is left empty). */
  takeFrom(other: SortedKeyMap): void {
    this.chunks = other.chunks;
    this.total = other.total;
    other.chunks = [];
    other.total = 0;
  }

  /** Remove every entry. */
  clear(): void {
    this.chunks = [];
    this.total = 0;
  }
}
