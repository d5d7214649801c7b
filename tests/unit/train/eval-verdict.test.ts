import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNew } from '../../../catalog/insert-new.ts';
import { datasets, evalResults, trainingRuns } from '../../../catalog/tables.ts';
import { writeLake } from '../../../catalog/write-lake.ts';
import { latestEvalVerdict } from '../../../functions/train/commit-model-rows.ts';
import { memoryLakeDeps, type MemoryLakeDeps } from '../align/memory-lake.ts';

let deps: MemoryLakeDeps;
let clock = 0;

async function evalRow(evalId: string, o: { split?: string; n?: number; dataset?: string; promoted?: string | null; passed?: boolean }): Promise<void> {
  const at = `TIMESTAMPTZ '2026-01-01 00:00:${String(clock++).padStart(2, '0')}+00'`;
  const row = (model: string, modelRunId: string | null) =>
    `SELECT '${evalId}' eval_id, 'r1' run_id, '${o.dataset ?? 'ds-1'}' dataset_id, '${o.split ?? 'test'}' split, '${model}' model, ` +
    `${modelRunId === null ? 'NULL' : `'${modelRunId}'`} model_run_id, ${o.n ?? 53}::BIGINT n_examples, '{}' metrics, ${o.passed ?? true} gates_passed, '[]' gate_failures, NULL report_key, ${at} created_at`;
  const rows = [row('adapter', 'r1'), ...(o.promoted === undefined ? [] : [row('promoted', o.promoted)])];
  await writeLake(deps, (lake) => insertNew(lake, evalResults, rows.join(' UNION ALL ')));
}

describe('the verdict that decides a promotion', () => {
  beforeAll(async () => {
    deps = await memoryLakeDeps();
    await writeLake(deps, async (lake) => {
      await insertNew(lake, datasets, `SELECT 'ds-1' dataset_id, 'block' split_by, '' split_rule, 'v' prompt_spec_version, 's' prompt_spec_sha256, '{}' config, '[]' sources, '{"splits":{"train":800,"validation":50,"test":53}}' counts, 1 vods, 903::BIGINT examples, 0 opt_out_logins, 0::BIGINT opt_out_removed, 'k' export_key, '' card, now() created_at`);
      const columns = trainingRuns.columns.map(([name, type]) => (name === 'run_id' ? `'r1' run_id` : name === 'dataset_id' ? `'ds-1' dataset_id` : `NULL::${type} "${name}"`));
      await insertNew(lake, trainingRuns, `SELECT ${columns.join(', ')}`);
    });
  });
  afterAll(() => deps?.dispose());

  it('is null for a run never evaluated, and each disqualifying reason is named', async () => {
    expect(await latestEvalVerdict({ run_id: 'r1', promoted_run_id: null }, deps)).toBeNull();
    await evalRow('eval-limit', { n: 40 });
    expect((await latestEvalVerdict({ run_id: 'r1', promoted_run_id: null }, deps))?.disqualified).toContain('40 of the 53 test examples');
    await evalRow('eval-valid', { split: 'validation', n: 50 });
    expect((await latestEvalVerdict({ run_id: 'r1', promoted_run_id: null }, deps))?.disqualified).toContain('validation split');
    await evalRow('eval-other-ds', { dataset: 'ds-2' });
    expect((await latestEvalVerdict({ run_id: 'r1', promoted_run_id: null }, deps))?.disqualified).toContain('dataset ds-2');
    // Older callers (no promoted_run_id): the newest verdict as it is.
    expect(await latestEvalVerdict({ run_id: 'r1' }, deps)).toMatchObject({ eval_id: 'eval-other-ds' });
  });

  it('takes the newest evaluation on the full test split against the adapter promoted now', async () => {
    await evalRow('eval-full-none', { passed: false });
    await evalRow('eval-full-p9', { promoted: 'p9' });
    // Nothing promoted now: the full-split verdict computed against nothing, even though a newer one exists.
    expect(await latestEvalVerdict({ run_id: 'r1', promoted_run_id: null }, deps)).toMatchObject({ eval_id: 'eval-full-none', passed: false, disqualified: null });
    expect(await latestEvalVerdict({ run_id: 'r1', promoted_run_id: 'p9' }, deps)).toMatchObject({ eval_id: 'eval-full-p9', passed: true, disqualified: null });
    const other = await latestEvalVerdict({ run_id: 'r1', promoted_run_id: 'p7' }, deps);
    expect(other?.disqualified).toContain('run p9, but run p7 is promoted now');
  });
});
