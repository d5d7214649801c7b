import { describe, expect, it } from 'vitest';
import { reviewId } from '../../../functions/review/review-id.ts';

const base = { pair_id: 'a1b2', verdict: 'accept', reviewer: 'ana', reviewed_at: '2025-03-01T12:00:00.000Z' };

describe('reviewId', () => {
  it('is stable for the same review', () => {
    expect(reviewId(base)).toBe(reviewId({ ...base }));
    expect(reviewId(base)).toMatch(/^review-[0-9a-f]{24}$/);
  });

  it('changes with each of pair, verdict, reviewer and time', () => {
    const seen = new Set([
      reviewId(base),
      reviewId({ ...base, pair_id: 'a1b3' }),
      reviewId({ ...base, verdict: 'reject' }),
      reviewId({ ...base, reviewer: 'bo' }),
      reviewId({ ...base, reviewed_at: '2025-03-01T12:00:00.001Z' }),
    ]);
    expect(seen.size).toBe(5);
  });

  it('does not confuse fields that run together', () => {
    expect(reviewId({ ...base, pair_id: 'ab', reviewer: 'c' })).not.toBe(reviewId({ ...base, pair_id: 'a', reviewer: 'bc' }));
  });
});
