import { ActivityFailure, ApplicationFailure, CancellationScope, executeChild, log, patched, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import type { DiscardObjectsInput } from '../functions/ingest/discard-objects.ts';
import type { TestFailAt } from '../functions/ingest/injected-failure.ts';
import type { StagedChat } from '../functions/ingest/stage-chat.ts';
import type { StagedMedia } from '../functions/ingest/stage-media.ts';
import { passGpuQueue, processVodWorkflowId, type GpuQueueInput } from './names.ts';
import { processVod, type ProcessVodResult, type TranscribeSettings } from './process-vod.ts';
import { ioLong, ioShort, lakeCommit } from './profiles.ts';

export interface IngestVodInput extends GpuQueueInput {
  vod_id: string;
  video: string;
  chat: string;
  vod_start?: string | null;
  /** Transcribe and align after ingest (default true); settings for the transcription. */
  process?: boolean;
  transcribe?: TranscribeSettings;
  captions?: string | null;
  /** Tests only: make a stage or the commit fail on purpose, to check what compensation leaves. */
  test_fail_at?: TestFailAt;
}

export interface IngestVodResult {
  vod_id: string;
  video_sha256: string;
  chat_sha256: string;
  duration_ms: number;
  chat_format: string;
  chat_messages: number;
  chat_rejects: number;
  rows_written: { vod_manifest: number; audio: number; chat_messages: number; chat_rejects: number };
  processed: ProcessVodResult | null;
}

const staging = proxyActivities<IngestActivities>(ioLong);
const quick = proxyActivities<IngestActivities>(ioShort);
const commit = proxyActivities<IngestActivities>(lakeCommit);

/**
 * Marks histories whose compensation covers the whole VOD: a failed stage or commit sweeps every
 * uncommitted object under the VOD's prefixes, and staged Parquet is removed after the commit.
 * Older histories discarded only what the other stage wrote and kept staging objects.
 */
const WHOLE_VOD_COMPENSATION_PATCH = 'ingest-whole-vod-compensation';

/** Every key a stage's result refers to. */
const mediaKeys = (media: StagedMedia): string[] => [media.video_key, media.audio_key];
const chatKeys = (chat: StagedChat): string[] => [chat.chat_key, chat.messages_key, chat.rejects_key];

/**
 * One VOD: stage media and chat in parallel (objects only), then commit every row in one catalog
 * transaction, then remove the staged Parquet. A stage that fails removes its own uploads; the
 * workflow then discards every uncommitted object of the VOD (the other stage's too) — likewise when
 * the commit fails — before rethrowing, so a failed VOD leaves nothing in the lake. Then the child
 * `process/<vod_id>` transcribes and aligns it (its own retries and history; reset it alone from the Web UI).
 */
export async function ingestVod(input: IngestVodInput): Promise<IngestVodResult> {
  const wholeVod = patched(WHOLE_VOD_COMPENSATION_PATCH);
  // Spread only when set, so the activities' inputs stay those of older histories.
  const hook = input.test_fail_at ? { test_fail_at: input.test_fail_at } : {};
  const media = staging.stageMedia({ vod_id: input.vod_id, video: input.video, ...hook });
  const chat = staging.stageChat({ vod_id: input.vod_id, chat: input.chat, vod_start: input.vod_start ?? null, ...hook });
  const [mediaResult, chatResult] = await Promise.allSettled([media, chat]);
  if (mediaResult.status === 'rejected' || chatResult.status === 'rejected') {
    if (wholeVod) {
      await discard({
        keys: [
          ...(mediaResult.status === 'fulfilled' ? mediaKeys(mediaResult.value) : []),
          ...(chatResult.status === 'fulfilled' ? chatKeys(chatResult.value) : []),
        ],
        vod_id: input.vod_id,
      });
    } else {
      const written = [
        ...(mediaResult.status === 'fulfilled' ? mediaResult.value.written_keys : []),
        ...(chatResult.status === 'fulfilled' ? chatResult.value.written_keys : []),
      ];
      if (written.length > 0) await discard({ keys: written });
    }
    const failure = mediaResult.status === 'rejected' ? mediaResult.reason : (chatResult as PromiseRejectedResult).reason;
    throw unwrapBadInput(failure);
  }
  const staged = { media: mediaResult.value, chat: chatResult.value };
  let committed;
  try {
    committed = await commit.commitVod({ ...staged, ...hook });
  } catch (error) {
    if (wholeVod) await discard({ keys: [...mediaKeys(staged.media), ...chatKeys(staged.chat)], vod_id: input.vod_id });
    throw unwrapBadInput(error);
  }
  if (wholeVod) await discard({ keys: [staged.chat.messages_key, staged.chat.rejects_key] });
  const processed =
    input.process === false
      ? null
      : await executeChild(processVod, {
          workflowId: processVodWorkflowId(input.vod_id),
          args: [{ vod_id: input.vod_id, audio_key: staged.media.audio_key, audio_sha256: staged.media.audio_sha256, transcribe: input.transcribe, captions: input.captions ?? null, ...passGpuQueue(input) }],
        });
  return {
    vod_id: input.vod_id,
    video_sha256: staged.media.video_sha256,
    chat_sha256: staged.chat.chat_sha256,
    duration_ms: staged.media.duration_ms,
    chat_format: staged.chat.format,
    chat_messages: staged.chat.accepted,
    chat_rejects: staged.chat.rejected,
    rows_written: committed.rows_written,
    processed,
  };
}

/**
 * Compensation never hides the failure it runs for: an undo that fails is logged, not thrown. It runs
 * outside the workflow's cancellation, so a cancelled ingest still cleans up after itself.
 */
async function discard(request: DiscardObjectsInput): Promise<void> {
  try {
    await CancellationScope.nonCancellable(() => quick.discardObjects(request));
  } catch (undoError) {
    log.error('could not discard staged objects', { ...request, error: String(undoError) });
  }
}

/** A bad input surfaces as the workflow's own non-retryable failure with the activity's one-line reason. */
function unwrapBadInput(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'BadInput') {
    return ApplicationFailure.nonRetryable(error.cause.message, 'BadInput');
  }
  return error;
}
