import { describe, expect, it } from 'vitest';
import { allocateStrata, samplePairs, sampleRank } from '../../../functions/review/sample-pairs.ts';

interface Row {
  pair_id: string;
  tier: number;
}

/** 300 tier-0, 60 tier-1, 12 tier-2 rows: the skew a real alignment has. */
const rows: Row[] = [
  ...Array.from({ length: 300 }, (_, i) => ({ pair_id: `p0-${i}`, tier: 0 })),
  ...Array.from({ length: 60 }, (_, i) => ({ pair_id: `p1-${i}`, tier: 1 })),
  ...Array.from({ length: 12 }, (_, i) => ({ pair_id: `p2-${i}`, tier: 2 })),
];
const by = { keyOf: (r: Row) => r.pair_id, stratumOf: (r: Row) => String(r.tier) };
const ids = (list: Row[]) => list.map((r) => r.pair_id);
const perTier = (list: Row[]) => list.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.tier]: (acc[r.tier] ?? 0) + 1 }), {});

/** A seeded Fisher–Yates shuffle, so the test itself is repeatable. */
function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('samplePairs', () => {
  it('is deterministic: the same set in any order gives the same sample', () => {
    const a = samplePairs(rows, 60, by);
    expect(ids(samplePairs(shuffled(rows, 1), 60, by))).toEqual(ids(a));
    expect(ids(samplePairs(shuffled(rows, 2).reverse(), 60, by))).toEqual(ids(a));
  });

  it('stratifies by tier: a small tier is taken whole, the rest split evenly', () => {
    const sample = samplePairs(rows, 60, by);
    expect(sample).toHaveLength(60);
    expect(perTier(sample)).toEqual({ 0: 24, 1: 24, 2: 12 });
    expect(new Set(ids(sample)).size).toBe(60);
  });

  it('gives every tier an even share when all are large enough', () => {
    expect(perTier(samplePairs(rows, 30, by))).toEqual({ 0: 10, 1: 10, 2: 10 });
  });

  it('returns everything when asked for more than there is, and nothing for size 0', () => {
    expect(samplePairs(rows, 10_000, by)).toHaveLength(rows.length);
    expect(samplePairs(rows, 0, by)).toEqual([]);
    expect(samplePairs([], 10, by)).toEqual([]);
  });

  it('grows monotonically: a larger sample keeps every pair of a smaller one', () => {
    const small = new Set(ids(samplePairs(rows, 30, by)));
    const large = new Set(ids(samplePairs(rows, 90, by)));
    for (const id of small) expect(large.has(id)).toBe(true);
  });

  it('picks by hash rank, not by position: tier 0 is not just its first rows', () => {
    const picked = samplePairs(rows, 30, by).filter((r) => r.tier === 0).map((r) => Number(r.pair_id.split('-')[1]));
    expect(Math.max(...picked)).toBeGreaterThan(30);
    const ranks = samplePairs(rows, 30, by).map((r) => sampleRank(r.pair_id));
    expect(ranks).toEqual([...ranks].sort());
  });

  it('a different salt draws a different sample', () => {
    expect(ids(samplePairs(rows, 30, { ...by, salt: 'other' }))).not.toEqual(ids(samplePairs(rows, 30, by)));
  });
});

describe('allocateStrata', () => {
  it('never exceeds a stratum and hands on what it cannot use', () => {
    const quota = allocateStrata(new Map([['0', 100], ['1', 3], ['2', 50]]), 30);
    expect(Object.fromEntries(quota)).toEqual({ 0: 13, 1: 3, 2: 14 });
    expect([...quota.values()].reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('sums to min(size, total) for many shapes', () => {
    for (const size of [0, 1, 7, 50, 500]) {
      const sizes = new Map([['a', 5], ['b', 0], ['c', 40], ['d', 9]]);
      const quota = allocateStrata(sizes, size);
      expect([...quota.values()].reduce((a, b) => a + b, 0)).toBe(Math.min(size, 54));
      for (const [k, n] of quota) expect(n).toBeLessThanOrEqual(sizes.get(k) ?? 0);
    }
  });
});
