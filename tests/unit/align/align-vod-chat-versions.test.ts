import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertNew } from '../../../catalog/insert-new.ts';
import { objectKeys } from '../../../catalog/keys.ts';
import { LAKE, sqlString } from '../../../catalog/lake.ts';
import { stageRows } from '../../../catalog/stage-rows.ts';
import { asrRuns, chatMessages, chatRejects, transcriptWords } from '../../../catalog/tables.ts';
import { writeLake } from '../../../catalog/write-lake.ts';
import { alignVod } from '../../../functions/align/align-vod.ts';
import type { ChatMessage } from '../../../functions/chat/chat-message.ts';
import { commitVod } from '../../../functions/ingest/commit-vod.ts';
import type { StagedChat } from '../../../functions/ingest/stage-chat.ts';
import type { StagedMedia } from '../../../functions/ingest/stage-media.ts';
import { makeChat, makeLines } from './fixture.ts';
import { memoryLakeDeps } from './memory-lake.ts';

const VOD = 'v1';
const RUN = 'asr-test';
const SHA_1 = '1'.repeat(64);
const SHA_2 = '2'.repeat(64);

let deps: Awaited<ReturnType<typeof memoryLakeDeps>>;

const media: StagedMedia = {
  vod_id: VOD, video_source: 'v.mp4', video_key: `bronze/vods/${VOD}/abc.mp4`, video_sha256: 'a'.repeat(64), video_bytes: 1, duration_ms: 600_000,
  container: 'mp4', video_codec: 'h264', audio_codec: 'aac', title: 't', created_at: null, audio_key: `silver/audio/${VOD}/b.flac`,
  audio_sha256: 'b'.repeat(64), audio_bytes: 1, audio_sample_rate: 16_000, audio_channels: 1, audio_duration_ms: 600_000, written_keys: [],
};

/** Stages one chat version the way stageChat does: its messages and (no) rejects as Parquet objects. */
async function stageVersion(sha: string, messages: ChatMessage[]): Promise<StagedChat> {
  const messagesKey = objectKeys.stagedChat(VOD, sha, 'messages');
  const rejectsKey = objectKeys.stagedChat(VOD, sha, 'rejects');
  const lake = await deps.openLake();
  try {
    for (const [key, rows, table] of [[messagesKey, messages, chatMessages], [rejectsKey, [], chatRejects]] as const) {
      const path = deps.store.uri(key);
      await mkdir(dirname(path), { recursive: true });
      const staged = await stageRows(join(deps.root, 'staging'), rows, table.columns.filter(([name]) => name !== 'chat_sha256'));
      await lake.run(`COPY (${staged.sql}) TO ${sqlString(path)} (FORMAT parquet)`);
      await staged.cleanup();
    }
  } finally {
    lake.close();
  }
  return {
    vod_id: VOD, chat_source: `chat-${sha.slice(0, 1)}.json`, chat_key: objectKeys.chat(VOD, sha, 'json'), chat_sha256: sha, chat_bytes: 1,
    format: 'twitchdownloader', offset_source: 'content_offset', accepted: messages.length, rejected: 0, reasons: {},
    messages_key: messagesKey, rejects_key: rejectsKey, written_keys: [],
  };
}

async function count(sql: string): Promise<number> {
  const lake = await deps.openLake();
  try {
    return Number((await lake.all(sql))[0]?.n);
  } finally {
    lake.close();
  }
}

const { lines, words } = makeLines(60, 8_000);
const first = makeChat(lines, () => 5_000, { seed: 7 }).messages.map((m) => ({ ...m, vod_id: VOD }));
// The corrected file: the same message ids, fixed texts, and a tenth of the messages dropped.
const second = first.filter((_, i) => i % 10 !== 3).map((m) => ({ ...m, text: `${m.text} fixed` }));

describe('alignVod over a re-ingested chat file', () => {
  beforeAll(async () => {
    deps = await memoryLakeDeps();
    const wordRows = words.map((w, idx) => ({ run_id: RUN, vod_id: VOD, idx, ...w, norm: w.word.trim() }));
    const stagedWords = await stageRows(join(deps.root, 'staging'), wordRows, transcriptWords.columns);
    await writeLake(deps, async (lake) => {
      await insertNew(lake, transcriptWords, stagedWords.sql);
      await insertNew(
        lake,
        asrRuns,
        `SELECT '${RUN}' run_id, '${VOD}' vod_id, 'k' audio_key, 's' audio_sha256, 'captions' backend, NULL model, '{}' config, 'tk' transcript_key, ` +
          `'ts' transcript_sha256, ${words.length}::BIGINT words, 0::BIGINT segments, 0::BIGINT duration_ms, 0::BIGINT runtime_ms, now() created_at`,
      );
    });
    await commitVod({ media, chat: await stageVersion(SHA_1, first) }, deps);
    await commitVod({ media, chat: await stageVersion(SHA_2, second) }, deps);
  });
  afterAll(() => deps?.dispose());

  it('keeps every message of the corrected version, even where its ids repeat the first version', async () => {
    const n = await count(`SELECT count(*) n FROM ${LAKE}.silver.chat_messages WHERE chat_sha256 = '${SHA_2}'`);
    expect(n).toBe(second.length);
    // A re-commit of the same version writes nothing new.
    const again = await commitVod({ media, chat: await stageVersion(SHA_2, second) }, deps);
    expect(again.rows_written.chat_messages).toBe(0);
  });

  it('aligns only the newest manifest\'s chat version', async () => {
    const result = await alignVod({ vod_id: VOD, asr_run_id: RUN }, deps);
    expect(result.pairs + result.rejects).toBe(second.length);
    const rows = await count(`SELECT count(*) n FROM ${LAKE}.gold.pairs WHERE align_id = '${result.align_id}' AND chat_sha256 = '${SHA_2}'`);
    expect(rows).toBe(second.length);
    const texts = await count(
      `SELECT count(*) n FROM ${LAKE}.gold.pairs WHERE align_id = '${result.align_id}' AND pair_id IS NOT NULL AND reply_text NOT LIKE '% fixed'`,
    );
    expect(texts).toBe(0);
    expect(result.pairs).toBeGreaterThan(0);
  });
});
