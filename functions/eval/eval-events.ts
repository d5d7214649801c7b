import { z } from 'zod';

/** Progress line of the `eval` job: `done` of `total` steps (batches), in `stage`, for `model` (base, adapter, promoted). */
export const EvalProgressEvent = z.object({
  event: z.literal('progress'),
  stage: z.enum(['load', 'score', 'report']),
  model: z.string().nullable(),
  done: z.number().int().nonnegative(),
  total: z.number().int().positive(),
});
export type EvalProgressEvent = z.infer<typeof EvalProgressEvent>;

/** Result line of the `eval` job: where eval.json and report.html are, and the verdict. */
export const EvalJobResult = z.object({
  event: z.literal('result'),
  eval_id: z.string().regex(/^eval-[0-9a-f]{12}$/),
  out: z.string(),
  eval_json: z.string(),
  report: z.string(),
  passed: z.boolean(),
  failures: z.number().int().nonnegative(),
  n_examples: z.number().int().positive(),
  elapsed_s: z.number().nonnegative(),
});
export type EvalJobResult = z.infer<typeof EvalJobResult>;

/** One side's metrics (nan is written as null). */
export const EvalMetrics = z.record(z.string(), z.number().nullable());
export type EvalMetrics = z.infer<typeof EvalMetrics>;

export const GateOutcome = z.object({
  gate: z.string(),
  metric: z.string(),
  op: z.enum(['<=', '<', '>=', '>']),
  against: z.enum(['value', 'base', 'real', 'promoted']),
  candidate: z.number().nullable(),
  reference: z.number().nullable(),
  limit: z.number().nullable(),
  passed: z.boolean().nullable(),
  message: z.string(),
});
export type GateOutcome = z.infer<typeof GateOutcome>;

/**
 * eval.json: what `dougpt eval --json` prints (gpu-runner/src/dougpt_gpu/evaluate/run.py writes it). The fields
 * below are checked; the rest (provenance, sampling options) pass through unchanged.
 */
export const EvalSummary = z.looseObject({
  eval_id: z.string(),
  base: EvalMetrics,
  adapter: EvalMetrics,
  promoted: EvalMetrics.nullable(),
  real: EvalMetrics,
  gates: z.object({
    passed: z.boolean(),
    failures: z.array(GateOutcome),
    checked: z.array(GateOutcome),
    skipped: z.array(GateOutcome),
    version: z.string(),
  }),
  n_examples: z.number().int().positive(),
  split: z.string(),
  report: z.string(),
  dataset_id: z.string(),
  adapter_path: z.string(),
  adapter_run_id: z.string().nullable(),
  promoted_path: z.string().nullable(),
  base_model: z.string(),
  elapsed_s: z.number(),
  timings: z.record(z.string(), z.number()),
});
export type EvalSummary = z.infer<typeof EvalSummary>;
