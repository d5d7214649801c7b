import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { startWorkflowTestEnv, withStubWorker, type WorkflowTestEnv } from './test-env.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestActivities } from '../../functions/activities.ts';
import type { StagedChat } from '../../functions/ingest/stage-chat.ts';
import type { StagedMedia } from '../../functions/ingest/stage-media.ts';
import { ENTRIES_PER_RUN, type IngestBatchResult } from '../../workflows/ingest-batch.ts';

const media = (vod_id: string): StagedMedia => ({
  vod_id, video_source: `/v/${vod_id}.mp4`, video_key: `bronze/vods/${vod_id}/a.mp4`, video_sha256: 'a', video_bytes: 10,
  duration_ms: 1000, container: 'mp4', video_codec: 'h264', audio_codec: 'aac', title: null, created_at: null,
  audio_key: `silver/audio/${vod_id}/b.flac`, audio_sha256: 'b', audio_bytes: 5, audio_sample_rate: 16000, audio_channels: 1,
  audio_duration_ms: 1000, written_keys: [`bronze/vods/${vod_id}/a.mp4`, `silver/audio/${vod_id}/b.flac`],
});
const chat = (vod_id: string): StagedChat => ({
  vod_id, chat_source: '/c.json', chat_key: `bronze/chat/${vod_id}/c.json`, chat_sha256: 'c', chat_bytes: 3, format: 'twitchdownloader',
  offset_source: 'content_offset_seconds', accepted: 7, rejected: 1, reasons: { duplicate: 1 }, messages_key: 'm', rejects_key: 'r',
  written_keys: [`bronze/chat/${vod_id}/c.json`],
});

let env: TestWorkflowEnvironment;
let testEnv: WorkflowTestEnv;

beforeAll(async () => {
  testEnv = await startWorkflowTestEnv();
  ({ env } = testEnv);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** Runs `body` with a worker whose activities are the given stubs. */
const withWorker = <T>(stubs: Partial<IngestActivities>, body: (taskQueue: string) => Promise<T>): Promise<T> => withStubWorker(testEnv, stubs, body);

describe('ingestVod', () => {
  it('stages media and chat, commits them together, then removes the staged Parquet', async () => {
    const committed: unknown[] = [];
    const discarded: unknown[] = [];
    const result = await withWorker(
      {
        stageMedia: async (input) => media(input.vod_id),
        stageChat: async (input) => chat(input.vod_id),
        commitVod: async (input) => {
          committed.push(input);
          return { vod_id: input.media.vod_id, rows_written: { vod_manifest: 1, audio: 1, chat_messages: 7, chat_rejects: 1 } };
        },
        discardObjects: async (input) => {
          discarded.push(input);
          return { deleted: input.keys };
        },
      },
      (taskQueue) =>
        env.client.workflow.execute('ingestVod', { taskQueue, workflowId: randomUUID(), args: [{ vod_id: 'v1', video: '/v.mp4', chat: '/c.json', process: false }] }),
    );
    expect(committed).toEqual([{ media: media('v1'), chat: chat('v1') }]);
    expect(discarded).toEqual([{ keys: ['m', 'r'] }]);
    expect(result).toMatchObject({ vod_id: 'v1', chat_messages: 7, chat_rejects: 1, rows_written: { chat_messages: 7 } });
  });

  it('discards every uncommitted object of the VOD when a stage fails on bad input, and fails with its reason', async () => {
    const discarded: unknown[] = [];
    let commits = 0;
    const run = withWorker(
      {
        stageMedia: async (input) => media(input.vod_id),
        stageChat: async () => {
          throw ApplicationFailure.nonRetryable('/c.json: not a chat log (unknown JSON shape)', 'BadInput');
        },
        discardObjects: async (input) => {
          discarded.push(input);
          return { deleted: input.keys };
        },
        commitVod: async () => {
          commits++;
          throw new Error('must not commit');
        },
      },
      (taskQueue) =>
        env.client.workflow.execute('ingestVod', { taskQueue, workflowId: randomUUID(), args: [{ vod_id: 'v2', video: '/v.mp4', chat: '/c.json', process: false }] }),
    );
    await expect(run).rejects.toThrow();
    // The other stage's keys, and a sweep of the VOD's prefixes for what the failed stage may have left.
    expect(discarded).toEqual([{ keys: [media('v2').video_key, media('v2').audio_key], vod_id: 'v2' }]);
    expect(commits).toBe(0);
  });

  it('discards both stages\' objects, staged Parquet included, when the commit fails', async () => {
    const discarded: unknown[] = [];
    const commits: unknown[] = [];
    const run = withWorker(
      {
        stageMedia: async (input) => media(input.vod_id),
        stageChat: async (input) => chat(input.vod_id),
        commitVod: async (input) => {
          commits.push(input);
          throw ApplicationFailure.nonRetryable('injected failure at commit (test_fail_at)', 'InjectedFailure');
        },
        discardObjects: async (input) => {
          discarded.push(input);
          return { deleted: input.keys };
        },
      },
      (taskQueue) =>
        env.client.workflow.execute('ingestVod', {
          taskQueue,
          workflowId: randomUUID(),
          args: [{ vod_id: 'v5', video: '/v.mp4', chat: '/c.json', process: false, test_fail_at: 'commit' }],
        }),
    );
    await expect(run).rejects.toThrow();
    // The test hook reaches the commit; compensation names every key and sweeps the VOD.
    expect(commits).toMatchObject([{ test_fail_at: 'commit' }]);
    expect(discarded).toEqual([
      { keys: [media('v5').video_key, media('v5').audio_key, chat('v5').chat_key, 'm', 'r'], vod_id: 'v5' },
    ]);
  });

  it('cleans up after a cancelled ingest too', async () => {
    const discarded: unknown[] = [];
    let chatStaged!: () => void;
    const chatDone = new Promise<void>((resolve) => (chatStaged = resolve));
    await withWorker(
      {
        // Runs until cancelled (by the workflow's cancel, or by the worker stopping after the test).
        stageMedia: async () => {
          const signal = Context.current().cancellationSignal;
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          throw signal.reason;
        },
        stageChat: async (input) => {
          chatStaged();
          return chat(input.vod_id);
        },
        discardObjects: async (input) => {
          discarded.push(input);
          return { deleted: input.keys };
        },
      },
      async (taskQueue) => {
        const handle = await env.client.workflow.start('ingestVod', {
          taskQueue,
          workflowId: randomUUID(),
          args: [{ vod_id: 'v6', video: '/v.mp4', chat: '/c.json', process: false }],
        });
        await chatDone;
        await new Promise((r) => setTimeout(r, 500));
        await handle.cancel();
        await expect(handle.result()).rejects.toThrow();
      },
    );
    expect(discarded).toEqual([{ keys: [chat('v6').chat_key, 'm', 'r'], vod_id: 'v6' }]);
  });
});

describe('processVod', () => {
  const aligned = { vod_id: 'v3', align_id: 'al', pairs: 5, rejects: 2, segments: 1, median_lag_ms: 5000, tiers: {}, rows_written: { chat_offsets: 1, pairs: 7 } };
  const input = { vod_id: 'v3', audio_key: 'silver/audio/v3/b.flac', audio_sha256: 'b'.repeat(64) };

  /** A GPU transcription that must never be called; counts the calls it gets. */
  function forbiddenGpu() {
    let calls = 0;
    return {
      calls: () => calls,
      transcribe: async () => {
        calls++;
        throw new Error('must not run');
      },
    };
  }

  /** A worker for the GPU queue too: the transcription stub, and `auto` resolving to faster-whisper there. */
  async function withGpuWorker<T>(transcribe: (input: unknown) => Promise<unknown>, body: () => Promise<T>): Promise<T> {
    const resolveAsrBackend = async () => ({ backend: 'faster-whisper', model: 'large-v3' });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'dougpt-gpu', activities: { transcribeAudio: transcribe, resolveAsrBackend } });
    return worker.runUntil(body());
  }

  it('transcribes on the GPU queue, commits the transcript under the run id, then aligns', async () => {
    const commits: unknown[] = [];
    const lookups: unknown[] = [];
    const jobs: unknown[] = [];
    const result = await withGpuWorker(
      async (job) => {
        jobs.push(job);
        return { transcript_key: 'silver/transcripts/v3/t.json', words: 10, segments: 2, backend: 'faster-whisper', model: 'large-v3', duration_ms: 1000, chunks: 1, resumed_chunks: 0, runtime_ms: 42 };
      },
      () =>
        withWorker(
          {
            lookupAsrRun: async (request) => {
              lookups.push(request);
              return { run_id: 'asr-1', exists: false };
            },
            commitTranscript: async (args) => {
              commits.push(args);
              return { run_id: 'asr-1', words: 10, segments: 2, rows_written: { asr_runs: 1, transcript_words: 10, transcript_segments: 2 } };
            },
            alignVod: async () => aligned,
          },
          (taskQueue) => env.client.workflow.execute('processVod', { taskQueue, workflowId: randomUUID(), args: [input] }),
        ),
    );
    expect(commits).toEqual([{ run_id: 'asr-1', vod_id: 'v3', audio_key: input.audio_key, audio_sha256: input.audio_sha256, transcript_key: 'silver/transcripts/v3/t.json', runtime_ms: 42 }]);
    // The run is looked up, and the job run, under the backend the GPU worker resolved `auto` to.
    expect(lookups).toMatchObject([{ resolved: { backend: 'faster-whisper', model: 'large-v3' } }]);
    expect(jobs).toMatchObject([{ backend: 'faster-whisper', model: 'large-v3' }]);
    expect(result).toMatchObject({ asr_run_id: 'asr-1', transcribed: true, words: 10, align_id: 'al', pairs: 5 });
  });

  it('imports captions instead of running the GPU job when captions are given', async () => {
    const gpu = forbiddenGpu();
    const commits: { transcript_key: string; run_id: string }[] = [];
    const result = await withGpuWorker(
      gpu.transcribe,
      () =>
        withWorker(
          {
            stageCaptions: async () => ({ run_id: 'asr-captions-1', exists: false, transcript_key: 'silver/transcripts/v3/c.json' }),
            commitTranscript: async (args) => {
              commits.push(args);
              return { run_id: args.run_id, words: 4, segments: 1, rows_written: { asr_runs: 1, transcript_words: 4, transcript_segments: 1 } };
            },
            alignVod: async () => aligned,
          },
          (taskQueue) => env.client.workflow.execute('processVod', { taskQueue, workflowId: randomUUID(), args: [{ ...input, captions: '/c.vtt' }] }),
        ),
    );
    expect(gpu.calls()).toBe(0);
    expect(commits.map((c) => [c.run_id, c.transcript_key])).toEqual([['asr-captions-1', 'silver/transcripts/v3/c.json']]);
    expect(result).toMatchObject({ asr_run_id: 'asr-captions-1', transcribed: true, words: 4 });
  });

  it('skips the GPU job when this audio was already transcribed with these settings', async () => {
    const gpu = forbiddenGpu();
    const result = await withGpuWorker(
      gpu.transcribe,
      () =>
        withWorker(
          { lookupAsrRun: async () => ({ run_id: 'asr-1', exists: true }), alignVod: async () => aligned },
          (taskQueue) => env.client.workflow.execute('processVod', { taskQueue, workflowId: randomUUID(), args: [input] }),
        ),
    );
    expect(gpu.calls()).toBe(0);
    expect(result).toMatchObject({ transcribed: false, words: null, pairs: 5 });
  });
});

describe('ingestBatch', () => {
  it('runs one child per VOD, at most `concurrency` at once, and lists failures with their reason', async () => {
    let running = 0;
    let peak = 0;
    const result = (await withWorker(
      {
        identifyVod: async ({ video, vod_id }) => vod_id ?? video.replace(/\W+/g, '-').replace(/^-|-$/g, ''),
        stageMedia: async (input) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 300));
          running--;
          if (input.vod_id === 'broken') throw ApplicationFailure.nonRetryable('/broken.mp4: not a media file', 'BadInput');
          return media(input.vod_id);
        },
        stageChat: async (input) => chat(input.vod_id),
        discardObjects: async ({ keys }) => ({ deleted: keys }),
        commitVod: async (input) => ({ vod_id: input.media.vod_id, rows_written: { vod_manifest: 1, audio: 1, chat_messages: 7, chat_rejects: 1 } }),
      },
      (taskQueue) =>
        env.client.workflow.execute('ingestBatch', {
          taskQueue,
          workflowId: randomUUID(),
          args: [{ vods: ['a', 'b', 'broken', 'c'].map((id) => ({ video: `/${id}.mp4`, chat: '/c.json', vod_id: id })), concurrency: 2, process: false }],
        }),
    )) as IngestBatchResult;
    expect(result.succeeded.map((s) => s.vod_id).sort()).toEqual(['a', 'b', 'c']);
    expect(result.failed).toEqual([{ vod_id: 'broken', video: '/broken.mp4', error: '/broken.mp4: not a media file' }]);
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBe(2);
  });

  it('continues as new past ENTRIES_PER_RUN carrying counts, not every result', async () => {
    const ids = Array.from({ length: ENTRIES_PER_RUN + 3 }, (_, i) => `v${i}`);
    const broken = new Set(['v3', ids.at(-1)!]);
    const workflowId = randomUUID();
    const { result, carried } = await withWorker(
      {
        identifyVod: async ({ vod_id }) => vod_id!,
        stageMedia: async (input) => {
          if (broken.has(input.vod_id)) throw ApplicationFailure.nonRetryable(`/${input.vod_id}.mp4: not a media file`, 'BadInput');
          return media(input.vod_id);
        },
        stageChat: async (input) => chat(input.vod_id),
        discardObjects: async ({ keys }) => ({ deleted: keys }),
        commitVod: async (input) => ({ vod_id: input.media.vod_id, rows_written: { vod_manifest: 1, audio: 1, chat_messages: 7, chat_rejects: 1 } }),
      },
      async (taskQueue) => {
        const handle = await env.client.workflow.start('ingestBatch', {
          taskQueue,
          workflowId,
          args: [{ vods: ids.map((id) => ({ video: `/${id}.mp4`, chat: '/c.json', vod_id: id })), concurrency: 16, process: false }],
        });
        const result = (await handle.result()) as IngestBatchResult;
        // The last run's input, as Temporal stored it.
        const started = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events?.[0];
        const payload = started?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
        return { result, carried: JSON.parse(Buffer.from(payload!).toString('utf8')) as Record<string, unknown> };
      },
    );
    expect(carried.earlier).toEqual({ succeeded: ENTRIES_PER_RUN - 1, failed: 1 });
    expect(carried).not.toHaveProperty('previous');
    expect((carried.vods as unknown[]).length).toBe(3);
    expect(result.succeeded.map((s) => s.vod_id).sort()).toEqual(ids.slice(ENTRIES_PER_RUN, -1).sort());
    expect(result.failed.map((f) => f.vod_id)).toEqual([ids.at(-1)]);
    expect(result.totals).toEqual({ succeeded: ids.length - 2, failed: 2 });
  });

  it('refuses an input without a vods array as bad input', async () => {
    const run = withWorker({}, (taskQueue) =>
      env.client.workflow.execute('ingestBatch', { taskQueue, workflowId: randomUUID(), args: [{ videos: [] }] }),
    );
    await expect(run).rejects.toThrow();
  });
});

describe('the GPU task queue a batch names', () => {
  it('reaches the transcription job through ingestBatch, ingestVod and processVod', async () => {
    const gpuQueue = `gpu-${randomUUID()}`;
    const jobs: unknown[] = [];
    const gpu = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: gpuQueue,
      activities: {
        resolveAsrBackend: async () => ({ backend: 'faster-whisper', model: 'large-v3' }),
        transcribeAudio: async (job: unknown) => {
          jobs.push(job);
          return { transcript_key: 'silver/transcripts/v9/t.json', words: 3, segments: 1, backend: 'faster-whisper', model: 'large-v3', duration_ms: 1000, chunks: 1, resumed_chunks: 0, runtime_ms: 5 };
        },
      },
    });
    const result = (await gpu.runUntil(
      withWorker(
        {
          identifyVod: async () => 'v9',
          stageMedia: async (input) => media(input.vod_id),
          stageChat: async (input) => chat(input.vod_id),
          commitVod: async () => ({ vod_id: 'v9', rows_written: { vod_manifest: 1, audio: 1, chat_messages: 7, chat_rejects: 1 } }),
          discardObjects: async (input) => ({ deleted: input.keys }),
          lookupAsrRun: async () => ({ run_id: 'asr-9', exists: false }),
          commitTranscript: async () => ({ run_id: 'asr-9', words: 3, segments: 1, rows_written: { asr_runs: 1, transcript_words: 3, transcript_segments: 1 } }),
          alignVod: async () => ({ vod_id: 'v9', align_id: 'al', pairs: 2, rejects: 0, segments: 1, median_lag_ms: 4000, tiers: {}, rows_written: { chat_offsets: 1, pairs: 2 } }),
        },
        (taskQueue) =>
          env.client.workflow.execute('ingestBatch', { taskQueue, workflowId: randomUUID(), args: [{ vods: [{ video: '/v.mp4', chat: '/c.json' }], gpu_queue: gpuQueue }] }),
      ),
    )) as IngestBatchResult;
    expect(result.failed).toEqual([]);
    expect(jobs).toMatchObject([{ vod_id: 'v9', backend: 'faster-whisper' }]);
    expect(result.succeeded[0]?.processed).toMatchObject({ asr_run_id: 'asr-9', transcribed: true, words: 3 });
  });
});
