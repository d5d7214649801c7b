import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { evalJudgments, qualifiedName } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';
import { Judgment } from '../judge/judgments.ts';
import { adapterPrefix } from './train-adapter.ts';

export const StageRunJudgmentsInput = z.object({ run_id: z.string().regex(/^[0-9a-f]{8,64}$/) });
export type StageRunJudgmentsInput = z.input<typeof StageRunJudgmentsInput>;

export interface StageRunJudgmentsOutput {
  /** `gold/adapters/<run_id>/judgments/<sha256>.jsonl`, or null when no one has judged the run yet. */
  key: string | null;
  judgments: number;
}

/**
 * The blind human judgments of a run's earlier evaluations, for its next evaluation report. `dougpt judge
 * --lake` writes them to `gold.eval_judgments`; this copies the run's rows, as the judgments.jsonl lines
 * `dougpt judge` writes, to one content-addressed object that `evaluateRun` puts beside the new evaluation.
 *
 * @example
 * await stageRunJudgments({ run_id: '0123456789abcdef' }, deps);
 * // { key: 'gold/adapters/0123456789abcdef/judgments/3f…a1.jsonl', judgments: 30 }
 */
export async function stageRunJudgments(raw: StageRunJudgmentsInput, deps: LakeDeps): Promise<StageRunJudgmentsOutput> {
  const input = StageRunJudgmentsInput.parse(raw);
  const lake = await deps.openLake();
  let rows: Record<string, unknown>[];
  try {
    rows = await lake.all(`
      SELECT judgment_id, eval_id, run_id, pair_id, picked_real, rating, reviewer,
             strftime(judged_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS judged_at
      FROM ${LAKE}.${qualifiedName(evalJudgments)} WHERE run_id = ${sqlString(input.run_id)}
      ORDER BY judged_at, judgment_id`);
  } finally {
    lake.close();
  }
  if (rows.length === 0) return { key: null, judgments: 0 };
  const text = rows.map((row) => `${JSON.stringify(Judgment.parse({ ...row, rating: Number(row.rating) }))}\n`).join('');
  const key = `${adapterPrefix(input.run_id)}judgments/${createHash('sha256').update(text).digest('hex')}.jsonl`;
  const dir = join(deps.workDir, 'judgments', `${input.run_id}-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  try {
    const path = join(dir, 'judgments.jsonl');
    await writeFile(path, text);
    await deps.store.putFileOnce(key, path, 'application/x-ndjson');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { key, judgments: rows.length };
}
