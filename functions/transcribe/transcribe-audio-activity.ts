import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { RunnerError } from '../../gpu-runner/worker/runner-error.ts';
import type { runGpuJob } from '../gpu-jobs.ts';
import { transcribeAudio, type TranscribeAudioOutput } from './transcribe-audio.ts';

export const TranscribeAudioActivityInput = z.object({
  vod_id: z.string().min(1),
  /** Lake key of the audio (silver/audio/<vod_id>/<sha256>.flac). */
  audio_key: z.string().min(1),
  audio_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  backend: z.enum(['auto', 'faster-whisper', 'pocketsphinx']).default('auto'),
  model: z.string().min(1).optional(),
  device: z.enum(['auto', 'cpu', 'cuda']).optional(),
  compute_type: z.string().min(1).optional(),
  chunk_s: z.number().positive().optional(),
  overlap_s: z.number().nonnegative().optional(),
});
export type TranscribeAudioActivityInput = z.input<typeof TranscribeAudioActivityInput>;

export type TranscribeAudioActivityOutput = Omit<TranscribeAudioOutput, 'out'> & { transcript_key: string };

/** What a heartbeat carries: chunks finished so far; a retried attempt resumes after them. */
export const TranscribeHeartbeat = z.object({
  finished_chunks: z.number().int().nonnegative(),
  done_ms: z.number().int().nonnegative(),
  total_ms: z.number().int().nonnegative(),
});
export type TranscribeHeartbeat = z.infer<typeof TranscribeHeartbeat>;

export interface TranscribeAudioDeps {
  runJob: typeof runGpuJob;
  mode: 'process' | 'container';
  container?: Parameters<typeof transcribeAudio>[0]['container'];
  /** Local scratch of this worker: audio copies, chunk results (kept across attempts), transcripts. */
  workDir: string;
  /** Copies the audio object to a local file under `dir` and returns its path. */
  fetchAudio(args: { audio_key: string; dir: string; signal: AbortSignal }): Promise<string>;
  /** Stores the finished transcript file in the lake (object + tables) and returns its object key. */
  storeTranscript(args: { path: string; vod_id: string; audio_key: string; audio_sha256: string }): Promise<string>;
}

/**
 * Builds the `transcribeAudio` activity for the `dougpt-gpu` task queue. Progress lines become heartbeats;
 * a retried attempt resumes after the last finished chunk (`heartbeatDetails`) from the chunk files this
 * worker kept; cancelling the activity kills the Python job. Bad input fails without retries.
 *
 * @example
 * const worker = await Worker.create({ taskQueue: GPU_TASK_QUEUE, activities: createTranscribeAudioActivity(deps), ... });
 */
export function createTranscribeAudioActivity(deps: TranscribeAudioDeps): {
  transcribeAudio(input: TranscribeAudioActivityInput): Promise<TranscribeAudioActivityOutput>;
} {
  return {
    async transcribeAudio(raw: TranscribeAudioActivityInput): Promise<TranscribeAudioActivityOutput> {
      const parsed = TranscribeAudioActivityInput.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw ApplicationFailure.nonRetryable(`transcribeAudio input: ${issue?.path.join('.')}: ${issue?.message}`, 'BadInput');
      }
      const input = parsed.data;
      const ctx = Context.current();
      const previous = TranscribeHeartbeat.safeParse(ctx.info.heartbeatDetails);
      const resumeFrom = previous.success ? previous.data.finished_chunks : 0;
      const dir = join(deps.workDir, 'transcribe', input.vod_id, input.audio_sha256);
      ctx.heartbeat({ finished_chunks: resumeFrom, done_ms: 0, total_ms: 0 } satisfies TranscribeHeartbeat);
      await mkdir(dir, { recursive: true });
      const audio = await deps.fetchAudio({ audio_key: input.audio_key, dir, signal: ctx.cancellationSignal });
      const out = join(dir, 'transcript.json');
      try {
        const result = await transcribeAudio({
          input: {
            audio,
            out,
            backend: input.backend,
            model: input.model,
            device: input.device,
            compute_type: input.compute_type,
            chunk_s: input.chunk_s,
            overlap_s: input.overlap_s,
            chunk_dir: join(dir, 'chunks'),
            resume_from_chunk: resumeFrom,
          },
          runJob: deps.runJob,
          mode: deps.mode,
          container: deps.container,
          signal: ctx.cancellationSignal,
          onProgress: (event) =>
            ctx.heartbeat({
              finished_chunks: event.finished_chunks,
              done_ms: event.done_ms,
              total_ms: event.total_ms,
            } satisfies TranscribeHeartbeat),
        });
        const transcript_key = await deps.storeTranscript({
          path: out,
          vod_id: input.vod_id,
          audio_key: input.audio_key,
          audio_sha256: input.audio_sha256,
        });
        const { out: _written, ...summary } = result;
        void _written;
        return { ...summary, transcript_key };
      } catch (error) {
        if (error instanceof RunnerError && error.kind === 'bad-input') {
          throw ApplicationFailure.create({ message: error.message, type: 'RunnerBadInput', nonRetryable: true, cause: error });
        }
        if (error instanceof RunnerError && error.kind === 'cancelled' && ctx.cancellationSignal.aborted) {
          throw ctx.cancellationSignal.reason;
        }
        throw error;
      }
    },
  };
}
