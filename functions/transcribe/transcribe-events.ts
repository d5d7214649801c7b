import { z } from 'zod';

// The lines `python -m dougpt_gpu transcribe` prints (gpu-runner/src/dougpt_gpu/transcribe/).

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
