import { insertNew } from '../../catalog/insert-new.ts';
import type { Lake } from '../../catalog/lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { evalJudgments } from '../../catalog/tables.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import type { StackConfig } from '../../common/stack-config.ts';
import type { Judgment } from './judgments.ts';

/** What a lake write of judgments needs: the stack, a fresh session per write, and a scratch folder. */
export interface JudgmentLake {
  config: StackConfig;
  openLake: () => Promise<Lake>;
  workDir: string;
}

/**
 * Adds judgments to `gold.eval_judgments` through the lake's write lock; rows whose judgment_id is
 * there already are skipped, so re-sending a whole judgments.jsonl writes only what is new.
 * Returns the rows written.
 *
 * @example
 * await writeEvalJudgments(await readJudgments(path), { config, openLake: () => openLake(config), workDir });
 */
export async function writeEvalJudgments(judgments: readonly Judgment[], deps: JudgmentLake): Promise<number> {
  if (!judgments.length) return 0;
  const staged = await stageRows(deps.workDir, judgments, evalJudgments.columns);
  try {
    return await writeLake(deps, (lake) => insertNew(lake, evalJudgments, staged.sql));
  } finally {
    await staged.cleanup();
  }
}
