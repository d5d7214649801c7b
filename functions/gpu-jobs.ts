import type { z } from 'zod';
import { runJob, type RunJobOptions } from '../gpu-runner/worker/run-job.ts';
import { EvalJobResult, EvalProgressEvent } from './eval/eval-events.ts';
import { TrainJobEvent, TrainRunResult } from './train/train-events.ts';
import { ProgressEvent, TranscribeResult } from './transcribe/transcribe-events.ts';

/**
 * The Python jobs of `python -m dougpt_gpu` and the lines each prints. A new job adds its entry here and
 * in `gpu-runner/src/dougpt_gpu/__main__.py`; the runner (gpu-runner/worker/) knows none of them by name.
 */
export const JOB_SCHEMAS = {
  transcribe: { progress: ProgressEvent, result: TranscribeResult },
  eval: { progress: EvalProgressEvent, result: EvalJobResult },
  train: { progress: TrainJobEvent, result: TrainRunResult },
} as const;
export type JobName = keyof typeof JOB_SCHEMAS;
export type JobResult<J extends JobName> = z.infer<(typeof JOB_SCHEMAS)[J]['result']>;
export type JobProgress<J extends JobName> = z.infer<(typeof JOB_SCHEMAS)[J]['progress']>;

export type RunGpuJobOptions<J extends JobName> = Omit<RunJobOptions<JobProgress<J>, JobResult<J>>, 'job' | 'schemas'> & { job: J };

/**
 * Runs one registered job with its own line schemas (see `runJob` for modes, progress and cancelling).
 *
 * @example
 * const result = await runGpuJob({ job: 'transcribe', input: { audio, out }, mode: 'process', onProgress: console.log });
 */
export function runGpuJob<J extends JobName>(options: RunGpuJobOptions<J>): Promise<JobResult<J>> {
  const schemas = JOB_SCHEMAS[options.job] as unknown as RunJobOptions<JobProgress<J>, JobResult<J>>['schemas'];
  return runJob({ ...options, schemas });
}
