import { z } from 'zod';
import { appendJudgment, Judgment, judgmentId } from './judgments.ts';
import { writeEvalJudgments, type JudgmentLake } from './write-eval-judgments.ts';

export const SaveJudgmentInput = z.object({
  eval_id: z.string().min(1),
  run_id: z.string().nullable(),
  pair_id: z.string().min(1),
  picked_real: z.boolean(),
  rating: z.number().int().min(1).max(5),
  reviewer: z.string().min(1).max(200),
  /** ISO-8601 UTC; default now. Part of the judgment id. */
  judged_at: z.iso.datetime().optional(),
});
export type SaveJudgmentInput = z.input<typeof SaveJudgmentInput>;

export const SaveJudgmentOutput = z.object({
  judgment: Judgment,
  /** Rows written to gold.eval_judgments: null without a lake, 0 when the row was there already. */
  lake_rows: z.number().int().nullable(),
  /** Why the lake write failed; the judgment is in the file all the same, and a later write of the file adds it. */
  lake_error: z.string().nullable(),
});
export type SaveJudgmentOutput = z.infer<typeof SaveJudgmentOutput>;

/**
 * Appends one blind judgment to the evaluation's judgments.jsonl and, given a lake, to
 * `gold.eval_judgments`. The file is written first: it is the record a summary reads. A failed lake
 * write is returned, not thrown, so the caller never retries (and doubles) a judgment already kept;
 * `writeEvalJudgments` of the whole file repairs it later (writes are keyed by judgment_id).
 *
 * @example
 * await saveJudgment({ eval_id, run_id, pair_id, picked_real: true, rating: 2, reviewer: 'ana' }, { judgmentsPath });
 */
export async function saveJudgment(raw: SaveJudgmentInput, deps: { judgmentsPath: string; lake?: JudgmentLake }): Promise<SaveJudgmentOutput> {
  const input = SaveJudgmentInput.parse(raw);
  const judged_at = input.judged_at ?? new Date().toISOString();
  const judgment: Judgment = {
    judgment_id: judgmentId({ eval_id: input.eval_id, pair_id: input.pair_id, reviewer: input.reviewer, judged_at }),
    eval_id: input.eval_id,
    run_id: input.run_id,
    pair_id: input.pair_id,
    picked_real: input.picked_real,
    rating: input.rating,
    reviewer: input.reviewer,
    judged_at,
  };
  await appendJudgment(deps.judgmentsPath, judgment);
  if (!deps.lake) return { judgment, lake_rows: null, lake_error: null };
  try {
    return { judgment, lake_rows: await writeEvalJudgments([judgment], deps.lake), lake_error: null };
  } catch (error) {
    return { judgment, lake_rows: null, lake_error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}
