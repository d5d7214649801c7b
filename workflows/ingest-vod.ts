import { ActivityFailure, ApplicationFailure, executeChild, log, proxyActivities } from '@temporalio/workflow';
import type { IngestActivities } from '../functions/activities.ts';
import { processVodWorkflowId } from './names.ts';
import { processVod, type ProcessVodResult, type TranscribeSettings } from './process-vod.ts';
import { ioLong, ioShort, lakeCommit } from './profiles.ts';

export interface IngestVodInput {
  vod_id: string;
  video: string;
  chat: string;
  vod_start?: string | null;
  /** Transcribe and align after ingest (default true); settings for the transcription. */
  process?: boolean;
  transcribe?: TranscribeSettings;
  captions?: string | null;
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
 * One VOD: stage media and chat in parallel (objects only), then commit every row in one catalog
 * transaction. When a stage fails, what the other stage wrote is discarded before the failure is
 * rethrown, so a failed VOD leaves nothing in the lake. Then the child `process/<vod_id>`
 * transcribes and aligns it (its own retries and history; reset it alone from the Web UI).
 */
export async function ingestVod(input: IngestVodInput): Promise<IngestVodResult> {
  const media = staging.stageMedia({ vod_id: input.vod_id, video: input.video });
  const chat = staging.stageChat({ vod_id: input.vod_id, chat: input.chat, vod_start: input.vod_start ?? null });
  const [mediaResult, chatResult] = await Promise.allSettled([media, chat]);
  if (mediaResult.status === 'rejected' || chatResult.status === 'rejected') {
    const written = [
      ...(mediaResult.status === 'fulfilled' ? mediaResult.value.written_keys : []),
      ...(chatResult.status === 'fulfilled' ? chatResult.value.written_keys : []),
    ];
    if (written.length > 0) {
      try {
        await quick.discardObjects({ keys: written });
      } catch (undoError) {
        log.error('could not discard staged objects', { keys: written, error: String(undoError) });
      }
    }
    const failure = mediaResult.status === 'rejected' ? mediaResult.reason : (chatResult as PromiseRejectedResult).reason;
    throw unwrapBadInput(failure);
  }
  const staged = { media: mediaResult.value, chat: chatResult.value };
  const committed = await commit.commitVod(staged);
  const processed =
    input.process === false
      ? null
      : await executeChild(processVod, {
          workflowId: processVodWorkflowId(input.vod_id),
          args: [{ vod_id: input.vod_id, audio_key: staged.media.audio_key, audio_sha256: staged.media.audio_sha256, transcribe: input.transcribe, captions: input.captions ?? null }],
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

/** A bad input surfaces as the workflow's own non-retryable failure with the activity's one-line reason. */
function unwrapBadInput(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'BadInput') {
    return ApplicationFailure.nonRetryable(error.cause.message, 'BadInput');
  }
  return error;
}
