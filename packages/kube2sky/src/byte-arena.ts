/** Bits of a ref that give the offset inside a chunk; the bits above give the chunk. */
const OFFSET_BITS = 16;
/** The size of a chunk: big enough that the bytes wasted at the end of each are nothing, small enough that the last one is. */
const CHUNK = 1 << OFFSET_BITS;
/** Refs are non-negative int32s (so that -1 can mean "none" in an Int32Array): at most 2^15 chunks, 2 GiB. */
const MAX_CHUNKS = 1 << (31 - OFFSET_BITS);

/** The longest entry (256 MiB: its length fits in a four-byte varint). */
const MAX_LENGTH = 0x0fffffff;

/** The bytes a length takes as a varint (7 bits a byte, low bits first). */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/**
 * Byte strings kept side by side in 64 KiB Buffers, each as its length (a varint) and its bytes, named
 * by a ref (`chunk << 16 | offset`, a non-negative int32). Entries are never moved: a dropped entry
 * only counts as garbage, and whoever holds the refs copies the live entries into a fresh arena
 * (`copy`) when the garbage outgrows them. An entry longer than a chunk gets a Buffer of its own.
 */
export class ByteArena {
  private readonly chunks: Buffer[] = [];
  /** The chunk being filled (-1: none yet) and the next free offset in it. */
  private current = -1;
  private end = CHUNK;
  /** Bytes of the entries still in use, and of those dropped (their lengths included). */
  live = 0;
  garbage = 0;
  /** Where the bytes of the entry last `open`ed start in its chunk, and how many there are. */
  start = 0;
  length = 0;

  /** Append `bytes[from, from + length)`; returns its ref. */
  add(bytes: Uint8Array, from: number, length: number): number {
    if (length > MAX_LENGTH) throw new RangeError(`byte arena: an entry of ${length} bytes (at most ${MAX_LENGTH})`);
    const size = varintSize(length) + length;
    let index: number;
    let at: number;
    if (size > CHUNK) {
      index = this.newChunk(size);
      at = 0;
    } else {
      if (this.end + size > CHUNK) {
        this.current = this.newChunk(CHUNK);
        this.end = 0;
      }
      index = this.current;
      at = this.end;
      this.end += size;
    }
    const chunk = this.chunks[index] as Buffer;
    const entry = at;
    let n = length;
    while (n >= 0x80) {
      chunk[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    chunk[at++] = n;
    if (length <= 256) for (let i = 0; i < length; i++) chunk[at + i] = bytes[from + i] as number;
    else chunk.set(bytes.subarray(from, from + length), at);
    this.live += size;
    return (index << OFFSET_BITS) | entry;
  }

  /** The chunk holding entry `ref`; its bytes are `[start, start + length)` of it. */
  open(ref: number): Buffer {
    const chunk = this.chunks[ref >>> OFFSET_BITS] as Buffer;
    let at = ref & (CHUNK - 1);
    let byte = chunk[at++] as number;
    let n = byte;
    if (byte >= 0x80) {
      n &= 0x7f;
      for (let shift = 7; byte >= 0x80; shift += 7) {
        byte = chunk[at++] as number;
        n |= (byte & 0x7f) << shift;
      }
    }
    this.start = at;
    this.length = n;
    return chunk;
  }

  /** The entry `ref` is no longer used. */
  drop(ref: number): void {
    this.open(ref);
    const size = varintSize(this.length) + this.length;
    this.live -= size;
    this.garbage += size;
  }

  /** A copy of `other`'s entry `ref` in this arena; returns its ref here. */
  copy(other: ByteArena, ref: number): number {
    const chunk = other.open(ref);
    return this.add(chunk, other.start, other.length);
  }

  /** True when the garbage exceeds the live bytes (and a chunk): time to copy the live entries into a fresh arena. */
  get wasteful(): boolean {
    return this.garbage > this.live && this.garbage > CHUNK;
  }

  private newChunk(size: number): number {
    if (this.chunks.length >= MAX_CHUNKS) throw new RangeError('byte arena full (2 GiB)');
    return this.chunks.push(Buffer.allocUnsafeSlow(size)) - 1;
  }
}
