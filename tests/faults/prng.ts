/**
 * A small seeded pseudo-random generator (mulberry32) so that fault cases are
 * reproducible from a seed on every runtime. Not for cryptography.
 *
 * @module
 */

/** A deterministic stream of pseudo-random numbers derived from one 32-bit seed. */
export interface Prng {
  /** The normalised (unsigned 32-bit) seed this stream started from. */
  readonly seed: number;
  /** Next unsigned 32-bit integer. */
  uint32(): number;
  /** Next float in [0, 1). */
  next(): number;
  /** Integer in [0, maxExclusive). `maxExclusive` must be a positive integer. */
  int(maxExclusive: number): number;
  /** Integer in [min, maxInclusive]. */
  range(min: number, maxInclusive: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** `n` pseudo-random bytes. */
  bytes(n: number): Uint8Array;
}

/**
 * Mixes two 32-bit values into a well-spread 32-bit seed (a murmur3-style
 * finaliser). Used to derive one independent stream per case index, so a
 * single case can be regenerated from `(seed, index)` alone.
 */
export function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Creates a mulberry32 generator from `seed` (any number; it is truncated to 32 bits). */
export function createPrng(seed: number): Prng {
  const normalised = seed >>> 0;
  let state = normalised;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  const int = (maxExclusive: number): number => {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`int(${maxExclusive}): need a positive integer`);
    }
    return Math.floor(next() * maxExclusive);
  };
  return {
    seed: normalised,
    uint32,
    next,
    int,
    range: (min, maxInclusive) => min + int(maxInclusive - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("pick() from an empty array");
      return items[int(items.length)] as T;
    },
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = uint32();
        out[i] = v & 0xff;
        if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
        if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
        if (i + 3 < n) out[i + 3] = (v >>> 24) & 0xff;
      }
      return out;
    },
  };
}
