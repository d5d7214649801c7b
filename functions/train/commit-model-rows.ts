import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { datasets, evalResults, promotions, qualifiedName, trainingRuns, type TableDef } from '../../catalog/tables.ts';
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
  input: { run_id: string; eval_key: string; report_key: string; promoted_run_id?: string | null },
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
        model_run_id: model === 'adapter' ? input.run_id : model === 'promoted' ? (input.promoted_run_id ?? null) : null,
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

/** A run's evaluation verdict, and why it cannot decide a promotion when it cannot. */
export interface EvalVerdict {
  eval_id: string;
  passed: boolean;
  failures: string[];
  report_key: string | null;
  /**
   * Set when no verdict qualifies: one computed on the full test split of the run's own dataset, against the
   * adapter promoted now (or none). The newest verdict is returned with the reason.
   */
  disqualified?: string | null;
}

/**
 * The verdict that decides whether `run_id` may be promoted: the newest evaluation of the run on the whole
 * test split of its own dataset against `promoted_run_id` (the adapter promoted now; null: none). When no
 * evaluation qualifies, the newest one with `disqualified` saying why (a validation split, a `--limit`,
 * another dataset, another promoted adapter). Null when the run was never evaluated. Without
 * `promoted_run_id` in the input, the newest verdict as it is (older callers).
 */
export async function latestEvalVerdict(input: { run_id: string; promoted_run_id?: string | null }, deps: LakeDeps): Promise<EvalVerdict | null> {
  const lake = await deps.openLake();
  try {
    const rows = await lake.all(
      `SELECT a.eval_id, a.gates_passed, a.gate_failures, a.report_key, a.split, a.n_examples, a.dataset_id,
              p.eval_id IS NOT NULL AS had_promoted, p.model_run_id AS against, r.dataset_id AS run_dataset,
              TRY_CAST(json_extract_string(d.counts, '$.splits.test') AS BIGINT) AS test_rows
       FROM ${LAKE}.${qualifiedName(evalResults)} a
       LEFT JOIN ${LAKE}.${qualifiedName(evalResults)} p ON p.eval_id = a.eval_id AND p.model = 'promoted'
       LEFT JOIN ${LAKE}.${qualifiedName(trainingRuns)} r ON r.run_id = a.run_id
       LEFT JOIN ${LAKE}.${qualifiedName(datasets)} d ON d.dataset_id = r.dataset_id
       WHERE a.run_id = ${sqlString(input.run_id)} AND a.model = 'adapter' ORDER BY a.created_at DESC, a.eval_id`,
    );
    if (rows.length === 0) return null;
    const verdict = (row: (typeof rows)[number], disqualified?: string | null): EvalVerdict => ({
      eval_id: String(row.eval_id),
      passed: row.gates_passed === true,
      failures: JSON.parse(String(row.gate_failures ?? '[]')) as string[],
      report_key: row.report_key === null ? null : String(row.report_key),
      ...(disqualified === undefined ? {} : { disqualified }),
    });
    if (!('promoted_run_id' in input)) return verdict(rows[0]!);
    const against = input.promoted_run_id ?? null;
    const why = (row: (typeof rows)[number]): string | null => {
      const id = String(row.eval_id);
      if (row.split !== 'test') return `${id} is on the ${String(row.split)} split, not test`;
      if (row.run_dataset !== null && row.dataset_id !== row.run_dataset) return `${id} is on dataset ${String(row.dataset_id)}, the run trained on ${String(row.run_dataset)}`;
      if (row.test_rows !== null && Number(row.n_examples) !== Number(row.test_rows)) return `${id} scored ${Number(row.n_examples)} of the ${Number(row.test_rows)} test examples (a --limit)`;
      if (row.had_promoted === true && row.against === null) return `${id} compared against a promoted adapter it did not record`;
      const was = row.against === null ? null : String(row.against);
      if (was !== against) return `${id} compared against ${was === null ? 'no promoted adapter' : `run ${was}`}, but ${against === null ? 'none is promoted now' : `run ${against} is promoted now`}`;
      return null;
    };
    const qualifying = rows.find((row) => why(row) === null);
    return qualifying ? verdict(qualifying, null) : verdict(rows[0]!, `no verdict on the full test split against the adapter promoted now: ${why(rows[0]!)}`);
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
