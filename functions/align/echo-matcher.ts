/**
 * Matches a chat token with the transcript tokens it may echo, forgiving recogniser errors: a
 * recogniser writes "pengwin" or "penguins" where chat types "PENGUIN". Two tests, both on
 * normalised tokens of four letters or more (shorter ones collide by chance far too often):
 *
 * - spelling: Dice similarity of the character trigrams of "^token$";
 * - sound: equal consonant skeletons (vowels dropped after the first letter, letters that sound
 *   alike merged, doubles squeezed), as recognisers trade vowels and voicing first.
 *
 * An exact match weighs 1; a near one its similarity (at most 0.8), so exact echoes still win.
 */
export interface EchoMatch {
  /** Transcript token. */
  token: string;
  /** 0..1: how surely the chat token is this word. */
  weight: number;
}

const MIN_LENGTH = 4;
const MIN_SIMILARITY = 0.5;
const MAX_NEAR = 3;
const NEAR_CAP = 0.8;

export class EchoMatcher {
  private readonly cache = new Map<string, EchoMatch[]>();

  private constructor(
    private readonly vocabulary: Set<string>,
    private readonly byTrigram: Map<string, string[]>,
    private readonly bySkeleton: Map<string, string[]>,
  ) {}

  /**
   * @example
   * const matcher = EchoMatcher.build(['pengwin', 'castle']);
   * matcher.match('penguin'); // [{ token: 'pengwin', weight: 0.8 }]
   */
  static build(transcriptTokens: Iterable<string>): EchoMatcher {
    const vocabulary = new Set(transcriptTokens);
    const byTrigram = new Map<string, string[]>();
    const bySkeleton = new Map<string, string[]>();
    for (const t of vocabulary) {
      if (t.length < MIN_LENGTH) continue;
      for (const g of trigrams(t)) push(byTrigram, g, t);
      const key = skeleton(t);
      if (key.length >= 3) push(bySkeleton, key, t);
    }
    return new EchoMatcher(vocabulary, byTrigram, bySkeleton);
  }

  /** Transcript tokens this chat token may echo, best first; [] when none. */
  match(chatToken: string): EchoMatch[] {
    let out = this.cache.get(chatToken);
    if (out) return out;
    out = [];
    if (this.vocabulary.has(chatToken)) out.push({ token: chatToken, weight: 1 });
    if (chatToken.length >= MIN_LENGTH) {
      const grams = trigrams(chatToken);
      const shared = new Map<string, number>();
      for (const g of grams) for (const t of this.byTrigram.get(g) ?? []) if (t !== chatToken) shared.set(t, (shared.get(t) ?? 0) + 1);
      const near = new Map<string, number>();
      for (const [t, k] of shared) {
        const dice = (2 * k) / (grams.size + trigrams(t).size);
        if (dice >= MIN_SIMILARITY) near.set(t, dice);
      }
      const key = skeleton(chatToken);
      for (const t of key.length >= 3 ? (this.bySkeleton.get(key) ?? []) : []) if (t !== chatToken) near.set(t, Math.max(near.get(t) ?? 0, NEAR_CAP));
      const ranked = [...near].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_NEAR);
      for (const [token, sim] of ranked) out.push({ token, weight: Math.min(NEAR_CAP, sim) });
    }
    this.cache.set(chatToken, out);
    return out;
  }

  /** The matches of several chat tokens, one entry per transcript token (its best weight). */
  matchAll(chatTokens: readonly string[]): EchoMatch[] {
    const best = new Map<string, number>();
    for (const c of chatTokens) for (const m of this.match(c)) best.set(m.token, Math.max(best.get(m.token) ?? 0, m.weight));
    return [...best].map(([token, weight]) => ({ token, weight }));
  }
}

function trigrams(token: string): Set<string> {
  const s = `^${token}$`;
  const out = new Set<string>();
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return out;
}

/** A rough sound key: "penguin" → "pnkn", "pengwin" → "pnkn". */
export function skeleton(token: string): string {
  const merged = token
    .replace(/ph/g, 'f')
    .replace(/[ckqg]/g, 'k')
    .replace(/[sz]/g, 's')
    .replace(/[dt]/g, 't')
    .replace(/[bp]/g, 'p')
    .replace(/[fv]/g, 'f')
    .replace(/[mn]/g, 'n');
  const head = merged[0] ?? '';
  const rest = merged.slice(1).replace(/[aeiouyhw]/g, '');
  return (head + rest).replace(/(.)\1+/g, '$1');
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
