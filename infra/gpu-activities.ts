import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGpuJob } from '../functions/gpu-jobs.ts';
import { defaultPython } from '../gpu-runner/worker/run-job.ts';
import { resolveAsrBackend, type ResolveAsrBackendInput } from '../functions/transcribe/resolve-asr-backend.ts';
import { createTranscribeAudioActivity } from '../functions/transcribe/transcribe-audio-activity.ts';
import type { ObjectStore } from '../catalog/object-store.ts';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ZodError } from 'zod';
import { RunnerError } from '../gpu-runner/worker/runner-error.ts';
import { trainAdapter, TrainInputError, type RunTrainJob, type TrainAdapterInput } from '../functions/train/train-adapter.ts';
import { evaluateRun, type EvaluateRunInput } from '../functions/train/evaluate-run.ts';
import type { RunEvalJob } from '../functions/eval/evaluate-adapter.ts';

/** Seconds between "still alive" heartbeats of a model job, progress or not (model loading, GGUF export). */
const ALIVE_MS = 10_000;

/**
 * Runs a model job as an activity: a steady heartbeat with the latest details, bad input as a
 * non-retryable failure, cancellation passed through to the Python process.
 */
async function asModelActivity<T>(work: (ctx: { signal: AbortSignal; heartbeat: (d: Record<string, unknown>) => void; previous: unknown }) => Promise<T>): Promise<T> {
  const context = Context.current();
  let last: Record<string, unknown> = (context.info.heartbeatDetails as Record<string, unknown> | undefined) ?? {};
  const heartbeat = (details: Record<string, unknown>) => {
    last = details;
    context.heartbeat(details);
  };
  const alive = setInterval(() => context.heartbeat(last), ALIVE_MS);
  try {
    return await work({ signal: context.cancellationSignal, heartbeat, previous: context.info.heartbeatDetails });
  } catch (error) {
    if (error instanceof TrainInputError) throw ApplicationFailure.nonRetryable(error.message, 'BadInput');
    if (error instanceof ZodError) throw ApplicationFailure.nonRetryable(`invalid input: ${error.issues[0]?.path.join('.')}: ${error.issues[0]?.message}`, 'BadInput');
    if (error instanceof RunnerError && error.kind === 'bad-input') throw ApplicationFailure.create({ message: error.message, type: 'RunnerBadInput', nonRetryable: true, cause: error });
    if (error instanceof RunnerError && error.kind === 'cancelled' && context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
    throw error;
  } finally {
    clearInterval(alive);
  }
}

/** Object key of a finished transcript: content-addressed, beside the audio it came from. */
export const transcriptKey = (vodId: string, sha256: string): string => `silver/transcripts/${vodId}/${sha256}.json`;

/**
 * The `dougpt-gpu` task queue's activities. They only touch object storage: the transcript goes to
 * the lake as an object, and the `dougpt` queue's `commitTranscript` turns it into rows, so GPU
 * machines need no catalog access.
 */
export function createGpuActivities(deps: { store: ObjectStore; workDir: string; mode?: 'process' | 'container' }) {
  const activity = createTranscribeAudioActivity({
    runJob: runGpuJob,
    mode: deps.mode ?? 'process',
    workDir: deps.workDir,
    async fetchAudio({ audio_key, dir, signal }) {
      const path = join(dir, 'audio.flac');
      await deps.store.getToFile(audio_key, path, signal);
      return path;
    },
    async storeTranscript({ path, vod_id }) {
      const sha = createHash('sha256').update(await readFile(path)).digest('hex');
      const key = transcriptKey(vod_id, sha);
      await deps.store.putFileOnce(key, path, 'application/json');
      return key;
    },
  });
  const mode = deps.mode ?? 'process';
  return {
    /** Trains one adapter from a lake dataset; checkpoints go to the lake, a retry resumes from the newest. */
    trainAdapter: (input: TrainAdapterInput) =>
      asModelActivity((ctx) =>
        trainAdapter(input, { store: deps.store, workDir: deps.workDir, runJob: runGpuJob as unknown as RunTrainJob, mode }, {
          signal: ctx.signal,
          previous: ctx.previous,
          heartbeat: ctx.heartbeat,
          log: (m) => Context.current().log.info(m),
        }),
      ),
    /** Evaluates a run (base vs candidate vs promoted) on its dataset's test split; eval.json and report.html to the lake. */
    evaluateRun: (input: EvaluateRunInput) =>
      asModelActivity((ctx) =>
        evaluateRun(input, { store: deps.store, workDir: deps.workDir, runJob: runGpuJob as unknown as RunEvalJob, mode }, {
          signal: ctx.signal,
          progress: (event) => ctx.heartbeat({ ...event }),
        }),
      ),
    /** The backend and model `auto` (or the given backend) means on this GPU worker; part of the transcription's run id. */
    resolveAsrBackend: (input: ResolveAsrBackendInput) =>
      asModelActivity((ctx) => resolveAsrBackend(input, { python: defaultPython(), signal: ctx.signal })),
    /** Transcribes one VOD's audio; `runtime_ms` is this attempt's wall time, for `silver.asr_runs`. */
    async transcribeAudio(input: Parameters<typeof activity.transcribeAudio>[0]) {
      const started = performance.now();
      const result = await activity.transcribeAudio(input);
      return { ...result, runtime_ms: Math.round(performance.now() - started) };
    },
  };
}
export type GpuActivities = ReturnType<typeof createGpuActivities>;
