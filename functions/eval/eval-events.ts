import { z } from 'zod';

/** Progress line of the `eval` job: `done` of `total` steps (batches), in `stage`, for `model` (base, adapter, promoted). */
export const EvalProgressEvent = z.object({
  event: z.literal('progress'),
  stage: z.enum(['load', 'score', 'rank', 'report']),
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

/** A 95% bootstrap interval over contexts, [low, high]; null when there were too few contexts. */
export const Interval = z.tuple([z.number(), z.number()]).nullable();
export type Interval = z.infer<typeof Interval>;

/**
 * Where the real reply lands among its context's candidates (the real one and distractors from the training
 * split): recall at 1/5/10, mean reciprocal rank, mean rank, over `n` contexts of `n_candidates` candidates.
 * Random ranking gives R@10 = 10 / n_candidates.
 */
export const RankingMetrics = z.object({
  r_at_1: z.number().min(0).max(1).nullable(),
  r_at_5: z.number().min(0).max(1).nullable(),
  r_at_10: z.number().min(0).max(1).nullable(),
  mrr: z.number().min(0).max(1).nullable(),
  mean_rank: z.number().min(1).nullable(),
  n: z.number().int().nonnegative(),
  n_candidates: z.number().int().nonnegative(),
  r_at_10_ci95: Interval,
});
export type RankingMetrics = z.infer<typeof RankingMetrics>;

/**
 * One side's metrics (nan is written as null): numbers, their intervals (`<metric>_ci95`) and, for the models,
 * the candidate rankings with the context, after an empty streamer turn, and by their difference (PMI).
 */
export const EvalMetrics = z
  .object({
    ranking: RankingMetrics.optional(),
    ranking_no_context: RankingMetrics.optional(),
    ranking_pmi: RankingMetrics.optional(),
    contextual_lift_ci95: Interval.optional(),
    classifier_accuracy_ci95: Interval.optional(),
    /** Lift and ranking per alignment tier of the test pairs (keys: "0", "1", "2"). */
    by_tier: z
      .record(
        z.string(),
        z.object({
          n: z.number().int().nonnegative(),
          contextual_lift: z.number().nullable(),
          contextual_lift_ci95: Interval,
          ranking: RankingMetrics,
          ranking_no_context: RankingMetrics,
        }),
      )
      .optional(),
  })
  .catchall(z.number().nullable());
export type EvalMetrics = z.infer<typeof EvalMetrics>;

/** A side's plain number `metric` (null when missing, nan, or not a number such as a ranking). */
export function metricValue(metrics: EvalMetrics | null | undefined, metric: string): number | null {
  const value: unknown = metrics?.[metric];
  return typeof value === 'number' ? value : null;
}

export const GateOutcome = z.object({
  gate: z.string(),
  metric: z.string(),
  op: z.enum(['<=', '<', '>=', '>']),
  against: z.enum(['value', 'base', 'real', 'promoted', 'self']),
  candidate: z.number().nullable(),
  reference: z.number().nullable(),
  limit: z.number().nullable(),
  passed: z.boolean().nullable(),
  message: z.string(),
  /** The candidate number's 95% interval, when it has one. */
  interval: Interval.optional(),
});
export type GateOutcome = z.infer<typeof GateOutcome>;

/**
 * eval.json: what `dougpt eval --json` prints (gpu-runner/src/dougpt_gpu/evaluate/run.py writes it). The fields
 * below are checked; the rest (provenance, sampling options) pass through unchanged.
 */
/**
 * eval.json's `memory` (with `--memory`, or for an adapter trained with memory): each model's ranking with
 * recalled moments and its gain over ranking without them. `served`: every figure of the evaluation is with
 * memory, as the server serves such an adapter.
 */
export const MemoryEvalSection = z.object({
  index: z.object({ rule: z.string(), sha256: z.string(), dataset_id: z.string(), entries: z.number().int(), exclude_ms: z.number() }),
  k: z.number().int(),
  served: z.boolean().default(false),
  examples_with_memory: z.number().int(),
  mean_recalled: z.number(),
  retrieval_ms: z.object({ p50: z.number(), p95: z.number(), max: z.number() }),
  sides: z.record(
    z.string(),
    z.looseObject({ ranking: RankingMetrics, r_at_10_gain: z.number(), r_at_10_gain_ci95: Interval, mrr_gain: z.number(), mrr_gain_ci95: Interval }),
  ),
  default_on: z.object({ meets_bar: z.boolean(), rule: z.string() }),
});
export type MemoryEvalSection = z.infer<typeof MemoryEvalSection>;

export const EvalSummary = z.looseObject({
  eval_id: z.string(),
  base: EvalMetrics,
  adapter: EvalMetrics,
  promoted: EvalMetrics.nullable(),
  real: EvalMetrics,
  /** The candidate's contextual lift minus the base's, with a paired bootstrap interval over contexts. */
  lift_vs_base: z.object({ value: z.number().nullable(), ci95: Interval }),
  /** Ranking by training frequency: the context-blind reference. */
  popularity: z.object({ ranking: RankingMetrics }),
  random: z.object({ ranking: RankingMetrics }),
  ranking_candidates: z.number().int().min(2),
  /** Which classifier counted toxicity: the server's guardrail (the pipeline) or alt-profanity-check (no node). */
  toxicity_check: z.enum(['serving-guardrail', 'alt-profanity-check']).optional(),
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
  memory: MemoryEvalSection.optional(),
});
export type EvalSummary = z.infer<typeof EvalSummary>;
