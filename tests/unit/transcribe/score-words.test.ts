import { describe, expect, it } from 'vitest';
import { scoreWords } from '../../../functions/transcribe/score-words.ts';

const ref = (text: string, stepMs = 400) => text.split(' ').map((word, i) => ({ word, start_ms: i * stepMs }));

describe('scoreWords', () => {
  it('normalises case, punctuation and numbers before comparing', () => {
    const score = scoreWords(ref('we have two hundred viewers'), [
      { word: 'We', start_ms: 10 }, { word: 'have', start_ms: 390 }, { word: '200', start_ms: 800 }, { word: 'viewers!', start_ms: 1700 },
    ]);
    expect(score.wer).toBe(0);
    expect(score.words_ref).toBe(5);
    expect(score.matched_words).toBe(5);
    // errors 10, 10, 0, 400, 100 → sorted 0 10 10 100 400
    expect(score.median_start_error_ms).toBe(10);
    expect(score.p90_start_error_ms).toBe(400);
  });

  it('counts substitutions, deletions and insertions', () => {
    const score = scoreWords(ref('thank you so much chat'), ref('thank you very much much chat'));
    // "so" → "very" (1 substitution) + one inserted "much"
    expect(score.wer).toBe(0.4);
    expect(score.words_hyp).toBe(6);
  });

  it('an empty recognition is all deletions, with no start errors', () => {
    expect(scoreWords(ref('hello chat'), [])).toMatchObject({ wer: 1, matched_words: 0, median_start_error_ms: null });
  });
});
