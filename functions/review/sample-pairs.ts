import { createHash } from 'node:crypto';

/** Salt of the sampling hash; changing it draws a different (still deterministic) sample. */
export const SAMPLE_SALT = 'qa-sample/1';

/** A stable pseudo-random rank for a key: the same key always ranks the same, whatever else is sampled. */
export function sampleRank(key: string, salt = SAMPLE_SALT): string {
  return createHash('sha256').update(`${salt}\0${key}`).digest('hex');
}

/**
 * How many items each stratum gets out of `size`: as even as the strata allow, with what a small
 * stratum cannot use handed on to the larger ones. Review needs every tier seen, not the tiers'
 * natural shares (tier 0 can outnumber tier 2 tenfold).
 *
 * @example
 * allocateStrata(new Map([['0', 100], ['1', 3], ['2', 50]]), 30) // Map { '1' => 3, '2' => 14, '0' => 13 }
 */
export function allocateStrata(sizes: ReadonlyMap<string, number>, size: number): Map<string, number> {
  const out = new Map<string, number>();
  // Smallest first, so a stratum that cannot fill its share passes the rest on.
  const order = [...sizes.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let left = Math.max(0, Math.floor(size));
  order.forEach(([stratum, available], i) => {
    const share = Math.ceil(left / (order.length - i));
    const take = Math.min(available, share);
    out.set(stratum, take);
    left -= take;
  });
  return out;
}

/**
 * Draws a deterministic sample of at most `size` items, stratified by `stratumOf`: within each
 * stratum the items with the lowest hash rank of `keyOf` win. The result depends only on the set of
 * items (not their order), and a larger sample contains every item of a smaller one per stratum.
 * Returned in rank order.
 *
 * @example
 * samplePairs(rows, 200, { keyOf: (r) => r.pair_id, stratumOf: (r) => String(r.tier) });
 */
export function samplePairs<T>(
  items: readonly T[],
  size: number,
  by: { keyOf: (item: T) => string; stratumOf: (item: T) => string; salt?: string },
): T[] {
  const ranked = items.map((item) => ({ item, rank: sampleRank(by.keyOf(item), by.salt) }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  const strata = new Map<string, typeof ranked>();
  for (const entry of ranked) {
    const stratum = by.stratumOf(entry.item);
    const list = strata.get(stratum);
    if (list) list.push(entry);
    else strata.set(stratum, [entry]);
  }
  const quota = allocateStrata(new Map([...strata].map(([k, v]) => [k, v.length])), size);
  const chosen = [...strata].flatMap(([stratum, list]) => list.slice(0, quota.get(stratum) ?? 0));
  chosen.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return chosen.map((entry) => entry.item);
}
