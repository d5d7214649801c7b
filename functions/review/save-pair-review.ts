import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import type { Lake } from '../../catalog/lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { pairReviews } from '../../catalog/tables.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import type { StackConfig } from '../../common/stack-config.ts';
import { Verdict } from './review-api.ts';
import { reviewId } from './review-id.ts';

export const SavePairReviewInput = z.object({
  vod_id: z.string().min(1),
  pair_id: z.string().min(1),
  verdict: Verdict,
  note: z.string().max(2_000).nullable().default(null),
  reviewer: z.string().min(1).max(200),
  /** ISO-8601 UTC; default now. Part of the review id. */
  reviewed_at: z.iso.datetime().optional(),
});
export type SavePairReviewInput = z.input<typeof SavePairReviewInput>;

export const SavePairReviewOutput = z.object({
  review_id: z.string(),
  pair_id: z.string(),
  vod_id: z.string(),
  verdict: Verdict,
  note: z.string().nullable(),
  reviewer: z.string(),
  reviewed_at: z.string(),
  /** 0 when the same review was saved before (a retried request). */
  rows_written: z.number().int(),
});
export type SavePairReviewOutput = z.infer<typeof SavePairReviewOutput>;

/**
 * Appends one human verdict on a pair to `gold.pair_reviews`. Reviews are never updated in place:
 * the latest per pair wins, and the history stays for audits.
 *
 * @example
 * await savePairReview({ vod_id: 'v1', pair_id, verdict: 'accept', reviewer: 'ana' }, { config, openLake: () => openLake(config), workDir });
 */
export async function savePairReview(
  raw: SavePairReviewInput,
  deps: { config: StackConfig; openLake: () => Promise<Lake>; workDir: string },
): Promise<SavePairReviewOutput> {
  const input = SavePairReviewInput.parse(raw);
  const reviewed_at = input.reviewed_at ?? new Date().toISOString();
  const row = {
    review_id: reviewId({ pair_id: input.pair_id, verdict: input.verdict, reviewer: input.reviewer, reviewed_at }),
    pair_id: input.pair_id,
    vod_id: input.vod_id,
    verdict: input.verdict,
    note: input.note,
    reviewer: input.reviewer,
    reviewed_at,
  };
  const staged = await stageRows(deps.workDir, [row], pairReviews.columns);
  try {
    // Through the lake's write lock, like every lake write (catalog/write-lake.ts).
    const rows_written = await writeLake(deps, (lake) => insertNew(lake, pairReviews, staged.sql));
    return { ...row, rows_written };
  } finally {
    await staged.cleanup();
  }
}
