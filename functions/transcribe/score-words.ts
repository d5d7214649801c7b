import { normalizeWord } from './normalize-word.ts';

/** A word with its start on the audio timeline: the script's truth or a recogniser's output (null: not known). */
export interface TimedWord {
  word: string;
  start_ms: number | null;
}

/** How recognised words compare with the words really spoken. */
export interface WordScore {
  /** (substitutions + deletions + insertions) / reference words, after normalisation. */
  wer: number;
  words_ref: number;
  words_hyp: number;
  /** Reference words matched exactly by the alignment; start errors are measured on those with both times. */
  matched_words: number;
  median_start_error_ms: number | null;
  p90_start_error_ms: number | null;
}

/**
 * Words as compared: `normalizeWord` (lower case, no punctuation, numbers spelled out), a recognised
 * "video-game" or "2" split into the words a script would have.
 */
function tokens(words: readonly TimedWord[]): TimedWord[] {
  return words.flatMap((w) => normalizeWord(w.word).split(' ').filter(Boolean).map((word) => ({ word, start_ms: w.start_ms })));
}

/** Levenshtein alignment; returns the edit count and the (ref, hyp) index pairs of equal words. */
function align(ref: readonly string[], hyp: readonly string[]): { edits: number; matches: Array<[number, number]> } {
  const width = hyp.length + 1;
  const d = new Uint32Array((ref.length + 1) * width);
  for (let j = 0; j <= hyp.length; j++) d[j] = j;
  for (let i = 1; i <= ref.length; i++) {
    d[i * width] = i;
    for (let j = 1; j <= hyp.length; j++) {
      const same = ref[i - 1] === hyp[j - 1] ? 0 : 1;
      d[i * width + j] = Math.min(d[(i - 1) * width + j]! + 1, d[i * width + j - 1]! + 1, d[(i - 1) * width + j - 1]! + same);
    }
  }
  const matches: Array<[number, number]> = [];
  for (let i = ref.length, j = hyp.length; i > 0 && j > 0; ) {
    const here = d[i * width + j]!;
    if (ref[i - 1] === hyp[j - 1] && here === d[(i - 1) * width + j - 1]) {
      matches.push([i - 1, j - 1]);
      i--, j--;
    } else if (here === d[(i - 1) * width + j - 1]! + 1) i--, j--;
    else if (here === d[(i - 1) * width + j]! + 1) i--;
    else j--;
  }
  return { edits: d[ref.length * width + hyp.length]!, matches: matches.reverse() };
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  if (q === 0.5) {
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/**
 * Word error rate and word-start error of recognised words against the script that was spoken, both
 * normalised the same way. Start errors are measured on the words the alignment matches exactly.
 *
 * @example
 * scoreWords([{ word: 'hello', start_ms: 0 }, { word: 'chat', start_ms: 400 }], [{ word: 'Hello,', start_ms: 30 }, { word: 'chat.', start_ms: 380 }])
 * // { wer: 0, words_ref: 2, words_hyp: 2, matched_words: 2, median_start_error_ms: 25, p90_start_error_ms: 30 }
 */
export function scoreWords(reference: readonly TimedWord[], recognised: readonly TimedWord[]): WordScore {
  const ref = tokens(reference);
  const hyp = tokens(recognised);
  const { edits, matches } = align(ref.map((w) => w.word), hyp.map((w) => w.word));
  const errors = matches
    .flatMap(([i, j]) => {
      const [truth, heard] = [ref[i]!.start_ms, hyp[j]!.start_ms];
      return truth === null || heard === null ? [] : [Math.abs(heard - truth)];
    })
    .sort((a, b) => a - b);
  return {
    wer: ref.length === 0 ? (hyp.length === 0 ? 0 : 1) : Number((edits / ref.length).toFixed(4)),
    words_ref: ref.length,
    words_hyp: hyp.length,
    matched_words: matches.length,
    median_start_error_ms: quantile(errors, 0.5),
    p90_start_error_ms: quantile(errors, 0.9),
  };
}
