import { createHash } from 'node:crypto';

/**
 * The id of one review: a hash of who said what about which pair and when, so saving the same
 * review twice (a retried request) writes one row, while a later change of mind writes a new one.
 *
 * @example
 * reviewId({ pair_id: 'pair-1', verdict: 'accept', reviewer: 'ana', reviewed_at: '2025-01-01T00:00:00.000Z' }) // 'review-…'
 */
export function reviewId(review: { pair_id: string; verdict: string; reviewer: string; reviewed_at: string }): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([review.pair_id, review.verdict, review.reviewer, review.reviewed_at]))
    .digest('hex');
  return `review-${digest.slice(0, 24)}`;
}
