/**
 * Which chat words follow which spoken words, learnt from the VOD itself. Most reactions do not
 * repeat the streamer ("F", "KEKW", "LETS GO") but they follow kinds of lines ("No no no", "I fell
 * again") far more often than chance. Given each message's candidate lines weighted by how plausible
 * they are, count chat-token × line-token co-occurrences and keep the smoothed pointwise mutual
 * information where it is positive. Identical tokens are left to the lexical score.
 */
/** A message's tokens and its candidate lines with their weights (summing to 1). `chance` examples have no tokens. */
export interface AssociationExample {
  chatTokens: readonly number[];
  candidates: readonly number[];
  weights: readonly number[];
}

/** Pseudo-count that keeps rare pairs from looking significant. */
const SMOOTHING = 1;
/** Co-occurrence must exceed chance by this many standard deviations to count. */
const MIN_Z = 4;
/** Fewer co-occurrences than this are never evidence. */
const MIN_COUNT = 5;
/** Cap per chat token, so one strong cue does not drown the time prior. */
const MAX_PER_TOKEN = 3;

export class WordAssociations {
  private constructor(
    private readonly pmi: Map<number, number>,
    private readonly stride: number,
  ) {}

  /**
   * @example
   * const assoc = WordAssociations.learn(examples, chance, phraseTokens, vocabularySize);
   * assoc.score(messageTokens, phraseTokens[7]); // 0 when nothing links them
   */
  static learn(
    examples: readonly AssociationExample[],
    chance: readonly AssociationExample[],
    phraseTokens: readonly (readonly number[])[],
    vocabularySize: number,
  ): WordAssociations {
    const stride = vocabularySize + 1;
    const nA = new Float64Array(stride);
    // The null is a word typed at a uniformly random time, not the average message: reactions
    // crowd after lively lines, and against that average every word typed at random times would
    // look "associated" with the quiet lines.
    const uB = new Float64Array(stride);
    for (const ex of chance) {
      for (let c = 0; c < ex.candidates.length; c++) {
        for (const b of phraseTokens[ex.candidates[c] as number] as readonly number[]) uB[b] += (ex.weights[c] as number) / Math.max(1, chance.length);
      }
    }
    const nAB = new Map<number, number>();
    for (const ex of examples) {
      for (const a of ex.chatTokens) nA[a] += 1;
      for (let c = 0; c < ex.candidates.length; c++) {
        const w = ex.weights[c] as number;
        if (w <= 0) continue;
        const tokens = phraseTokens[ex.candidates[c] as number] as readonly number[];
        for (const b of tokens) {
          for (const a of ex.chatTokens) {
            if (a === b) continue;
            const key = a * stride + b;
            nAB.set(key, (nAB.get(key) ?? 0) + w);
          }
        }
      }
    }
    const pmi = new Map<number, number>();
    for (const [key, count] of nAB) {
      if (count < MIN_COUNT) continue;
      const a = Math.floor(key / stride);
      const b = key - a * stride;
      const expected = (nA[a] as number) * (uB[b] as number);
      // Thousands of pairs are tested: keep only co-occurrence well above chance (z ≥ MIN_Z).
      if ((count - expected) / Math.sqrt(expected + SMOOTHING) < MIN_Z) continue;
      pmi.set(key, Math.log((count + SMOOTHING) / (expected + SMOOTHING)));
    }
    return new WordAssociations(pmi, stride);
  }

  static empty(): WordAssociations {
    return new WordAssociations(new Map(), 1);
  }

  /**
   * The strongest chat-token association with the line, plus a quarter of the others (natural-log
   * units). Not a plain sum: the words of one message are not independent evidence, and a plain sum
   * lets a long message pile up chance associations.
   */
  score(chatTokens: readonly number[], lineTokens: readonly number[]): number {
    if (this.pmi.size === 0) return 0;
    let total = 0;
    let top = 0;
    for (const a of chatTokens) {
      let best = 0;
      const base = a * this.stride;
      for (const b of lineTokens) {
        const v = this.pmi.get(base + b);
        if (v !== undefined && v > best) best = v;
      }
      best = Math.min(MAX_PER_TOKEN, best);
      total += best;
      if (best > top) top = best;
    }
    return top + 0.25 * (total - top);
  }
}
