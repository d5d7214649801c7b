import type { TranscriptSegment, TranscriptWord } from '../transcribe/transcript.ts';
import { normalizeToken } from './tokens.ts';

/**
 * Cuts time-sorted words into phrases: the units chat reacts to, whose ends are the moments a
 * reaction is measured from. Recognisers differ in what they tell us about phrase ends, so every
 * word boundary gets a break strength in milliseconds of pause-equivalent, from whatever is there:
 *
 * - the silence between the words, if the recogniser reports one;
 * - silence hidden inside the words: neural recognisers report touching word times and hand a
 *   pause to the words around it, which then run longer than words of their length usually do
 *   in this transcript (the "excess" of both words);
 * - punctuation (a sentence end always cuts; a comma counts as a pause);
 * - the recogniser's own segment boundaries, which always cut.
 *
 * A boundary cuts when it is strong relative to this transcript's ordinary word boundaries (above
 * median + 6 MADs and twice the median, never under `minBreakMs`; a second's silence always cuts), so no pause length of one speaker or one recogniser
 * is built in. Runs still longer than `maxPhraseMs` are cut at their strongest boundary until none
 * is: a context never ends more than one bounded phrase after the moment reacted to.
 */
export interface SegmentOptions {
  /** Longest phrase; longer runs are cut at their strongest boundary. */
  maxPhraseMs: number;
  /** A boundary weaker than this never cuts on strength alone. */
  minBreakMs: number;
}

export const DEFAULT_SEGMENT_OPTIONS: SegmentOptions = { maxPhraseMs: 4_000, minBreakMs: 150 };

/** A pause this long cuts for any speaker, however pause-rich the rest of the transcript is. */
const MAX_BREAK_MS = 1_000;
/** Pause-equivalent of a comma; a sentence end always cuts. */
const COMMA_MS = 300;
const SENTENCE_END = /[.!?…。！？]["'’”)\]]*$/;
const CLAUSE_END = /[,;:—–]["'’”)\]]*$/;

/**
 * Word ranges [first, end) of each phrase, in order, covering every word.
 *
 * @example
 * segmentPhrases(words, [], DEFAULT_SEGMENT_OPTIONS); // [[0, 7], [7, 12], ...]
 */
export function segmentPhrases(words: readonly TranscriptWord[], segments: readonly TranscriptSegment[], options: SegmentOptions): Array<[number, number]> {
  const n = words.length;
  if (n === 0) return [];
  const strength = breakStrengths(words);
  const hard = new Uint8Array(n);
  // Recogniser segments: a word in another segment than the word before starts a new phrase.
  const segStarts = segments.map((seg) => seg.start_ms).sort((a, b) => a - b);
  const segmentOf = (t: number) => {
    let lo = 0;
    let hi = segStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((segStarts[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };
  let prevSegment = segmentOf((words[0] as TranscriptWord).start_ms);
  for (let i = 1; i < n; i++) {
    const w = words[i] as TranscriptWord;
    const segment = segStarts.length > 0 ? segmentOf(w.start_ms) : -1;
    if (segment !== prevSegment) hard[i] = 1;
    prevSegment = segment;
    if (SENTENCE_END.test((words[i - 1] as TranscriptWord).word.trim())) hard[i] = 1;
  }
  const threshold = Math.min(MAX_BREAK_MS, Math.max(options.minBreakMs, relativeThreshold(strength)));
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || hard[i] === 1 || cuts(words, strength, i, threshold)) {
      splitLong(words, strength, start, i, options.maxPhraseMs, ranges);
      start = i;
    }
  }
  return ranges;
}

/**
 * A word's excess shows on both its boundaries, but the silence it swallowed lies on one side: where
 * only swallowed silence speaks for a boundary, it must beat the boundaries on either side.
 */
function cuts(words: readonly TranscriptWord[], strength: Float64Array, i: number, threshold: number): boolean {
  const s = strength[i] as number;
  if (s < threshold) return false;
  if ((words[i] as TranscriptWord).start_ms - (words[i - 1] as TranscriptWord).end_ms >= threshold) return true;
  return s >= (strength[i - 1] ?? 0) && s > (strength[i + 1] ?? 0);
}

/**
 * strength[i]: how much the boundary before word i looks like a pause, in ms. strength[0] = 0.
 * Exported for tests.
 */
export function breakStrengths(words: readonly TranscriptWord[]): Float64Array {
  const n = words.length;
  const excess = wordExcess(words);
  const out = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const prev = words[i - 1] as TranscriptWord;
    const w = words[i] as TranscriptWord;
    const gap = Math.max(0, w.start_ms - prev.end_ms);
    const comma = CLAUSE_END.test(prev.word.trim()) ? COMMA_MS : 0;
    out[i] = gap + (excess[i - 1] as number) + (excess[i] as number) + comma;
  }
  return out;
}

/** How much longer each word runs than the median word of its length in this transcript (≥ 0). */
function wordExcess(words: readonly TranscriptWord[]): Float64Array {
  const lengthOf = (w: TranscriptWord) => Math.min(12, Math.max(1, normalizeToken(w.word).length));
  const byLength = new Map<number, number[]>();
  const perChar: number[] = [];
  for (const w of words) {
    const len = lengthOf(w);
    const d = w.end_ms - w.start_ms;
    let list = byLength.get(len);
    if (!list) byLength.set(len, (list = []));
    list.push(d);
    perChar.push(d / len);
  }
  const typicalPerChar = median(perChar);
  const typical = new Map<number, number>();
  for (const [len, list] of byLength) typical.set(len, list.length >= 15 ? median(list) : typicalPerChar * len);
  const out = new Float64Array(words.length);
  words.forEach((w, i) => (out[i] = Math.max(0, w.end_ms - w.start_ms - (typical.get(lengthOf(w)) as number))));
  return out;
}

/**
 * Most boundaries are inside phrases, so a cut must stand well above them: median + 6 MAD, and at
 * least twice the median (evenly spaced words have no spread at all).
 */
function relativeThreshold(strength: Float64Array): number {
  if (strength.length < 3) return Infinity;
  const xs = Array.from(strength.subarray(1));
  const m = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - m)));
  return m + Math.max(6 * mad, m);
}

function splitLong(words: readonly TranscriptWord[], strength: Float64Array, first: number, end: number, maxMs: number, out: Array<[number, number]>): void {
  const span = (words[end - 1] as TranscriptWord).end_ms - (words[first] as TranscriptWord).start_ms;
  if (span <= maxMs || end - first < 2) {
    out.push([first, end]);
    return;
  }
  // Strongest boundary; among equals, the one nearest the middle, so pieces stay balanced.
  const mid = ((words[first] as TranscriptWord).start_ms + (words[end - 1] as TranscriptWord).end_ms) / 2;
  let cut = first + 1;
  let best = -Infinity;
  for (let i = first + 1; i < end; i++) {
    const centre = Math.abs((words[i] as TranscriptWord).start_ms - mid) / Math.max(1, span);
    const v = (strength[i] as number) - 50 * centre;
    if (v > best) {
      best = v;
      cut = i;
    }
  }
  splitLong(words, strength, first, cut, maxMs, out);
  splitLong(words, strength, cut, end, maxMs, out);
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
