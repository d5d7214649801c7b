import { z } from 'zod';
import { EvalJobResult, EvalProgressEvent } from '../../functions/eval/eval-events.ts';
import { TrainJobEvent, TrainRunResult } from '../../functions/train/train-events.ts';

/** Progress line: `finished_chunks` chunks are saved, `chunk` is being decoded; times on the audio timeline. */
export const ProgressEvent = z.object({
  event: z.literal('progress'),
  done_ms: z.number().int().nonnegative(),
  total_ms: z.number().int().positive(),
  chunk: z.number().int().nonnegative(),
  chunks: z.number().int().positive(),
  finished_chunks: z.number().int().nonnegative(),
});
export type ProgressEvent = z.infer<typeof ProgressEvent>;

export const TranscribeResult = z.object({
  event: z.literal('result'),
  out: z.string(),
  backend: z.string(),
  model: z.string().nullable(),
  words: z.number().int().nonnegative(),
  segments: z.number().int().nonnegative(),
  duration_ms: z.number().int().positive(),
  chunks: z.number().int().positive(),
  resumed_chunks: z.number().int().nonnegative(),
  elapsed_s: z.number().nonnegative(),
  rtf: z.number().nonnegative(),
  /** Processes that decoded chunks (1: the job's own). */
  workers: z.number().int().positive().optional(),
  /** Largest resident set of the job's process, and of any one chunk worker process (MiB). */
  peak_rss_mb: z.number().nonnegative().optional(),
  peak_rss_worker_mb: z.number().nonnegative().optional(),
  /** The model file's sha256 (faster-whisper). */
  model_sha256: z.string().nullable().optional(),
});
export type TranscribeResult = z.infer<typeof TranscribeResult>;

export const ErrorEvent = z.object({
  event: z.literal('error'),
  kind: z.enum(['bad-input', 'failed']),
  message: z.string(),
});
export type ErrorEvent = z.infer<typeof ErrorEvent>;

/** Each job's result line; a new job adds its entry here, in JOB_PROGRESS and in `python -m dougpt_gpu`. */
export const JOB_RESULTS = {
  transcribe: TranscribeResult,
  eval: EvalJobResult,
  train: TrainRunResult,
} as const;
/** Each job's other lines (progress, checkpoints …): everything but `result` and `error`. */
export const JOB_PROGRESS = {
  transcribe: ProgressEvent,
  eval: EvalProgressEvent,
  train: TrainJobEvent,
} as const;
export type JobName = keyof typeof JOB_RESULTS;
export type JobResult<J extends JobName> = z.infer<(typeof JOB_RESULTS)[J]>;
export type JobProgress<J extends JobName> = z.infer<(typeof JOB_PROGRESS)[J]>;

/** Any line a job may print, validated before use. */
export function parseJobLine<J extends JobName>(job: J, value: unknown): JobProgress<J> | ErrorEvent | JobResult<J> {
  const line = z.union([JOB_PROGRESS[job], ErrorEvent, JOB_RESULTS[job]]).parse(value);
  return line as JobProgress<J> | ErrorEvent | JobResult<J>;
}
