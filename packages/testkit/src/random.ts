/**
 * A small seeded generator (mulberry32) of numbers in [0, 1): the same seed gives the same sequence,
 * so a randomized test that fails can be replayed from its seed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
