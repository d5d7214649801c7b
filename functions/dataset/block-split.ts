import { sqlString } from '../../catalog/lake.ts';

/**
 * The salt of the split hashes. Rule 2 changed only the partial last cycle of a VOD, so it hashes with
 * rule 1's salt: every block of a full cycle, and every VOD of `vod` mode, keeps the split rule 1 gave it.
 */
export const SPLIT_HASH_SALT = 'dougpt-split/1';

/** A held-out split needs at least this many blocks in a cycle: one validation, one test, one train. */
export const MIN_CYCLE_BLOCKS = 3;

/**
 * `CREATE MACRO dg_block_split(v, b, n)`: the split of block `b` of VOD `v`, a VOD of `n` blocks. A pure
 * function of (salt, VOD, block, the VOD's block count, `cycle`).
 *
 * The blocks go in cycles of `cycle`; a hash of (salt, VOD, cycle index) picks one validation and one
 * (other) test block among the cycle's blocks, the rest are train. The last cycle of a VOD may be
 * partial: it picks among the `m` blocks it has, when it has at least 3; a shorter tail is train (it only
 * exists after a full cycle, or in a VOD under 3 blocks, which has no held-out split). So every VOD of
 * 3 blocks or more has at least one validation and one test block.
 *
 * @example
 * await session.run(blockSplitMacro(10));
 * await session.all(`SELECT dg_block_split('vod1', 3, 8) AS split`); // [{ split: 'train' }] (or a held-out one)
 */
export function blockSplitMacro(cycle: number): string {
  const salt = sqlString(SPLIT_HASH_SALT);
  const hash = (kind: string) => `md5_number(${salt} || '|' || v || '|' || (b // ${cycle})::VARCHAR || '|${kind}')`;
  // Blocks of b's cycle: a full cycle, or what the VOD has left.
  const size = `least(${cycle}, n - (b // ${cycle}) * ${cycle})::BIGINT`;
  // md5_number is a UHUGEINT: the modulus must be one too (a BIGINT one truncates the hash). The
  // branches below 3 blocks never read it; `greatest` keeps the cast defined there all the same.
  const modulus = (minus: number) => `greatest(${size} - ${minus}, ${MIN_CYCLE_BLOCKS - minus})::UHUGEINT`;
  const validation = `(${hash('validation')} % ${modulus(0)})::BIGINT`;
  const test = `((${validation} + 1 + (${hash('test')} % ${modulus(1)})::BIGINT) % ${size})`;
  return `CREATE OR REPLACE TEMP MACRO dg_block_split(v, b, n) AS
    CASE
      WHEN ${size} < ${MIN_CYCLE_BLOCKS} THEN 'train'
      WHEN b % ${cycle} = ${validation} THEN 'validation'
      WHEN b % ${cycle} = ${test} THEN 'test'
      ELSE 'train'
    END`;
}

/**
 * Why a dataset has an empty validation or test split, and what to do about it, in one line; null when
 * both held-out splits have examples. `vodBlocks` is each VOD's block count (`block` mode).
 *
 * @example
 * emptySplitReason({ splitBy: 'block', blockS: 30, vodBlocks: [2], splits: { train: 40, validation: 0, test: 0 } });
 * // 'validation and test splits are empty (train 40, validation 0, test 0): 1 of 1 VOD is under 3 blocks of 30 s …'
 */
export function emptySplitReason(input: {
  splitBy: 'block' | 'vod';
  blockS: number;
  vodBlocks: readonly number[];
  splits: Record<'train' | 'validation' | 'test', number>;
}): string | null {
  const empty = (['validation', 'test'] as const).filter((s) => input.splits[s] === 0);
  if (empty.length === 0) return null;
  const what = `${empty.join(' and ')} split${empty.length > 1 ? 's are' : ' is'} empty (train ${input.splits.train}, validation ${input.splits.validation}, test ${input.splits.test})`;
  const vods = input.vodBlocks.length;
  if (input.splitBy === 'vod') {
    return `${what}: with --split-by vod each of the ${vods} VOD(s) lives in one split and none fell there; add VODs (10 or more) or use --split-by block`;
  }
  const short = input.vodBlocks.filter((n) => n < MIN_CYCLE_BLOCKS).length;
  const minSeconds = MIN_CYCLE_BLOCKS * input.blockS;
  if (short > 0) {
    return `${what}: ${short} of ${vods} VOD(s) under ${MIN_CYCLE_BLOCKS} blocks of ${input.blockS} s get no held-out block; ` +
      `use VODs with at least ${minSeconds} s of aligned speech, or a smaller block_s in --config`;
  }
  return `${what}: the held-out blocks of ${vods} VOD(s) lost all their examples to the filters and the split-boundary drop; ` +
    `add VODs or longer ones, or a smaller block_s in --config`;
}
