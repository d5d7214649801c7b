import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { ObjectStore } from '../../catalog/object-store.ts';
import { datasetPrefix } from '../dataset/build-lake-dataset.ts';
import { evaluateAdapter, type RunEvalJob } from '../eval/evaluate-adapter.ts';
import type { EvalProgressEvent } from '../eval/eval-events.ts';
import { adapterPrefix, downloadPrefix, TrainInputError, uploadDir } from './train-adapter.ts';

export const EvaluateRunInput = z.object({
  run_id: z.string().regex(/^[0-9a-f]{8,64}$/),
  dataset_id: z.string().regex(/^ds-[0-9a-f]+$/),
  split: z.string().default('test'),
  /** The adapter promoted now, to compare against and gate regressions on. */
  promoted_run_id: z.string().regex(/^[0-9a-f]{8,64}$/).nullable().default(null),
  limit: z.number().int().min(2).optional(),
  /** Candidates per context in the ranking test (the eval job's default: 100). */
  ranking_candidates: z.number().int().min(2).optional(),
  /** The run's blind human judgments from the lake (stageRunJudgments), for the report; null or absent: none. */
  judgments_key: z.string().min(1).nullable().optional(),
});
export type EvaluateRunInput = z.input<typeof EvaluateRunInput>;

export interface EvaluateRunOutput {
  eval_id: string;
  run_id: string;
  passed: boolean;
  /** One line per failed gate, with both numbers. */
  failures: string[];
  eval_key: string;
  report_key: string;
  n_examples: number;
}

export const evalPrefix = (runId: string, evalId: string) => `${adapterPrefix(runId)}eval/${evalId}/`;

/**
 * `evaluateAdapter` on the `dougpt-gpu` queue: fetches the run, its dataset and the promoted run from the
 * lake, runs the eval job on the held-out split and stores eval.json and report.html beside the adapter.
 */
export async function evaluateRun(
  raw: EvaluateRunInput,
  deps: { store: ObjectStore; workDir: string; runJob: RunEvalJob; mode: 'process' | 'container' },
  ctx: { signal?: AbortSignal; progress?: (event: EvalProgressEvent) => void } = {},
): Promise<EvaluateRunOutput> {
  const input = EvaluateRunInput.parse(raw);
  const dir = join(deps.workDir, 'eval', `${input.run_id}-${input.promoted_run_id ?? 'none'}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    const run = join(dir, 'run');
    const dataset = join(dir, 'dataset');
    await downloadPrefix(deps.store, adapterPrefix(input.run_id), run, ctx.signal);
    await downloadPrefix(deps.store, datasetPrefix(input.dataset_id), dataset, ctx.signal);
    if (!existsSync(join(run, 'adapter'))) throw new TrainInputError(`run ${input.run_id}: no adapter under ${adapterPrefix(input.run_id)}`);
    if (!existsSync(join(dataset, 'dataset.json'))) throw new TrainInputError(`dataset ${input.dataset_id}: no export under ${datasetPrefix(input.dataset_id)}`);
    // The eval job summarises every `*/judgments.jsonl` beside its own folder (as under a local adapter's eval/).
    if (input.judgments_key) {
      await mkdir(join(dir, 'out', 'lake-judgments'), { recursive: true });
      await deps.store.getToFile(input.judgments_key, join(dir, 'out', 'lake-judgments', 'judgments.jsonl'), ctx.signal);
    }
    let promoted: string | undefined;
    if (input.promoted_run_id && input.promoted_run_id !== input.run_id) {
      promoted = join(dir, 'promoted');
      await downloadPrefix(deps.store, adapterPrefix(input.promoted_run_id), promoted, ctx.signal);
    }
    const summary = await evaluateAdapter({
      input: {
        adapter: run,
        dataset,
        split: input.split,
        out: join(dir, 'out'),
        ...(promoted ? { promoted } : {}),
        ...(input.limit ? { limit: input.limit } : {}),
        ...(input.ranking_candidates ? { ranking_candidates: input.ranking_candidates } : {}),
      },
      runJob: deps.runJob,
      mode: deps.mode,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    const evalDir = dirname(summary.report);
    const key = evalPrefix(input.run_id, summary.eval_id);
    await uploadDir(deps.store, evalDir, key);
    return {
      eval_id: summary.eval_id,
      run_id: input.run_id,
      passed: summary.gates.passed,
      failures: summary.gates.failures.map((f) => f.message),
      eval_key: `${key}eval.json`,
      report_key: `${key}report.html`,
      n_examples: summary.n_examples,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
