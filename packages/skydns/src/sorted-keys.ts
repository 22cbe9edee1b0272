/** One run of consecutive entries. */
interface Chunk<V> {
  keys: string[];
  values: V[];
}

/** Entries per chunk after a split; a chunk splits when it reaches twice this. */
const CHUNK = 512;

/**
 * A map from string keys to values kept in key order (UTF-16 code units, as `<` compares), in
 * chunks of a few hundred entries: get, set and delete cost O(log n + chunk), and a walk from any
 * key costs only what it visits. Keys arriving in order (a range read) are appended without a search.
 */
export class SortedKeyMap<V> {
  private chunks: Chunk<V>[] = [];
  private count = 0;

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  /** Index of the first chunk whose last key is ≥ `key` (chunks.length when none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const keys = (this.chunks[mid] as Chunk<V>).keys;
      if ((keys[keys.length - 1] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first key ≥ `key` in `keys`. */
  private static indexIn(keys: readonly string[], key: string): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The value stored at `key`. */
  get(key: string): V | undefined {
    const chunk = this.chunks[this.chunkFor(key)];
    if (chunk === undefined) return undefined;
    const i = SortedKeyMap.indexIn(chunk.keys, key);
    return chunk.keys[i] === key ? chunk.values[i] : undefined;
  }

  /** Store `value` at `key`; true when the key is new. */
  set(key: string, value: V): boolean {
    const last = this.chunks[this.chunks.length - 1];
    if (last === undefined) {
      this.chunks.push({ keys: [key], values: [value] });
      this.count++;
      return true;
    }
    const lastKey = last.keys[last.keys.length - 1] as string;
    if (lastKey < key) {
      this.insertAt(this.chunks.length - 1, last.keys.length, key, value);
      return true;
    }
    const c = this.chunkFor(key);
    const chunk = this.chunks[c] as Chunk<V>;
    const i = SortedKeyMap.indexIn(chunk.keys, key);
    if (chunk.keys[i] === key) {
      chunk.values[i] = value;
      return false;
    }
    this.insertAt(c, i, key, value);
    return true;
  }

  private insertAt(c: number, i: number, key: string, value: V): void {
    const chunk = this.chunks[c] as Chunk<V>;
    if (i === chunk.keys.length) {
      chunk.keys.push(key);
      chunk.values.push(value);
    } else {
      chunk.keys.splice(i, 0, key);
      chunk.values.splice(i, 0, value);
    }
    this.count++;
    if (chunk.keys.length >= 2 * CHUNK) {
      // Fresh arrays for both halves: splice would leave the first with room for twice its entries.
      const tail: Chunk<V> = { keys: chunk.keys.slice(CHUNK), values: chunk.values.slice(CHUNK) };
      chunk.keys = chunk.keys.slice(0, CHUNK);
      chunk.values = chunk.values.slice(0, CHUNK);
      this.chunks.splice(c + 1, 0, tail);
    }
  }

  /** Remove the entry at `key`; true when there was one. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const i = SortedKeyMap.indexIn(chunk.keys, key);
    if (chunk.keys[i] !== key) return false;
    chunk.keys.splice(i, 1);
    chunk.values.splice(i, 1);
    this.count--;
    if (chunk.keys.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /**
   * Visit entries in order from the first key ≥ `from` until `visit` returns false or the map
   * ends. The map must not change during the walk.
   */
  walk(from: string, visit: (key: string, value: V) => boolean): void {
    let c = this.chunkFor(from);
    let chunk = this.chunks[c];
    if (chunk === undefined) return;
    let i = SortedKeyMap.indexIn(chunk.keys, from);
    for (;;) {
      const keys = chunk.keys;
      const values = chunk.values;
      for (; i < keys.length; i++) if (!visit(keys[i] as string, values[i] as V)) return;
      chunk = this.chunks[++c];
      if (chunk === undefined) return;
      i = 0;
    }
  }

  /** Take over the entries of `other` (which is left empty). */
  takeFrom(other: SortedKeyMap<V>): void {
    this.chunks = other.chunks;
    this.count = other.count;
    other.chunks = [];
    other.count = 0;
  }

  /** Remove every entry. */
  clear(): void {
    this.chunks = [];
    this.count = 0;
  }
}
