import type { TranscriptWord } from '../transcribe/transcript.ts';
import { isContentToken, normalizeToken } from './tokens.ts';

/**
 * A run of speech between pauses: the unit chat reacts to. A message's lag is measured to a
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

export interface PhraseOptions {
  /** A silence at least this long ends a phrase. */
  pauseMs: number;
  /** Longer runs are cut at their widest gap, so one phrase never spans a whole monologue. */
  maxPhraseMs: number;
}

export const DEFAULT_PHRASE_OPTIONS: PhraseOptions = { pauseMs: 250, maxPhraseMs: 12_000 };

/**
 * Sorts words and groups them into phrases.
 *
 * @example
 * const index = buildPhraseIndex(transcript.words);
 * index.phrases[0].end_ms; // end of the first line spoken
 */
export function buildPhraseIndex(input: readonly TranscriptWord[], options: PhraseOptions = DEFAULT_PHRASE_OPTIONS): PhraseIndex {
  const words = input
    .filter((w) => w.end_ms >= w.start_ms && w.word.trim() !== '')
    .slice()
    .sort((a, b) => a.start_ms - b.start_ms || a.end_ms - b.end_ms);
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= words.length; i++) {
    const prev = words[i - 1] as TranscriptWord;
    if (i === words.length || (words[i] as TranscriptWord).start_ms - prev.end_ms >= options.pauseMs) {
      if (i > start) splitLong(words, start, i, options.maxPhraseMs, ranges);
      start = i;
    }
  }
  const phrases: Phrase[] = [];
  const postings = new Map<string, number[]>();
  let lastEnd = -Infinity;
  for (const [first, end] of ranges) {
    const tokens = new Set<string>();
    let endMs = 0;
    for (let i = first; i < end; i++) {
      const w = words[i] as TranscriptWord;
      endMs = Math.max(endMs, w.end_ms);
      for (const part of w.word.split(/[\s\-_/]+/)) {
        const t = normalizeToken(part);
        if (isContentToken(t)) tokens.add(t);
      }
    }
    // Overlapping word times (some ASR backends) must not make phrase ends go backwards.
    endMs = Math.max(endMs, lastEnd);
    lastEnd = endMs;
    const index = phrases.length;
    phrases.push({ index, start_ms: (words[first] as TranscriptWord).start_ms, end_ms: endMs, firstWord: first, endWord: end, tokens });
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

function splitLong(words: TranscriptWord[], first: number, end: number, maxMs: number, out: Array<[number, number]>): void {
  const span = (words[end - 1] as TranscriptWord).end_ms - (words[first] as TranscriptWord).start_ms;
  if (span <= maxMs || end - first < 2) {
    out.push([first, end]);
    return;
  }
  let cut = first + 1;
  let widest = -Infinity;
  for (let i = first + 1; i < end; i++) {
    const gap = (words[i] as TranscriptWord).start_ms - (words[i - 1] as TranscriptWord).end_ms;
    if (gap > widest) {
      widest = gap;
      cut = i;
    }
  }
  splitLong(words, first, cut, maxMs, out);
  splitLong(words, cut, end, maxMs, out);
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
