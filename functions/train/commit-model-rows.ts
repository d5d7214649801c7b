import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { evalResults, promotions, qualifiedName, trainingRuns, type TableDef } from '../../catalog/tables.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import type { LakeDeps } from '../deps.ts';
import { EvalSummary, type EvalMetrics } from '../eval/eval-events.ts';
import { adapterPrefix } from './train-adapter.ts';

/** run.json as the train job writes it (the fields the lake keeps). */
const RunRecord = z.object({
  run_id: z.string(),
  dataset_id: z.string(),
  base: z.object({ name: z.string().nullable().optional(), sha256: z.string().nullable().optional() }),
  preset: z.string(),
  config: z.record(z.string(), z.unknown()),
  config_hash: z.string(),
  seed: z.number().int(),
  libraries: z.record(z.string(), z.string().nullable()),
  steps: z.number().int(),
  losses: z.array(z.object({ step: z.number(), loss: z.number() })),
  loss_first: z.number().nullable(),
  loss_last: z.number().nullable(),
  tokens_per_s: z.number().nullable(),
  resumed_from: z.string().nullable().optional(),
  prompt_spec: z.object({ sha256: z.string().optional() }).passthrough().nullable().optional(),
  created_at: z.string(),
});

async function readObjectJson(deps: LakeDeps, key: string, dir: string): Promise<unknown> {
  const path = join(dir, createHash('sha256').update(key).digest('hex').slice(0, 16));
  await deps.store.getToFile(key, path);
  return JSON.parse(await readFile(path, 'utf8'));
}

async function insertRows(deps: LakeDeps, table: TableDef, rows: Record<string, unknown>[], dir: string): Promise<number> {
  const staged = await stageRows(dir, rows, table.columns);
  try {
    return await writeLake(deps, (lake) => insertNew(lake, table, staged.sql));
  } finally {
    await staged.cleanup();
  }
}

async function withScratch<T>(deps: LakeDeps, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(deps.workDir, 'model-rows', `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  await mkdir(dir, { recursive: true });
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `gold.training_runs` ← the run's run.json in object storage. Keyed by run id: a re-run writes nothing. */
export async function commitTrainingRun(input: { run_id: string; resumed_from_step?: number | null }, deps: LakeDeps): Promise<{ rows_written: number }> {
  return withScratch(deps, async (dir) => {
    const record = RunRecord.parse(await readObjectJson(deps, `${adapterPrefix(input.run_id)}run.json`, dir));
    const row = {
      run_id: record.run_id,
      dataset_id: record.dataset_id,
      base_model: record.base.name ?? null,
      base_sha256: record.base.sha256 ?? null,
      preset: record.preset,
      config: JSON.stringify(record.config),
      config_hash: record.config_hash,
      seed: record.seed,
      library_versions: JSON.stringify(record.libraries),
      steps: record.steps,
      loss_first: record.loss_first,
      loss_last: record.loss_last,
      losses: JSON.stringify(record.losses),
      tokens_per_s: record.tokens_per_s,
      resumed_from_step: input.resumed_from_step ?? null,
      adapter_key: adapterPrefix(record.run_id),
      prompt_spec_sha256: record.prompt_spec?.sha256 ?? null,
      finished_at: record.created_at,
    };
    return { rows_written: await insertRows(deps, trainingRuns, [row], dir) };
  });
}

/** `gold.eval_results` ← eval.json: one row per side (base, adapter, promoted, real), the verdict on each. */
export async function commitEvalResults(
  input: { run_id: string; eval_key: string; report_key: string },
  deps: LakeDeps,
): Promise<{ rows_written: number }> {
  return withScratch(deps, async (dir) => {
    const summary = EvalSummary.parse(await readObjectJson(deps, input.eval_key, dir));
    const sides: Array<[string, EvalMetrics | null]> = [
      ['base', summary.base],
      ['adapter', summary.adapter],
      ['promoted', summary.promoted],
      ['real', summary.real],
    ];
    const created_at = new Date().toISOString();
    const rows = sides
      .filter(([, metrics]) => metrics !== null)
      .map(([model, metrics]) => ({
        eval_id: summary.eval_id,
        run_id: input.run_id,
        dataset_id: summary.dataset_id,
        split: summary.split,
        model,
        model_run_id: model === 'adapter' ? input.run_id : null,
        n_examples: summary.n_examples,
        metrics: JSON.stringify(metrics),
        gates_passed: summary.gates.passed,
        gate_failures: JSON.stringify(summary.gates.failures.map((f) => f.message)),
        report_key: input.report_key,
        created_at,
      }));
    return { rows_written: await insertRows(deps, evalResults, rows, dir) };
  });
}

/** The newest evaluation verdict of a run, or null when it was never evaluated. */
export async function latestEvalVerdict(input: { run_id: string }, deps: LakeDeps): Promise<{ eval_id: string; passed: boolean; failures: string[]; report_key: string | null } | null> {
  const lake = await deps.openLake();
  try {
    const [row] = await lake.all(
      `SELECT eval_id, gates_passed, gate_failures, report_key FROM ${LAKE}.${qualifiedName(evalResults)}
       WHERE run_id = ${sqlString(input.run_id)} AND model = 'adapter' ORDER BY created_at DESC, eval_id LIMIT 1`,
    );
    if (!row) return null;
    return { eval_id: String(row.eval_id), passed: row.gates_passed === true, failures: JSON.parse(String(row.gate_failures ?? '[]')) as string[], report_key: row.report_key === null ? null : String(row.report_key) };
  } finally {
    lake.close();
  }
}

export const PromotionRow = z.object({
  action: z.enum(['promote', 'rollback', 'refused']),
  run_id: z.string().nullable(),
  from_run_id: z.string().nullable(),
  who: z.string(),
  note: z.string().nullable(),
  forced: z.boolean(),
  gates_passed: z.boolean().nullable(),
  reason: z.string().nullable(),
  /** The registry's decision number: with its workflow id, the row's key, so a retried write adds nothing. */
  decision: z.number().int().nonnegative(),
  registry_id: z.string().default('adapters'),
});
export type PromotionRow = z.infer<typeof PromotionRow>;

/** One row of `gold.promotions` for every promote, rollback and refusal. */
export async function recordPromotion(raw: z.input<typeof PromotionRow>, deps: LakeDeps): Promise<{ promotion_id: string; rows_written: number; at: string }> {
  const { decision, registry_id, ...row } = PromotionRow.parse(raw);
  const promotion_id = `${registry_id}/${decision}`;
  const at = new Date().toISOString();
  return withScratch(deps, async (dir) => ({ promotion_id, at, rows_written: await insertRows(deps, promotions, [{ promotion_id, ...row, decided_at: at }], dir) }));
}

/** Whether a run was committed to `gold.training_runs` (only those can be promoted). */
export async function trainingRunExists(input: { run_id: string }, deps: LakeDeps): Promise<boolean> {
  const lake = await deps.openLake();
  try {
    const rows = await lake.all(`SELECT 1 FROM ${LAKE}.${qualifiedName(trainingRuns)} WHERE run_id = ${sqlString(input.run_id)} LIMIT 1`);
    return rows.length > 0;
  } finally {
    lake.close();
  }
}

/**
 * The promoted run as the `gold.promotions` log says: promotes push, rollbacks pop. The registry
 * workflow holds the same state; this reading lets activities and audits follow it without a client.
 */
export async function currentPromotedRun(_input: Record<string, never>, deps: LakeDeps): Promise<string | null> {
  const lake = await deps.openLake();
  try {
    const rows = await lake.all(
      `SELECT action, run_id FROM ${LAKE}.${qualifiedName(promotions)} WHERE action <> 'refused' ORDER BY decided_at, promotion_id`,
    );
    const stack: string[] = [];
    for (const row of rows) {
      if (row.action === 'promote' && row.run_id) stack.push(String(row.run_id));
      else if (row.action === 'rollback') stack.pop();
    }
    return stack.at(-1) ?? null;
  } finally {
    lake.close();
  }
}
