import { describe, expect, it } from 'vitest';
import { judgmentId, type Judgment } from '../../../functions/judge/judgments.ts';
import { summariseJudgments } from '../../../functions/judge/summarise-judgments.ts';

const judgment = (over: Partial<Judgment>): Judgment => {
  const base = { eval_id: 'eval-1', run_id: 'run-1', pair_id: 'p1', picked_real: true, rating: 3, reviewer: 'ana', judged_at: '2025-01-01T00:00:00.000Z', ...over };
  return { ...base, judgment_id: judgmentId(base) };
};

describe('summariseJudgments', () => {
  it('has nulls before the first judgment', () => {
    expect(summariseJudgments([])).toEqual({ judged: 0, correct_share: null, mean_rating: null });
  });

  it('counts correct picks and averages the ratings', () => {
    const summary = summariseJudgments([
      judgment({ pair_id: 'p1', picked_real: true, rating: 2 }),
      judgment({ pair_id: 'p2', picked_real: false, rating: 5 }),
      judgment({ pair_id: 'p3', picked_real: true, rating: 4 }),
      judgment({ pair_id: 'p4', picked_real: true, rating: 1 }),
    ]);
    expect(summary).toEqual({ judged: 4, correct_share: 0.75, mean_rating: 3 });
  });

  it('counts a reviewer once per pair (the later judgment), and each reviewer apart', () => {
    const summary = summariseJudgments([
      judgment({ pair_id: 'p1', picked_real: false, rating: 5, judged_at: '2025-01-02T00:00:00.000Z' }),
      judgment({ pair_id: 'p1', picked_real: true, rating: 1, judged_at: '2025-01-01T00:00:00.000Z' }),
      judgment({ pair_id: 'p1', picked_real: true, rating: 3, reviewer: 'bo' }),
    ]);
    expect(summary).toEqual({ judged: 2, correct_share: 0.5, mean_rating: 4 });
  });
});
