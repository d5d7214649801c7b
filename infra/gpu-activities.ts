import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGpuJob } from '../gpu-runner/worker/run-gpu-job.ts';
import { createTranscribeAudioActivity } from '../gpu-runner/worker/transcribe-audio-activity.ts';
import type { ObjectStore } from '../catalog/object-store.ts';

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
  return {
    /** Transcribes one VOD's audio; `runtime_ms` is this attempt's wall time, for `silver.asr_runs`. */
    async transcribeAudio(input: Parameters<typeof activity.transcribeAudio>[0]) {
      const started = performance.now();
      const result = await activity.transcribeAudio(input);
      return { ...result, runtime_ms: Math.round(performance.now() - started) };
    },
  };
}
export type GpuActivities = ReturnType<typeof createGpuActivities>;
