import { patched, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import type { GpuActivities } from '../infra/gpu-activities.ts';
import { gpuQueueOf, type GpuQueueInput } from './names.ts';
import { gpuJob, ioLong, ioShort, lakeCommit } from './profiles.ts';

export interface TranscribeSettings {
  backend?: 'auto' | 'faster-whisper' | 'pocketsphinx';
  model?: string;
  compute_type?: string;
  chunk_s?: number;
  overlap_s?: number;
}

export interface ProcessVodInput extends GpuQueueInput {
  vod_id: string;
  audio_key: string;
  audio_sha256: string;
  transcribe?: TranscribeSettings;
  /** A caption file that stands in for speech recognition (no GPU job). */
  captions?: string | null;
}

export interface ProcessVodResult {
  vod_id: string;
  asr_run_id: string;
  transcribed: boolean;
  words: number | null;
  align_id: string;
  pairs: number;
  rejects: number;
  segments: number;
  median_lag_ms: number | null;
}

const quick = proxyActivities<IngestActivities>(ioShort);
const commit = proxyActivities<IngestActivities>(lakeCommit);
const lake = proxyActivities<IngestActivities>(ioLong);

/** Marks histories whose run id hashes the resolved backend and model (older ones hashed the request). */
const RESOLVED_ASR_BACKEND_PATCH = 'asr-run-id-resolved-backend';

/**
 * After ingest: transcribe the VOD's audio on the GPU queue (skipped when this audio was already
 * transcribed with these settings) or import the given captions instead, commit the words, then
 * align chat to speech.
 */
export async function processVod(input: ProcessVodInput): Promise<ProcessVodResult> {
  const gpu = proxyActivities<GpuActivities>({ ...gpuJob, taskQueue: gpuQueueOf(input) });
  const gpuQuick = proxyActivities<GpuActivities>({ ...ioShort, taskQueue: gpuQueueOf(input) });
  const settings = input.transcribe ?? {};
  const request = { vod_id: input.vod_id, audio_key: input.audio_key, audio_sha256: input.audio_sha256, ...settings };
  const commitRun = (run_id: string, transcript_key: string, runtime_ms: number) =>
    commit.commitTranscript({ run_id, vod_id: input.vod_id, audio_key: input.audio_key, audio_sha256: input.audio_sha256, transcript_key, runtime_ms });
  let runId: string;
  let words: number | null = null;
  if (input.captions) {
    const staged = await lake.stageCaptions({ vod_id: input.vod_id, captions: input.captions });
    runId = staged.run_id;
    if (staged.transcript_key !== null) words = (await commitRun(runId, staged.transcript_key, 0)).words;
  } else {
    // The GPU worker says what `auto` means there (a CPU run must not stand in for a later GPU run),
    // and the job is then told exactly that backend and model, so its words match the run id.
    const resolved = patched(RESOLVED_ASR_BACKEND_PATCH)
      ? await gpuQuick.resolveAsrBackend({ backend: settings.backend, model: settings.model, compute_type: settings.compute_type })
      : undefined;
    const existing = await quick.lookupAsrRun(resolved ? { ...request, resolved } : request);
    runId = existing.run_id;
    if (!existing.exists) {
      const whisper = resolved?.backend === 'faster-whisper';
      const job = resolved
        ? {
            ...request,
            backend: resolved.backend,
            model: whisper ? resolved.model : undefined,
            compute_type: whisper ? (resolved.compute_type ?? undefined) : undefined,
            device: whisper && (resolved.device === 'cpu' || resolved.device === 'cuda') ? (resolved.device as 'cpu' | 'cuda') : undefined,
          }
        : request;
      const transcript = await gpu.transcribeAudio(job);
      words = (await commitRun(runId, transcript.transcript_key, transcript.runtime_ms)).words;
    }
  }
  const aligned = await lake.alignVod({ vod_id: input.vod_id, asr_run_id: runId });
  return {
    vod_id: input.vod_id,
    asr_run_id: runId,
    transcribed: words !== null,
    words,
    align_id: aligned.align_id,
    pairs: aligned.pairs,
    rejects: aligned.rejects,
    segments: aligned.segments,
    median_lag_ms: aligned.median_lag_ms,
  };
}
