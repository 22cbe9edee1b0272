/**
 * One run of consecutive entries, packed: the bytes its keys all begin with once, then the rest of
 * each key's UTF-8 bytes and its value's, end to end.
 */
interface Chunk {
  /** Entries in use. */
  count: number;
  /**
   * Bytes every key of the chunk begins with (they may end inside a character: a key's text is
   * only ever decoded from its prefix and rest side by side).
   */
  prefix: Buffer;
  /** Key bytes after the prefix; `keyEnds[i]` is where key `i` ends (it starts where key `i - 1` ends). */
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

/** How many leading bytes `a[aFrom, aTo)` and `b[bFrom, bTo)` share. */
function shared(a: Buffer, aFrom: number, aTo: number, b: Buffer, bFrom: number, bTo: number): number {
  const n = Math.min(aTo - aFrom, bTo - bFrom);
  let j = 0;
  while (j < n && a[aFrom + j] === b[bFrom + j]) j++;
  return j;
}

/** A chunk's prefix: these bytes copied into memory of its own (a slice of Buffer's shared pool would hold all of the pool). */
function prefixOf(...parts: Buffer[]): Buffer {
  const out = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) at += p.copy(out, at);
  return out;
}

/** How many bytes the keys of entries `a` and `b` of `chunk` share after its prefix. */
function restShared(chunk: Chunk, a: number, b: number): number {
  const { keys, keyEnds } = chunk;
  return shared(keys, start(keyEnds, a), keyEnds[a] as number, keys, start(keyEnds, b), keyEnds[b] as number);
}

/**
 * A chunk holding `count` entries copied from `from` starting at entry `first`, with room for
 * `extra` more bytes and entries; its keys share `prefixLength` bytes (by default all that the first
 * and last of them share).
 */
function chunkOf(
  from: Chunk,
  first: number,
  count: number,
  extraEntries = 0,
  extraKeyBytes = 0,
  extraValueBytes = 0,
  prefixLength?: number,
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
  const [values, valueEnds] = copy(from.values, from.valueEnds, extraValueBytes);
  const old = from.prefix.length;
  const lo = start(from.keyEnds, first);
  const length = prefixLength ?? (count === 0 ? old : old + restShared(from, first, first + count - 1));
  if (length === old) {
    const [keys, keyEnds] = copy(from.keys, from.keyEnds, extraKeyBytes);
    return { count, prefix: from.prefix, keys, keyEnds, values, valueEnds };
  }
  // The prefix grows by bytes every key's rest begins with, or shrinks by bytes every key's rest now begins with.
  const prefix =
    length > old
      ? prefixOf(from.prefix, from.keys.subarray(lo, lo + length - old))
      : prefixOf(from.prefix.subarray(0, length));
  const head = length > old ? Buffer.alloc(0) : from.prefix.subarray(length);
  const drop = Math.max(0, length - old);
  const hi = count === 0 ? lo : (from.keyEnds[first + count - 1] as number);
  const keys = Buffer.allocUnsafeSlow(hi - lo + count * (head.length - drop) + extraKeyBytes);
  const keyEnds = new Uint32Array(count + extraEntries);
  let at = 0;
  for (let i = 0; i < count; i++) {
    at += head.copy(keys, at);
    at += from.keys.copy(keys, at, start(from.keyEnds, first + i) + drop, from.keyEnds[first + i]);
    keyEnds[i] = at;
  }
  return { count, prefix, keys, keyEnds, values, valueEnds };
}

/** A chunk made of these entries (whole keys, stored values), exactly sized. */
function packed(keys: readonly Buffer[], values: readonly Buffer[]): Chunk {
  const first = keys[0] as Buffer;
  const last = keys[keys.length - 1] as Buffer;
  const length = shared(first, 0, first.length, last, 0, last.length);
  const pack = (parts: readonly Buffer[], skip: number): [Buffer, Uint32Array] => {
    const out = Buffer.allocUnsafeSlow(parts.reduce((n, p) => n + p.length - skip, 0));
    const ends = new Uint32Array(parts.length);
    let at = 0;
    parts.forEach((p, i) => (ends[i] = at += p.copy(out, at, skip)));
    return [out, ends];
  };
  const [keyBytes, keyEnds] = pack(keys, length);
  const [valueBytes, valueEnds] = pack(values, 0);
  return {
    count: keys.length,
    prefix: prefixOf(first.subarray(0, length)),
    keys: keyBytes,
    keyEnds,
    values: valueBytes,
    valueEnds,
  };
}

const EMPTY: Chunk = {
  count: 0,
  prefix: Buffer.alloc(0),
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

  /**
   * Compare `chunk`'s prefix with the start of `key`: negative when every key of the chunk sorts
   * before `key`, positive when after, 0 when `key` begins with the prefix.
   */
  private static comparePrefix(chunk: Chunk, key: Buffer): number {
    const prefix = chunk.prefix;
    const n = Math.min(prefix.length, key.length);
    for (let j = 0; j < n; j++) {
      const d = (prefix[j] as number) - (key[j] as number);
      if (d !== 0) return d;
    }
    return prefix.length > key.length ? 1 : 0;
  }

  /** Compare the rest of entry `i` of `chunk` with `key` from byte `at` byte by byte: negative when the entry sorts first (a JavaScript loop beats Buffer.compare's call cost on keys this short). */
  private static compareRest(chunk: Chunk, i: number, key: Buffer, at: number): number {
    const bytes = chunk.keys;
    const from = start(chunk.keyEnds, i);
    const length = (chunk.keyEnds[i] as number) - from;
    const n = Math.min(length, key.length - at);
    for (let j = 0; j < n; j++) {
      const d = (bytes[from + j] as number) - (key[at + j] as number);
      if (d !== 0) return d;
    }
    return length - (key.length - at);
  }

  /** Compare entry `i` of `chunk` with `key` in byte order: negative when the entry sorts first. */
  private static compare(chunk: Chunk, i: number, key: Buffer): number {
    return SortedKeyMap.comparePrefix(chunk, key) || SortedKeyMap.compareRest(chunk, i, key, chunk.prefix.length);
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
    const before = SortedKeyMap.comparePrefix(chunk, key);
    if (before !== 0) return before < 0 ? chunk.count : 0;
    const at = chunk.prefix.length;
    let lo = 0;
    let hi = chunk.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (SortedKeyMap.compareRest(chunk, mid, key, at) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The bytes of entry `i`'s key (a copy). */
  private static keyBytes(chunk: Chunk, i: number): Buffer {
    return Buffer.concat([chunk.prefix, chunk.keys.subarray(start(chunk.keyEnds, i), chunk.keyEnds[i])]);
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
    if (tail !== undefined) last = SortedKeyMap.keyBytes(tail, tail.count - 1);
    const flush = (): void => {
      if (runKeys.length === 0) return;
      // Top up a part-filled last chunk first.
      const open = lastChunk();
      if (open !== undefined && open.count < CHUNK) {
        this.chunks.pop();
        const ks: Buffer[] = [];
        const vs: Buffer[] = [];
        for (let i = 0; i < open.count; i++) {
          ks.push(SortedKeyMap.keyBytes(open, i));
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
        last = SortedKeyMap.keyBytes(t, t.count - 1);
        return;
      }
      runKeys.push(k);
      runValues.push(this.encode(value));
      last = k;
    });
    flush();
  }

  /**
   * Make room for one more entry in chunk `c`, key `k` and value of `valueBytes` (growing by half
   * again when full, and shortening the chunk's prefix to one `k` begins with).
   */
  private reserve(c: number, k: Buffer, valueBytes: number): Chunk {
    const chunk = this.chunks[c] as Chunk;
    const keysUsed = used(chunk.keyEnds, chunk.count);
    const valuesUsed = used(chunk.valueEnds, chunk.count);
    const prefix = chunk.prefix;
    const keep = shared(prefix, 0, prefix.length, k, 0, k.length);
    const keyBytes = k.length - keep;
    if (
      keep === prefix.length &&
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
      keep,
    );
    this.chunks[c] = grown;
    return grown;
  }

  private insertAt(c: number, i: number, k: Buffer, v: Buffer): void {
    const chunk = this.reserve(c, k, v.length);
    const put = (bytes: Buffer, ends: Uint32Array, add: Buffer): void => {
      const at = start(ends, i);
      const end = used(ends, chunk.count);
      bytes.copy(bytes, at + add.length, at, end);
      add.copy(bytes, at);
      ends.copyWithin(i + 1, i, chunk.count);
      for (let j = i + 1; j <= chunk.count; j++) ends[j] = (ends[j] as number) + add.length;
      ends[i] = at + add.length;
    };
    put(chunk.keys, chunk.keyEnds, k.subarray(chunk.prefix.length));
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
    // Each key is decoded at once from its chunk's prefix (copied once per chunk) and its rest, side
    // by side: one flat string, which the caller's string operations need not flatten first.
    let text = Buffer.allocUnsafe(128);
    let textView = new DataView(text.buffer, text.byteOffset, text.length);
    for (;;) {
      const { prefix, keys, keyEnds } = chunk;
      const keysView = new DataView(keys.buffer, keys.byteOffset, keys.length);
      const at = prefix.length;
      prefix.copy(text);
      for (; i < chunk.count; i++) {
        const from = start(keyEnds, i);
        const to = keyEnds[i] as number;
        const length = at + to - from;
        if (length > text.length) {
          text = Buffer.allocUnsafe(2 * length);
          textView = new DataView(text.buffer, text.byteOffset, text.length);
          prefix.copy(text);
        }
        let j = from;
        let k = at;
        for (; j + 4 <= to; j += 4, k += 4) textView.setUint32(k, keysView.getUint32(j, true), true);
        while (j < to) text[k++] = keys[j++] as number;
        if (!visit(text.toString('utf8', 0, length), value)) return;
      }
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
