import { z } from 'zod';
import { sqlString } from '../../catalog/lake.ts';
import { insertNew } from '../../catalog/insert-new.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import { audio, chatMessages, chatRejects, vodManifest } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';
import { failIfAsked, TestFailAt } from './injected-failure.ts';
import { StagedChat } from './stage-chat.ts';
import { StagedMedia } from './stage-media.ts';

/** Version of the manifest row layout, stored on every row. */
export const MANIFEST_VERSION = 1;

export const CommitVodInput = z.object({ media: StagedMedia, chat: StagedChat, test_fail_at: TestFailAt.optional() });
export type CommitVodInput = z.infer<typeof CommitVodInput>;

export const CommitVodOutput = z.object({
  vod_id: z.string(),
  rows_written: z.object({ vod_manifest: z.number(), audio: z.number(), chat_messages: z.number(), chat_rejects: z.number() }),
});
export type CommitVodOutput = z.infer<typeof CommitVodOutput>;

const num = (value: number | null): string => (value === null ? 'NULL' : String(value));
const str = (value: string | null): string => (value === null ? 'NULL' : sqlString(value));

/**
 * Writes one VOD's rows — chat messages and rejects from the staged Parquet, its audio, and last its
 * manifest — in one catalog transaction: a failure before COMMIT leaves no row in any table. Keyed
 * inserts make a re-run write nothing new.
 *
 * @example
 * await commitVod({ media, chat }, deps); // rows_written all 0 the second time
 */
export async function commitVod(raw: CommitVodInput, deps: LakeDeps): Promise<CommitVodOutput> {
  const { media, chat, test_fail_at } = CommitVodInput.parse(raw);
  const streamedAt = media.created_at;
  return writeLake(deps, async (lake) => {
    const written = {
      chat_messages: await insertNew(
        lake,
        chatMessages,
        `SELECT *, ${sqlString(chat.chat_sha256)} AS chat_sha256 FROM read_parquet(${sqlString(deps.store.uri(chat.messages_key))})`,
      ),
      chat_rejects: await insertNew(
        lake,
        chatRejects,
        `SELECT *, ${sqlString(chat.chat_sha256)} AS chat_sha256 FROM read_parquet(${sqlString(deps.store.uri(chat.rejects_key))})`,
      ),
      audio: await insertNew(
        lake,
        audio,
        `SELECT ${str(media.vod_id)} vod_id, ${str(media.audio_key)} "key", ${str(media.audio_sha256)} sha256, ` +
          `${media.audio_bytes}::BIGINT bytes, ${media.audio_sample_rate}::INTEGER sample_rate, ${media.audio_channels}::INTEGER channels, ` +
          `${media.audio_duration_ms}::BIGINT duration_ms, 'flac' codec, ${str(media.video_sha256)} source_video_sha256, now() created_at`,
      ),
      vod_manifest: await insertNew(lake, vodManifest, manifestRowSql(media, chat, streamedAt)),
    };
    failIfAsked(test_fail_at, 'commit');
    return { vod_id: media.vod_id, rows_written: written };
  });
}

function manifestRowSql(media: StagedMedia, chat: StagedChat, streamedAt: string | null): string {
  return (
    `SELECT ${str(media.vod_id)} vod_id, ${str(media.title)} title, ${str(media.video_source)} video_source, ${str(chat.chat_source)} chat_source, ` +
    `${str(media.video_key)} video_key, ${str(chat.chat_key)} chat_key, ${str(media.video_sha256)} video_sha256, ${str(chat.chat_sha256)} chat_sha256, ` +
    `${media.video_bytes}::BIGINT video_bytes, ${chat.chat_bytes}::BIGINT chat_bytes, ${media.duration_ms}::BIGINT duration_ms, ` +
    `${streamedAt ? `${sqlString(streamedAt)}::TIMESTAMPTZ` : 'NULL::TIMESTAMPTZ'} streamed_at, ${str(media.container)} container, ` +
    `${str(media.video_codec)} video_codec, ${str(media.audio_codec)} audio_codec, ${str(chat.format)} chat_format, ` +
    `${num(chat.accepted)}::BIGINT chat_messages, ${num(chat.rejected)}::BIGINT chat_rejects, ${MANIFEST_VERSION}::INTEGER manifest_version, now() ingested_at`
  );
}
