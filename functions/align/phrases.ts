import type { TranscriptSegment, TranscriptWord } from '../transcribe/transcript.ts';
import { DEFAULT_SEGMENT_OPTIONS, segmentPhrases, type SegmentOptions } from './segment-phrases.ts';
import { isContentToken, normalizeToken } from './tokens.ts';

/**
 * A run of speech between breaks, of bounded length: the unit chat reacts to. A message's lag is measured to a
 * phrase's end, because chat can only react once the line has been said.
 */
export interface Phrase {
  index: number;
  start_ms: number;
  end_ms: number;
  /** Range of words (into the sorted word array), end exclusive. */
  firstWord: number;
  endWord: number;
  /** Distinct content tokens said in the phrase. */
  tokens: Set<string>;
  /** token → the recogniser's highest confidence for it in the phrase (1 when it gives none). */
  confidence: Map<string, number>;
}

export interface PhraseIndex {
  words: TranscriptWord[];
  phrases: Phrase[];
  /** Phrase end times, ascending (phrases never overlap), for binary search. */
  ends: Float64Array;
  /** token → ascending phrase indices that say it. */
  postings: Map<string, number[]>;
  /** token → inverse document frequency over phrases; rare words are better evidence of an echo. */
  idf: Map<string, number>;
}

export type PhraseOptions = SegmentOptions;
export const DEFAULT_PHRASE_OPTIONS: PhraseOptions = DEFAULT_SEGMENT_OPTIONS;

/**
 * Sorts words and groups them into phrases (see segment-phrases.ts), using the recogniser's
 * segments where it gave any.
 *
 * @example
 * const index = buildPhraseIndex(transcript.words, transcript.segments);
 * index.phrases[0].end_ms; // end of the first line spoken
 */
export function buildPhraseIndex(
  input: readonly TranscriptWord[],
  segments: readonly TranscriptSegment[] = [],
  options: PhraseOptions = DEFAULT_PHRASE_OPTIONS,
): PhraseIndex {
  const words = input
    .filter((w) => w.end_ms >= w.start_ms && w.word.trim() !== '')
    .slice()
    .sort((a, b) => a.start_ms - b.start_ms || a.end_ms - b.end_ms);
  const ranges = segmentPhrases(words, segments, options);
  const phrases: Phrase[] = [];
  const postings = new Map<string, number[]>();
  let lastEnd = -Infinity;
  for (const [first, end] of ranges) {
    const tokens = new Set<string>();
    const confidence = new Map<string, number>();
    let endMs = 0;
    for (let i = first; i < end; i++) {
      const w = words[i] as TranscriptWord;
      endMs = Math.max(endMs, w.end_ms);
      for (const part of w.word.split(/[\s\-_/]+/)) {
        const t = normalizeToken(part);
        if (!isContentToken(t)) continue;
        tokens.add(t);
        // A word the recogniser doubts is weaker evidence that it was said.
        const c = w.confidence === null ? 1 : Math.max(0.05, w.confidence);
        confidence.set(t, Math.max(confidence.get(t) ?? 0, c));
      }
    }
    // Overlapping word times (some ASR backends) must not make phrase ends go backwards.
    endMs = Math.max(endMs, lastEnd);
    lastEnd = endMs;
    const index = phrases.length;
    phrases.push({ index, start_ms: (words[first] as TranscriptWord).start_ms, end_ms: endMs, firstWord: first, endWord: end, tokens, confidence });
    for (const t of tokens) {
      const list = postings.get(t);
      if (list) list.push(index);
      else postings.set(t, [index]);
    }
  }
  const idf = new Map<string, number>();
  for (const [t, list] of postings) idf.set(t, Math.log(1 + phrases.length / list.length));
  const ends = new Float64Array(phrases.length);
  phrases.forEach((p, i) => (ends[i] = p.end_ms));
  return { words, phrases, ends, postings, idf };
}

/** First index i with sorted[i] >= value. */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
