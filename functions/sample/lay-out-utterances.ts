import type { Utterance } from './ground-truth.ts';
import { createRng } from './prng.ts';
import { nextScriptLine, type Voice } from './streamer-script.ts';

/** How long a word takes to say; the audio path measures it, the pure path estimates it. */
export type WordDurationMs = (word: string, voice: Voice) => number;

/**
 * Rough espeak-ng length of a word at the sample's speaking rate, for simulations without audio.
 *
 * @example
 * estimateWordDurationMs('bird', 'normal'); // 320
 */
export function estimateWordDurationMs(word: string, voice: Voice): number {
  const ms = 120 + 50 * word.length;
  return Math.round(voice === 'yell' ? ms * 0.9 : ms);
}

/** Silence before the first line, so chat has a moment to say hello. */
export const LEAD_IN_MS = 1500;

export interface LayOutOptions {
  seed: number;
  durationMs: number;
  wordDurationMs: WordDurationMs;
}

/**
 * Places the streamer's script on the timeline: words back to back with short natural gaps, lines
 * separated by pauses, until the next line would run past `durationMs`. Line k and its gaps depend
 * only on the seed, so measuring real word lengths changes times, never the words.
 *
 * @example
 * layOutUtterances({ seed: 1, durationMs: 60_000, wordDurationMs: estimateWordDurationMs });
 */
export function layOutUtterances(opts: LayOutOptions): Utterance[] {
  const script = createRng(opts.seed, 'script');
  const gaps = createRng(opts.seed, 'speech-gaps');
  const utterances: Utterance[] = [];
  let cursor = LEAD_IN_MS;
  for (;;) {
    const line = nextScriptLine(script);
    // Draw every gap of the line up front so the rng stream advances the same way for any durations.
    const wordGaps = line.words.map(() => gaps.int(line.voice === 'yell' ? 15 : 30, line.voice === 'yell' ? 70 : 120));
    const pauseAfter = gaps.chance(0.06) ? gaps.int(4000, 9000) : gaps.int(250, 1400);
    let t = cursor;
    const words = line.words.map((word, i) => {
      if (i > 0) t += wordGaps[i] as number;
      const length = Math.max(1, Math.round(opts.wordDurationMs(word, line.voice)));
      const timed = { word, start_ms: t, end_ms: t + length };
      t += length;
      return timed;
    });
    if (t > opts.durationMs) break;
    utterances.push({
      id: utterances.length,
      text: line.words.join(' '),
      start_ms: words[0]?.start_ms ?? cursor,
      end_ms: t,
      mood: line.mood,
      voice: line.voice,
      words,
    });
    cursor = t + pauseAfter;
  }
  return utterances;
}
