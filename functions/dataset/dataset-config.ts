import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Version of the split rule. Split membership is a pure function of (this version, the example's
 * split unit), so it is part of the dataset id; bump it only with a new rule. A dataset version
 * records the rule it was built with (`split_rule`) and its membership (`gold.dataset_examples`), so
 * a new rule makes new dataset ids and never re-splits a recorded version.
 *
 * - `dougpt-split/1`: cycles of `cycle_blocks` blocks, one validation and one test position each,
 *   drawn among all `cycle_blocks` positions even past the end of the VOD (a VOD shorter than a cycle
 *   could get no held-out block).
 * - `dougpt-split/2`: the partial last cycle picks among the blocks it has (at least 3), so every VOD
 *   of 3 blocks or more has validation and test blocks; full cycles and `vod` mode are as in rule 1.
 */
export const SPLIT_RULE_VERSION = 'dougpt-split/2';


export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * Every rule of a dataset build, with its default. A `--config FILE` (JSON) overrides any field;
 * the whole resolved config is recorded with the dataset and hashed into its id.
 *
 * @example
 * DatasetConfig.parse({ min_tier: 2 }).split_by; // 'block'
 */
export const DatasetConfig = z
  .object({
    /**
     * `block` (default): each VOD is cut into `block_s`-second blocks; in every cycle of `cycle_blocks` (10) blocks one
     * goes to validation and one to test, the rest to train, positions drawn from a hash of
     * (rule, vod, cycle); a VOD's partial last cycle of 3 blocks or more picks among the blocks it has
     * (see block-split.ts). Works for a single VOD and for hundreds; an example whose context reaches
     * into a block of another split is dropped, so no speech is shared across splits.
     * `vod`: a whole VOD lives in one split (hash of (rule, vod) → 80/10/10): for large corpora.
     */
    split_by: z.enum(['block', 'vod']).default('block'),
    block_s: z.number().int().min(10).max(3600).default(30),
    /** Blocks per cycle in `block` mode: one validation and one test block in each (10 → 80/10/10). */
    cycle_blocks: z.number().int().min(3).max(100).default(10),
    /** `vod` mode: shares of VODs held out. */
    validation_share: z.number().min(0).max(0.5).default(0.1),
    test_share: z.number().min(0).max(0.5).default(0.1),
    /** Reactions below this alignment tier (0 low … 2 high) are dropped unless a reviewer accepted them. */
    min_tier: z.number().int().min(0).max(2).default(1),
    /** Background chatter (tier 0, about nothing said) is chat's style too: kept up to this share. */
    max_background_share: z.number().min(0).max(1).default(0.15),
    /** Emote-only messages are kept up to this share, so the model learns them without only spamming them. */
    max_emote_only_share: z.number().min(0).max(1).default(0.2),
    /** Emote waves (the aligner's `wave_id`: many viewers posting one emote after a moment): examples kept per wave. */
    max_per_wave: z.number().int().min(1).default(3),
    /** Copypasta: at most this many examples with the same normalised text in the whole dataset. */
    max_per_text: z.number().int().min(1).default(3),
    /** No chatter supplies more than this share of the examples (at least `min_chatter_cap`). */
    max_chatter_share: z.number().min(0).max(1).default(0.05),
    min_chatter_cap: z.number().int().min(1).default(25),
    /** No VOD supplies more than this share, once there are enough VODs for the cap to make sense. */
    max_vod_share: z.number().min(0).max(1).default(0.25),
    /** Replies longer than this (characters) are dropped; the prompt spec's `reply.max_chars` by default. */
    max_reply_chars: z.number().int().positive().nullable().default(null),
    /** Optional stratification: cap each reply-length bucket (1–5, 6–15, 16–40, 41+ chars) at this share. */
    max_length_bucket_share: z.number().min(0).max(1).nullable().default(null),
    /**
     * DPO `rejected`: a reply of the same VOD at least this far away (a hard negative: same chat, another
     * moment); one of another VOD only when the VOD has none.
     */
    dpo_min_distance_ms: z.number().int().min(0).default(60_000),
  })
  .strict();
export type DatasetConfig = z.infer<typeof DatasetConfig>;

/** Stable hash of a JSON-safe value (object keys sorted), for ids. */
export function stableHash(value: unknown, length = 16): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
