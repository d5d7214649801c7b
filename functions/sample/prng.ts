/**
 * A tiny seeded PRNG (mulberry32) so the synthetic sample is reproducible byte for byte.
 * Each concern draws from its own named stream, so changing how chat noise is drawn never
 * shifts what the streamer says.
 *
 * @example
 * const rng = createRng(1, 'script');
 * rng.int(1, 6); // same value on every run for seed 1
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Uniform float in [min, max). */
  float(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Poisson-distributed count (Knuth; fine for the small means used here). */
  poisson(mean: number): number;
  /** Exponential waiting time with the given mean. */
  exponential(mean: number): number;
}

/** 32-bit FNV-1a over the label, mixed with the seed: independent streams per label. */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  h ^= Math.floor(seed / 0x100000000) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRng(seed: number, label = ''): Rng {
  let state = deriveSeed(seed, label);
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    float: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    poisson: (mean) => {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
    exponential: (mean) => -Math.log(1 - next()) * mean,
  };
}
