import { describe, expect, it } from 'vitest';
import { MAX_AFTER_WORDS, transcriptWindow } from '../../../functions/review/transcript-window.ts';

/** One word every 500 ms: w0 at 0–400, w1 at 500–900, … */
const words = Array.from({ length: 200 }, (_, i) => ({ word: `w${i}`, start_ms: i * 500, end_ms: i * 500 + 400 }));

describe('transcriptWindow', () => {
  it('marks context, target and what was said during the lag', () => {
    const out = transcriptWindow(words, { context_start_ms: 2_000, context_end_ms: 5_000, target_start_ms: 4_000, offset_ms: 6_200 });
    expect(out.map((w) => `${w.word}:${w.role}`)).toEqual([
      'w4:context', 'w5:context', 'w6:context', 'w7:context',
      'w8:target', 'w9:target',
      'w10:after', 'w11:after', 'w12:after',
    ]);
  });

  it('keeps a word that straddles the context start, and stops at the message', () => {
    const out = transcriptWindow(words, { context_start_ms: 2_200, context_end_ms: 3_000, target_start_ms: null, offset_ms: 3_000 });
    expect(out.map((w) => w.word)).toEqual(['w4', 'w5']);
    expect(out.every((w) => w.role === 'context')).toBe(true);
  });

  it('caps the words said during a long lag', () => {
    const out = transcriptWindow(words, { context_start_ms: 0, context_end_ms: 1_000, target_start_ms: 500, offset_ms: 90_000 });
    expect(out.filter((w) => w.role === 'after')).toHaveLength(MAX_AFTER_WORDS);
  });

  it('is empty where nothing was said', () => {
    expect(transcriptWindow(words, { context_start_ms: 200_000, context_end_ms: 210_000, target_start_ms: null, offset_ms: 215_000 })).toEqual([]);
    expect(transcriptWindow([], { context_start_ms: 0, context_end_ms: 10_000, target_start_ms: null, offset_ms: 12_000 })).toEqual([]);
  });
});
