import type { Transcript, TranscriptWord } from '../../functions/transcribe/transcript.ts';
import { createRng } from '../../functions/sample/prng.ts';

/**
 * Transcript kinds the alignment benchmarks run on, made from a simulated stream's exact words.
 *
 * - `exact`: the simulator's own words and line segments (what earlier figures were measured on).
 * - `neural`: shaped like a neural recogniser's word list (Whisper-family, CTC aligners): no
 *   segments, no punctuation, word times touching inside speech — a pause under `swallowMs` is
 *   absorbed by the words around it, at a random split — boundaries jittered, and a share of words
 *   substituted (a near spelling or another word of the stream) or dropped, with lower confidence.
 * - `neural-hard`: the same, harsher: every pause under 1.5 s swallowed (all but the long pauses
 *   between lines), boundaries jittered by up to 80 ms, 22% substituted and 8% dropped.
 */
export type TranscriptKind = 'exact' | 'neural' | 'neural-hard';

export interface NeuralOptions {
  seed: number;
  /** Share of words replaced by a near spelling or another word. */
  substitute: number;
  /** Share of words left out. */
  drop: number;
  /** Pauses shorter than this disappear (the words around them touch). */
  swallowMs: number;
  /** Word boundaries move by up to this much. */
  jitterMs: number;
}

export const NEURAL_DEFAULTS: Omit<NeuralOptions, 'seed'> = { substitute: 0.17, drop: 0.08, swallowMs: 1_000, jitterMs: 40 };
export const NEURAL_HARD: Omit<NeuralOptions, 'seed'> = { substitute: 0.22, drop: 0.08, swallowMs: 1_500, jitterMs: 80 };

/**
 * @example
 * const t = neuralShaped(stream.transcript, { ...NEURAL_DEFAULTS, seed: 1 });
 */
export function neuralShaped(exact: Transcript, options: NeuralOptions): Transcript {
  const rng = createRng(options.seed, 'neural-transcript');
  const vocabulary = [...new Set(exact.words.map((w) => w.word.toLowerCase()))];
  const kept: TranscriptWord[] = [];
  for (const w of exact.words) {
    const r = rng.next();
    if (r < options.drop) continue;
    const substituted = r < options.drop + options.substitute;
    const word = substituted ? (rng.chance(0.5) ? misspell(w.word.toLowerCase(), rng.next) : (vocabulary[rng.int(0, vocabulary.length - 1)] as string)) : w.word.toLowerCase();
    const jitter = () => Math.round((rng.next() * 2 - 1) * options.jitterMs);
    const start = w.start_ms + jitter();
    kept.push({ word, start_ms: start, end_ms: Math.max(start + 40, w.end_ms + jitter()), confidence: substituted ? rng.float(0.15, 0.7) : rng.float(0.6, 1) });
  }
  // Swallow short pauses: the silence goes to the word before and the word after, at a random split.
  for (let i = 1; i < kept.length; i++) {
    const a = kept[i - 1] as TranscriptWord;
    const b = kept[i] as TranscriptWord;
    const gap = b.start_ms - a.end_ms;
    if (gap < options.swallowMs) {
      const cut = a.end_ms + Math.round(Math.max(0, gap) * rng.next());
      a.end_ms = Math.max(a.start_ms + 20, Math.min(cut, b.end_ms - 20));
      b.start_ms = a.end_ms;
    }
  }
  return { words: kept, segments: [], backend: 'simulated-neural', model: null, config: { ...options } };
}

/** One edit that keeps a word recognisable by sound or spelling: a letter changed, doubled or lost. */
function misspell(word: string, next: () => number): string {
  if (word.length < 3) return word;
  const i = 1 + Math.floor(next() * (word.length - 1));
  const r = next();
  const near = 'aeiouy'.includes(word[i] as string) ? 'aeiou' : 'bcdfgklmnprstvz';
  const letter = near[Math.floor(next() * near.length)] as string;
  if (r < 0.4) return word.slice(0, i) + letter + word.slice(i + 1);
  if (r < 0.7) return word.slice(0, i) + word.slice(i + 1);
  return word.slice(0, i) + letter + word.slice(i);
}

/** The transcript of one kind for a simulated stream. */
export function transcriptOfKind(exact: Transcript, kind: TranscriptKind, seed: number): Transcript {
  if (kind === 'exact') return exact;
  return neuralShaped(exact, { ...(kind === 'neural' ? NEURAL_DEFAULTS : NEURAL_HARD), seed });
}
