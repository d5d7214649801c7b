import { z } from 'zod';
import { PairLabel } from '../align/pair.ts';
import { Verdict } from './review-api.ts';

/** A transcript word as the review page shows it: inside the context, the line reacted to, or said during the lag. */
export const WindowWord = z.object({
  word: z.string(),
  start_ms: z.number().int(),
  end_ms: z.number().int(),
  role: z.enum(['context', 'target', 'after']),
});
export type WindowWord = z.infer<typeof WindowWord>;

/** The latest verdict on a pair (`gold.pair_reviews`). */
export const LatestReview = z.object({
  review_id: z.string(),
  verdict: Verdict,
  note: z.string().nullable(),
  reviewer: z.string(),
  reviewed_at: z.string(),
});
export type LatestReview = z.infer<typeof LatestReview>;

/**
 * One row of the review page: a pair (`kind: 'pair'`, `item_id` = `pair_id`) or a rejected message
 * (`kind: 'reject'`, no pair fields, context estimated from the chat lag at its offset).
 */
export const ReviewItem = z.object({
  item_id: z.string(),
  kind: z.enum(['pair', 'reject']),
  pair_id: z.string().nullable(),
  message_id: z.string(),
  text: z.string(),
  author_login: z.string().nullable(),
  offset_ms: z.number().int(),
  context_start_ms: z.number().int(),
  context_end_ms: z.number().int(),
  target_start_ms: z.number().int().nullable(),
  target_end_ms: z.number().int().nullable(),
  lag_ms: z.number().int().nullable(),
  score: z.number().nullable(),
  tier: z.number().int().nullable(),
  label: PairLabel.nullable(),
  reject_reason: z.string().nullable(),
  lexical: z.number().nullable(),
  association: z.number().nullable(),
  time_prior: z.number().nullable(),
  transcript: z.array(WindowWord),
  review: LatestReview.nullable(),
});
export type ReviewItem = z.infer<typeof ReviewItem>;
