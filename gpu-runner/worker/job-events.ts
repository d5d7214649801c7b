import { z } from 'zod';

// The line protocol every `python -m dougpt_gpu <job>` speaks: JSON lines on stdout, the last one the
// result (`event: 'result'`) or an error. Which other lines a job prints, and its result's fields, are
// the job's own: functions/gpu-jobs.ts registers each job's schemas.

export const ErrorEvent = z.object({
  event: z.literal('error'),
  kind: z.enum(['bad-input', 'failed']),
  message: z.string(),
});
export type ErrorEvent = z.infer<typeof ErrorEvent>;

/** A job's lines: its result line, and every other line it prints (progress, checkpoints …). */
export interface JobSchemas<P, R> {
  progress: z.ZodType<P>;
  result: z.ZodType<R>;
}

/**
 * Any line a job may print, validated before use.
 *
 * @example
 * parseJobLine({ progress: ProgressEvent, result: TranscribeResult }, JSON.parse(line))
 */
export function parseJobLine<P, R>(schemas: JobSchemas<P, R>, value: unknown): P | ErrorEvent | R {
  return z.union([schemas.progress, ErrorEvent, schemas.result]).parse(value) as P | ErrorEvent | R;
}
