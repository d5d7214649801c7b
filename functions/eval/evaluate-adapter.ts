import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { SAMPLING } from '../prompt/sampling.ts';
import { toxicityCheckCommand } from './toxicity-check.ts';
import { EvalJobResult, EvalSummary, type EvalProgressEvent } from './eval-events.ts';

export const EvaluateAdapterInput = z.object({
  /** Training run folder (OUT of `dougpt train`, holding adapter/) or a PEFT folder. */
  adapter: z.string().min(1),
  /** Dataset folder (OUT of `dougpt dataset build`). */
  dataset: z.string().min(1),
  split: z.string().regex(/^[A-Za-z0-9_-]+$/).default('test'),
  /** Evaluate this many examples, spread evenly over the split. */
  limit: z.number().int().min(2).optional(),
  /** The promoted adapter's run folder, to compare against and gate regressions on. */
  promoted: z.string().min(1).optional(),
  /** Folder that receives <eval_id>/ (default: <adapter run folder>/eval). */
  out: z.string().min(1).optional(),
  /** Base model name or Hugging Face folder (default: the run's base, else smollm2-135m). */
  base: z.string().min(1).optional(),
  gates: z.string().min(1).optional(),
  banned_phrases: z.string().min(1).optional(),
  seed: z.number().int().nonnegative().optional(),
  max_new_tokens: z.number().int().positive().optional(),
  batch_size: z.number().int().positive().optional(),
  /** Candidates ranked per context, the real reply included (default 100). */
  ranking_candidates: z.number().int().min(2).optional(),
  device: z.enum(['auto', 'cpu', 'cuda']).optional(),
  /** Voice memory index (a dataset's memory.json): rank every context again with its recalled moments. */
  memory: z.string().min(1).optional(),
  /** Moments recalled per context (default: the index's k). */
  memory_k: z.number().int().positive().optional(),
  /**
   * Evaluate every model as served with the memory (every prompt with its recalled moments). Default: yes for
   * an adapter trained with memory (with the index beside it when `memory` is not given), else no.
   */
  serve_memory: z.boolean().optional(),
});
export type EvaluateAdapterInput = z.input<typeof EvaluateAdapterInput>;

/** The runner as this function needs it: `runGpuJob` from functions/gpu-jobs.ts. */
export type RunEvalJob = (options: {
  job: 'eval';
  input: Record<string, unknown>;
  mode: 'process' | 'container';
  signal?: AbortSignal;
  onProgress?: (event: EvalProgressEvent) => void;
}) => Promise<unknown>;

/** The EvalJob JSON the Python side reads (gpu-runner/src/dougpt_gpu/evaluate/job.py); paths made absolute. */
export function toEvalJob(input: z.output<typeof EvaluateAdapterInput>, options: { toxicityCheck?: string[] } = {}): Record<string, unknown> {
  const path = (p: string | undefined) => (p === undefined ? null : resolve(p));
  // The server's sampling (functions/prompt/sampling.json): what is evaluated is what is served.
  const generation: Record<string, unknown> = { temperature: SAMPLING.temperature, top_p: SAMPLING.top_p, top_k: SAMPLING.top_k, stop: SAMPLING.stop };
  if (input.seed !== undefined) generation.seed = input.seed;
  if (input.max_new_tokens !== undefined) generation.max_new_tokens = input.max_new_tokens;
  const job: Record<string, unknown> = {
    dataset: resolve(input.dataset),
    adapter: resolve(input.adapter),
    promoted: path(input.promoted),
    split: input.split,
    limit: input.limit ?? null,
    out: path(input.out),
    gates: path(input.gates),
    banned_phrases: path(input.banned_phrases),
    generation,
    // The server's toxicity guardrail, run by the evaluator (null in a container without node: the fallback check).
    toxicity_check: options.toxicityCheck ?? null,
  };
  // A base given by name stays a name; one given as a folder is made absolute.
  if (input.base !== undefined) job.base = /[/\\]|^\./.test(input.base) ? resolve(input.base) : input.base;
  if (input.batch_size !== undefined) job.batch_size = input.batch_size;
  if (input.ranking_candidates !== undefined) job.ranking_candidates = input.ranking_candidates;
  if (input.device !== undefined) job.device = input.device;
  if (input.memory !== undefined) job.memory = resolve(input.memory);
  if (input.memory_k !== undefined) job.memory_k = input.memory_k;
  if (input.serve_memory !== undefined) job.serve_memory = input.serve_memory;
  return job;
}

/**
 * Evaluates a candidate adapter against the base model (and the promoted adapter) on a held-out split through the
 * Python `eval` job; returns eval.json, validated. Throws RunnerError (kind 'bad-input' for unusable input).
 *
 * @example
 * const summary = await evaluateAdapter({ input: { adapter: 'runs/r1', dataset: 'data/ds1' }, runJob: runGpuJob, mode: 'process' });
 * summary.gates.passed;
 */
export async function evaluateAdapter(args: {
  input: EvaluateAdapterInput;
  runJob: RunEvalJob;
  mode: 'process' | 'container';
  signal?: AbortSignal;
  onProgress?: (event: EvalProgressEvent) => void;
}): Promise<EvalSummary> {
  const input = EvaluateAdapterInput.parse(args.input);
  const result = EvalJobResult.parse(
    await args.runJob({ job: 'eval', input: toEvalJob(input, { toxicityCheck: args.mode === 'process' ? toxicityCheckCommand() : undefined }), mode: args.mode, signal: args.signal, onProgress: args.onProgress }),
  );
  return EvalSummary.parse(JSON.parse(await readFile(result.eval_json, 'utf8')));
}
