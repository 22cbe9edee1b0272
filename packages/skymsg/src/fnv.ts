const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** kube2sky's leaf label: FNV-1a of the exact JSON value, lower-case hex without zero padding. */
export function leafLabel(encodedValue: string): string {
  return fnv1a32(encodedValue).toString(16);
}
