import { describe, expect, it } from 'vitest';
import type { EvalSample } from '../../../functions/judge/eval-folder.ts';
import { realIndex, sampleJudgeSamples, toJudgeItem } from '../../../functions/judge/judge-items.ts';

const samples: EvalSample[] = Array.from({ length: 200 }, (_, i) => ({
  pair_id: `pair-${i}`,
  vod_id: i < 20 ? 'small-vod' : 'big-vod',
  offset_ms: i * 1_000,
  context: `context ${i}`,
  real: `real ${i}`,
  adapter: `generated ${i}`,
}));

describe('realIndex', () => {
  it('is the same for the same seed and pair, and about even over pairs', () => {
    const order = samples.map((s) => realIndex('eval-1', s.pair_id));
    expect(samples.map((s) => realIndex('eval-1', s.pair_id))).toEqual(order);
    const first = order.filter((k) => k === 0).length;
    // 200 fair coins: 0 appears 70..130 times with overwhelming probability; a constant order would fail.
    expect(first).toBeGreaterThan(70);
    expect(first).toBeLessThan(130);
  });

  it('depends on the seed', () => {
    const a = samples.map((s) => realIndex('eval-1', s.pair_id));
    const b = samples.map((s) => realIndex('eval-2', s.pair_id));
    expect(a).not.toEqual(b);
  });
});

describe('toJudgeItem', () => {
  it('shows the real and the adapter reply, the real one where realIndex says, and nothing that names it', () => {
    for (const sample of samples.slice(0, 30)) {
      const item = toJudgeItem(sample, 'eval-1');
      const k = realIndex('eval-1', sample.pair_id);
      expect(item.replies[k]).toBe(sample.real);
      expect(item.replies[1 - k]).toBe(sample.adapter);
      expect(Object.keys(item).sort()).toEqual(['context', 'offset_ms', 'pair_id', 'replies', 'vod_id']);
    }
  });
});

describe('sampleJudgeSamples', () => {
  it('draws the same items whatever the input order, at most size, without repeats', () => {
    const a = sampleJudgeSamples(samples, 30, 'eval-1');
    const b = sampleJudgeSamples([...samples].reverse(), 30, 'eval-1');
    expect(a.map((s) => s.pair_id)).toEqual(b.map((s) => s.pair_id));
    expect(a).toHaveLength(30);
    expect(new Set(a.map((s) => s.pair_id)).size).toBe(30);
    expect(sampleJudgeSamples(samples.slice(0, 5), 30, 'eval-1')).toHaveLength(5);
  });

  it('spreads the sample over the VODs instead of following their sizes', () => {
    const vods = sampleJudgeSamples(samples, 30, 'eval-1').map((s) => s.vod_id);
    expect(vods.filter((v) => v === 'small-vod')).toHaveLength(15);
  });

  it('keeps a smaller sample inside a larger one, so raising --sample keeps the items judged', () => {
    const small = new Set(sampleJudgeSamples(samples, 10, 'eval-1').map((s) => s.pair_id));
    const large = new Set(sampleJudgeSamples(samples, 40, 'eval-1').map((s) => s.pair_id));
    for (const id of small) expect(large.has(id)).toBe(true);
  });

  it('draws another sample for another seed', () => {
    const a = sampleJudgeSamples(samples, 30, 'eval-1').map((s) => s.pair_id);
    const b = sampleJudgeSamples(samples, 30, 'eval-2').map((s) => s.pair_id);
    expect(a).not.toEqual(b);
  });
});
