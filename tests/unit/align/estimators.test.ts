import { describe, expect, it } from 'vitest';
import { align } from '../../../functions/align/align.ts';
import { EchoMatcher, skeleton } from '../../../functions/align/echo-matcher.ts';
import { combineEstimates, DEFAULT_LAG_OPTIONS, estimateLag } from '../../../functions/align/estimate-lag.ts';
import { estimateRateLag } from '../../../functions/align/rate-lag.ts';
import { breakStrengths, DEFAULT_SEGMENT_OPTIONS, segmentPhrases } from '../../../functions/align/segment-phrases.ts';
import type { TranscriptWord } from '../../../functions/transcribe/transcript.ts';
import { msg, rng } from './fixture.ts';

const word = (w: string, start_ms: number, end_ms: number, confidence: number | null = 0.9): TranscriptWord => ({ word: w, start_ms, end_ms, confidence });

/** Lines of `n` four-letter words (300 ms each); `gap` between words, `pause` between lines. */
function speech(lines: number, n: number, gap: number, pause: number): { words: TranscriptWord[]; ends: number[] } {
  const words: TranscriptWord[] = [];
  const ends: number[] = [];
  let t = 0;
  for (let l = 0; l < lines; l++) {
    for (let k = 0; k < n; k++) {
      words.push(word(`w${l}x${k}`.padEnd(4, 'a'), t, t + 300));
      t += 300 + (k < n - 1 ? gap : 0);
    }
    ends.push(t);
    t += pause;
  }
  return { words, ends };
}

describe('segmentPhrases', () => {
  it('cuts at pauses that stand out from the ordinary word gaps, whatever their length', () => {
    // 80 ms between words, 400 ms between lines; then the same at 5x: 400 ms between words, 2 s between lines.
    for (const [gap, pause] of [[80, 400], [400, 2_000]] as const) {
      const { words, ends } = speech(20, 6, gap, pause);
      const ranges = segmentPhrases(words, [], DEFAULT_SEGMENT_OPTIONS);
      expect(ranges.map(([, end]) => (words[end - 1] as TranscriptWord).end_ms)).toEqual(ends);
    }
  });

  it('finds line ends in touching word times from the silence the words swallowed', () => {
    const { words, ends } = speech(20, 6, 0, 0);
    // A neural recogniser hands the 600 ms pause after each line to the last word and the next first word.
    const touching = words.map((w) => ({ ...w }));
    let shift = 0;
    touching.forEach((w, i) => {
      w.start_ms += shift;
      w.end_ms += shift;
      if (i % 6 === 5 && i < words.length - 1) {
        w.end_ms += 350;
        shift += 600;
        const next = words[i + 1];
        if (next) touching[i + 1] = { ...next };
      }
      if (i % 6 === 0 && i > 0) w.start_ms -= 250;
    });
    const strengths = breakStrengths(touching);
    expect(Math.min(...ends.slice(0, -1).map((_, l) => strengths[(l + 1) * 6] as number))).toBeGreaterThan(400);
    const ranges = segmentPhrases(touching, [], DEFAULT_SEGMENT_OPTIONS);
    expect(ranges).toHaveLength(20);
    expect(ranges.every(([first, end]) => first % 6 === 0 && end - first === 6)).toBe(true);
  });

  it('uses the recogniser segments and sentence ends, and bounds phrase length', () => {
    const { words } = speech(1, 40, 0, 0);
    const segments = [{ id: 0, start_ms: 0, end_ms: 3_000, text: '' }, { id: 1, start_ms: 3_000, end_ms: 12_000, text: '' }];
    const marked = words.map((w, i) => (i === 14 ? { ...w, word: `${w.word}.` } : w));
    const ranges = segmentPhrases(marked, segments, DEFAULT_SEGMENT_OPTIONS);
    const starts = ranges.map(([first]) => first);
    expect(starts).toContain(10); // segment 2 starts with word 10 (3000 ms)
    expect(starts).toContain(15); // after "….", a new phrase
    for (const [first, end] of ranges) {
      expect((words[end - 1] as TranscriptWord).end_ms - (words[first] as TranscriptWord).start_ms).toBeLessThanOrEqual(DEFAULT_SEGMENT_OPTIONS.maxPhraseMs);
    }
  });
});

describe('EchoMatcher', () => {
  const matcher = EchoMatcher.build(['pengwin', 'castle', 'penguin', 'goose', 'the', 'library']);

  it('matches exactly with weight 1 and near spellings below it', () => {
    expect(matcher.match('penguin')[0]).toEqual({ token: 'penguin', weight: 1 });
    const near = matcher.match('penguin').find((m) => m.token === 'pengwin');
    expect(near?.weight).toBeGreaterThan(0.5);
    expect(near?.weight).toBeLessThan(1);
    expect(matcher.match('librery').map((m) => m.token)).toContain('library');
  });

  it('leaves short and unrelated words alone', () => {
    expect(matcher.match('gus')).toEqual([]);
    expect(matcher.match('banana')).toEqual([]);
    expect(skeleton('penguin')).toBe(skeleton('pengwin'));
  });

  it('merges a message to one entry per transcript word', () => {
    const all = matcher.matchAll(['penguin', 'pengwin']);
    expect(all.filter((m) => m.token === 'pengwin')).toEqual([{ token: 'pengwin', weight: 1 }]);
  });
});

describe('estimateRateLag', () => {
  const r = rng(5);
  const ends: number[] = [];
  for (let t = 3_000; t < 1_200_000; t += 2_500 + r() * 4_000) ends.push(t);
  const phraseEnds = Float64Array.from(ends);

  it('finds the lag of chat bursts after phrase ends, with no shared words', () => {
    const times: number[] = [];
    for (const e of ends) for (let k = 0; k < 6; k++) times.push(e + 6_000 + r() * 1_500);
    for (let t = 0; t < 1_200_000; t += r() * 1_000) times.push(t);
    const messageT = Float64Array.from(times.sort((a, b) => a - b));
    const est = estimateRateLag(messageT, phraseEnds, 0, 1_200_000, 0, 30_000);
    expect(Math.abs(est.lag_ms - 6_750)).toBeLessThan(600);
    expect(est.confidence).toBeGreaterThan(0.5);
  });

  it('reports no confidence when chat ignores the speech', () => {
    const times: number[] = [];
    for (let t = 0; t < 1_200_000; t += r() * 600) times.push(t);
    const est = estimateRateLag(Float64Array.from(times), phraseEnds, 0, 1_200_000, 0, 30_000);
    expect(est.confidence).toBeLessThan(0.15);
  });
});

describe('estimateLag', () => {
  it('finds a lag change carried by many light echo votes (fuzzy, doubted words)', () => {
    const r = rng(12);
    const votes: Array<[number, number, number]> = [];
    // 600 s: 60 light echoes (weight 0.15) at 8 s before 300 s and at 5 s after, in 600 light chance votes.
    for (let k = 0; k < 120; k++) {
      const t = r() * 600_000;
      votes.push([t, (t < 300_000 ? 8_000 : 5_000) + (r() - 0.5) * 600, 0.15]);
    }
    for (let k = 0; k < 600; k++) votes.push([r() * 600_000, r() * 30_000, 0.15]);
    votes.sort((a, b) => a[0] - b[0]);
    const f = (i: number) => Float64Array.from(votes, (v) => v[i] as number);
    const none = new Float64Array(0);
    const segments = estimateLag({ echoT: f(0), echoLag: f(1), echoW: f(2), rateT: none, rateLag: none, rateW: none }, 0, 600_000, DEFAULT_LAG_OPTIONS);
    expect(segments.map((s) => Math.round(s.lag_ms / 1000))).toEqual([8, 5]);
    expect(Math.abs((segments[1]?.from_ms ?? 0) - 300_000)).toBeLessThan(30_000);
  });
});

describe('combineEstimates', () => {
  it('combines agreeing estimators, halves disagreeing ones and says when there is no evidence', () => {
    const agree = combineEstimates({ lag: 6_000, confidence: 0.6 }, { lag_ms: 6_500, confidence: 0.5 }, 20);
    expect(agree).toMatchObject({ lag_ms: 6_000, method: 'echo', reason: null });
    expect(agree.confidence).toBeCloseTo(0.8);
    expect(combineEstimates({ lag: 6_000, confidence: 0.3 }, { lag_ms: 12_000, confidence: 0.8 }, 20)).toMatchObject({ lag_ms: 12_000, confidence: 0.4, method: 'rate', reason: 'estimators-disagree' });
    expect(combineEstimates(null, { lag_ms: 4_000, confidence: 0.4 }, 0)).toMatchObject({ method: 'rate', reason: 'rate-only' });
    expect(combineEstimates({ lag: 5_000, confidence: 0.1 }, null, 5)).toMatchObject({ method: 'echo', reason: 'weak-evidence' });
    expect(combineEstimates(null, null, 0)).toMatchObject({ confidence: 0, method: 'default', reason: 'no-evidence' });
  });
});

describe('lag without echoes', () => {
  it('takes the lag from chat bursts when chat never repeats a word, and says so', () => {
    // Lines at irregular times (evenly spaced lines would make any multiple of the spacing fit).
    const r = rng(8);
    const words: TranscriptWord[] = [];
    const ends: number[] = [];
    for (let t = 1_000; t < 800_000; t += 2_000 + r() * 5_000) {
      for (let k = 0; k < 4; k++) words.push(word(['okay', 'so', 'this', 'jump'][k] as string, t + k * 400, t + k * 400 + 350));
      ends.push(t + 3 * 400 + 350);
    }
    const messages = [];
    for (const end of ends) for (let k = 0; k < 5; k++) messages.push(msg(Math.round(end + 7_000 + r() * 1_500), ['KEKW', 'LUL', 'OMEGALUL', 'Pog'][k % 4] as string));
    for (let t = 0; t < 810_000; t += 300 + r() * 1_500) messages.push(msg(Math.round(t), 'hi chat'));
    messages.sort((a, b) => a.offset_ms - b.offset_ms);
    const result = align(messages, words, { vodId: 'v1' });
    expect(result.offsets).toHaveLength(1);
    expect(result.offsets[0]).toMatchObject({ method: 'rate', reason: 'rate-only' });
    expect(result.offsets[0]?.confidence).toBeGreaterThan(0.3);
    expect(Math.abs((result.offsets[0]?.lag_ms ?? 0) - 7_750)).toBeLessThan(800);
  });
});
