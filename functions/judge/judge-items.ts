import { createHash } from 'node:crypto';
import { samplePairs } from '../review/sample-pairs.ts';
import type { EvalSample } from './eval-folder.ts';

/** Salts of the two hashes; changing one draws a different (still deterministic) sample or order. */
export const JUDGE_SAMPLE_SALT = 'judge-sample/1';
export const JUDGE_ORDER_SALT = 'judge-order/1';

/** One blind item as the page shows it: the two replies in their shown order, the answer withheld. */
export interface JudgeItem {
  pair_id: string;
  vod_id: string;
  offset_ms: number;
  context: string;
  replies: [string, string];
}

/** Which of the two shown replies (0 or 1) is the real one, for a seed and a pair. */
export function realIndex(seed: string, pairId: string): 0 | 1 {
  const digest = createHash('sha256').update(`${JUDGE_ORDER_SALT}\0${seed}\0${pairId}`).digest();
  return (digest[0]! & 1) as 0 | 1;
}

/**
 * The samples to judge: at most `size`, spread over the VODs, chosen by a hash of seed and pair_id
 * so a restart (or a larger `size`) keeps the items already judged. In rank order.
 *
 * @example
 * sampleJudgeSamples(folder.samples, 30, folder.info.eval_id).length // 30 (or fewer samples)
 */
export function sampleJudgeSamples(samples: readonly EvalSample[], size: number, seed: string): EvalSample[] {
  return samplePairs(samples, size, { keyOf: (s) => s.pair_id, stratumOf: (s) => s.vod_id, salt: `${JUDGE_SAMPLE_SALT}\0${seed}` });
}

/**
 * A sample as a blind item: the real and the adapter's reply in an order fixed by seed and pair_id,
 * so a reload shows the same order.
 *
 * @example
 * toJudgeItem(sample, 'eval-0123456789ab').replies // [real, adapter] or [adapter, real]
 */
export function toJudgeItem(sample: EvalSample, seed: string): JudgeItem {
  const replies: [string, string] = realIndex(seed, sample.pair_id) === 0 ? [sample.real, sample.adapter] : [sample.adapter, sample.real];
  return { pair_id: sample.pair_id, vod_id: sample.vod_id, offset_ms: sample.offset_ms, context: sample.context, replies };
}
