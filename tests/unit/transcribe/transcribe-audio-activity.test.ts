import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import type { runGpuJob } from '../../../functions/gpu-jobs.ts';
import { RunnerError } from '../../../gpu-runner/worker/runner-error.ts';
import { createTranscribeAudioActivity, type TranscribeAudioDeps } from '../../../functions/transcribe/transcribe-audio-activity.ts';

const SHA = 'a'.repeat(64);
const input = { vod_id: 'v1', audio_key: `silver/audio/v1/${SHA}.flac`, audio_sha256: SHA, backend: 'pocketsphinx' as const };

function deps(runJob: typeof runGpuJob, stored: unknown[]): TranscribeAudioDeps {
  const workDir = mkdtempSync(join(tmpdir(), 'transcribe-activity-'));
  return {
    runJob,
    mode: 'process',
    workDir,
    fetchAudio: async ({ dir }) => join(dir, 'audio.flac'),
    storeTranscript: async (args) => {
      stored.push({ ...args, transcript: JSON.parse(readFileSync(args.path, 'utf8')) });
      return `silver/transcripts/v1/${SHA}.json`;
    },
  };
}

describe('transcribeAudio activity', () => {
  it('resumes after the heartbeat, heartbeats progress, stores the normed transcript, returns keys and counts', async () => {
    const calls: Array<Record<string, unknown>> = [];
    const runJob = (async (options) => {
      calls.push(options.input);
      options.onProgress?.({ event: 'progress', done_ms: 600_000, total_ms: 1_200_000, chunk: 3, chunks: 4, finished_chunks: 4 } as never);
      const out = String(options.input.out);
      writeFileSync(out, JSON.stringify({ words: [{ word: 'Twenty-One', start_ms: 0, end_ms: 10, confidence: 0.5 }], segments: [], backend: 'pocketsphinx', model: 'm', config: {} }));
      return { event: 'result', out, backend: 'pocketsphinx', model: 'm', words: 1, segments: 0, duration_ms: 1_200_000, chunks: 4, resumed_chunks: 3, elapsed_s: 1, rtf: 0.1 };
    }) as typeof runGpuJob;
    const stored: Array<{ transcript: { words: Array<{ norm?: string }> } }> = [];
    const env = new MockActivityEnvironment({ heartbeatDetails: { finished_chunks: 3, done_ms: 1, total_ms: 2 } });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { transcribeAudio } = createTranscribeAudioActivity(deps(runJob, stored as unknown[]));
    const result = await env.run(transcribeAudio, input);
    expect(calls[0]).toMatchObject({ resume_from_chunk: 3, backend: 'pocketsphinx' });
    expect(String(calls[0]!.chunk_dir)).toContain(join('v1', SHA, 'chunks'));
    expect(beats.at(-1)).toEqual({ finished_chunks: 4, done_ms: 600_000, total_ms: 1_200_000 });
    expect(result).toMatchObject({ transcript_key: `silver/transcripts/v1/${SHA}.json`, words: 1, resumed_chunks: 3 });
    expect(stored[0]!.transcript.words[0]!.norm).toBe('twenty one');
  });

  it('bad input fails without retry', async () => {
    const runJob = (async () => {
      throw new RunnerError('bad-input', 'transcribe: /x/audio.flac: not an audio file', { exitCode: 2 });
    }) as typeof runGpuJob;
    const { transcribeAudio } = createTranscribeAudioActivity(deps(runJob, []));
    await expect(new MockActivityEnvironment().run(transcribeAudio, input)).rejects.toMatchObject({ nonRetryable: true, type: 'RunnerBadInput' });
  });

  it('passes the activity cancellation signal to the job', async () => {
    let seen: AbortSignal | undefined;
    const runJob = ((options) =>
      new Promise((_, reject) => {
        seen = options.signal;
        options.signal?.addEventListener('abort', () => reject(new RunnerError('cancelled', 'transcribe: cancelled')));
      })) as typeof runGpuJob;
    const env = new MockActivityEnvironment();
    const { transcribeAudio } = createTranscribeAudioActivity(deps(runJob, []));
    const running = env.run(transcribeAudio, input);
    await expect.poll(() => seen !== undefined).toBe(true);
    env.cancel('CANCELLED');
    await expect(running).rejects.toThrow();
    expect(seen!.aborted).toBe(true);
  });
});
