import { describe, expect, it } from 'vitest';
import { lagAt, parseLagSchedule } from '../../../functions/sample/ground-truth.ts';
import { createRng } from '../../../functions/sample/prng.ts';
import { numberWords } from '../../../functions/sample/streamer-script.ts';
import { toFragments } from '../../../functions/sample/twitch-downloader-chat-file.ts';

describe('createRng', () => {
  it('repeats per seed and label and differs across them', () => {
    const draw = (seed: number, label: string): number[] => {
      const rng = createRng(seed, label);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
  });

  it('stays in range and covers it', () => {
    const rng = createRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(3, 8);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(8);
      seen.add(v);
    }
    expect(seen.size).toBe(6);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += rng.poisson(4);
    expect(sum / 20_000).toBeCloseTo(4, 0);
  });
});

describe('lag schedules', () => {
  it('parses FROM_S:LAG_S steps and looks up the step in force', () => {
    const steps = parseLagSchedule('0:4, 90:9,120.5:2.25');
    expect(steps).toEqual([{ from_ms: 0, lag_ms: 4000 }, { from_ms: 90_000, lag_ms: 9000 }, { from_ms: 120_500, lag_ms: 2250 }]);
    expect(lagAt(steps, 0)).toBe(4000);
    expect(lagAt(steps, 89_999)).toBe(4000);
    expect(lagAt(steps, 90_000)).toBe(9000);
    expect(lagAt(steps, 500_000)).toBe(2250);
  });

  it('rejects malformed and unordered schedules', () => {
    expect(() => parseLagSchedule('5')).toThrow(/FROM_S:LAG_S/);
    expect(() => parseLagSchedule('10:5')).toThrow(/start at 0/);
    expect(() => parseLagSchedule('0:5,30:4,20:3')).toThrow(/increasing/);
  });
});

describe('toFragments', () => {
  const ids = { LUL: '425618', '<3': '555555584' };

  it('splits text and emotes with inclusive ranges', () => {
    expect(toFragments('no way LUL', ids)).toEqual({
      fragments: [{ text: 'no way ', emoticon: null }, { text: 'LUL', emoticon: { emoticon_id: '425618' } }],
      emoticons: [{ _id: '425618', begin: 7, end: 9 }],
    });
  });

  it('keeps separators between repeated emotes and leaves third-party emotes as text', () => {
    const { fragments, emoticons } = toFragments('LUL LUL KEKW <3', ids);
    expect(fragments.map((f) => f.text)).toEqual(['LUL', ' ', 'LUL', ' KEKW ', '<3']);
    expect(emoticons.map((e) => [e.begin, e.end])).toEqual([[0, 2], [4, 6], [13, 14]]);
  });
});

describe('numberWords', () => {
  it('spells 0..99', () => {
    expect(numberWords(7)).toEqual(['seven']);
    expect(numberWords(40)).toEqual(['forty']);
    expect(numberWords(42)).toEqual(['forty', 'two']);
    expect(() => numberWords(100)).toThrow();
  });
});
