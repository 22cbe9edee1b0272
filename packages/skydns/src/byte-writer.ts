/**
 * A drop-in for dns2's `Packet.Writer` that keeps bytes instead of one array element per bit: dns2's
 * codecs write whole bytes, 16- and 32-bit fields almost always, and those go straight into a
 * growing buffer. Fields narrower than a byte (the header's flags) are gathered bit by bit. Offsets
 * are message offsets: the writer stands for the part of a message that starts at `base`, so dns2's
 * name compression records the right pointers (`names` is shared across the records of a message).
 */
export class ByteWriter {
  private bytes: Buffer;
  private length = 0;
  /** Bits written past the last whole byte, most significant first, and how many. */
  private pending = 0;
  private pendingBits = 0;

  constructor(
    private readonly base = 0,
    /** dns2's compression table: lower-cased name suffix → message offset. */
    readonly names: Map<string, number> = new Map(),
    capacity = 64,
  ) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** Append the low `bits` bits of `value`, most significant first (dns2's `write`). */
  write(value: number, bits: number): void {
    if (this.pendingBits === 0 && (bits & 7) === 0) {
      this.reserve(bits >> 3);
      for (let shift = bits - 8; shift >= 0; shift -= 8) this.bytes[this.length++] = (value >>> shift) & 0xff;
      return;
    }
    for (let i = bits - 1; i >= 0; i--) {
      this.pending = (this.pending << 1) | ((value >>> i) & 1);
      if (++this.pendingBits === 8) {
        this.reserve(1);
        this.bytes[this.length++] = this.pending;
        this.pending = 0;
        this.pendingBits = 0;
      }
    }
  }

  /** Append everything another writer holds (dns2 uses this for EDNS options). */
  writeBuffer(other: { toBuffer(): Buffer }): void {
    const data = other.toBuffer();
    for (const byte of data) this.write(byte, 8);
  }

  /** Bits written so far, counted from `base`. */
  bitLength(): number {
    return (this.base + this.length) * 8 + this.pendingBits;
  }

  /** The message offset of the next byte (dns2 records compression pointers with it). */
  byteLength(): number {
    return this.base + this.length + this.pendingBits / 8;
  }

  /** Overwrite `bits` bits at message bit offset `bitOffset` with `value` (dns2 back-fills RDLENGTH so). */
  patch(bitOffset: number, value: number, bits: number): void {
    const start = bitOffset - this.base * 8;
    if ((start & 7) !== 0 || (bits & 7) !== 0 || start + bits > this.length * 8)
      throw new Error(`ByteWriter.patch: ${bits} bits at bit ${bitOffset} are not whole written bytes`);
    let at = start >> 3;
    for (let shift = bits - 8; shift >= 0; shift -= 8) this.bytes[at++] = (value >>> shift) & 0xff;
  }

  /** The bytes written (a trailing partial byte padded with zero bits, as dns2 does). */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.length + (this.pendingBits > 0 ? 1 : 0));
    this.bytes.copy(out, 0, 0, this.length);
    if (this.pendingBits > 0) out[this.length] = (this.pending << (8 - this.pendingBits)) & 0xff;
    return out;
  }

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + more));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}
