import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { insertNew } from '../../../catalog/insert-new.ts';
import { objectKeys } from '../../../catalog/keys.ts';
import { LAKE, sqlString, type Lake, type Row } from '../../../catalog/lake.ts';
import { migrations } from '../../../catalog/migrations.ts';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import { stageRows } from '../../../catalog/stage-rows.ts';
import { asrRuns, chatMessages, chatRejects, transcriptWords } from '../../../catalog/tables.ts';
import { writeLake } from '../../../catalog/write-lake.ts';
import type { ChatMessage } from '../../../functions/chat/chat-message.ts';
import type { LakeDeps } from '../../../functions/deps.ts';
import { commitVod } from '../../../functions/ingest/commit-vod.ts';
import type { StagedChat } from '../../../functions/ingest/stage-chat.ts';
import type { StagedMedia } from '../../../functions/ingest/stage-media.ts';
import type { TranscriptWord } from '../../../functions/transcribe/transcript.ts';
import { loadConfig } from '../../../infra/config.ts';

export type MemoryLakeDeps = Awaited<ReturnType<typeof memoryLakeDeps>>;

/**
 * LakeDeps over an in-memory DuckDB database attached as `lake` with every table of the schema, and an
 * object store whose keys are files under a temp folder: the real SQL of insertNew, writeLake and the
 * activities, without MinIO or the Iceberg catalog.
 */
export async function memoryLakeDeps(): Promise<LakeDeps & { root: string; dispose(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'dougpt-memlake-'));
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`ATTACH ':memory:' AS ${LAKE}`);
  for (const migration of migrations(LAKE)) for (const sql of migration.statements) await setup.run(sql);
  setup.closeSync();

  const openLake = async (): Promise<Lake> => {
    const connection = await instance.connect();
    const run = async (sql: string) => void (await connection.run(sql));
    const all = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];
    return {
      connection,
      run,
      all,
      close: () => connection.closeSync(),
      async transaction<T>(work: () => Promise<T>): Promise<T> {
        await run('BEGIN TRANSACTION');
        try {
          const result = await work();
          await run('COMMIT');
          return result;
        } catch (error) {
          await run('ROLLBACK');
          throw error;
        }
      },
    };
  };
  const store = {
    bucket: 'memory',
    uri: (key: string) => join(root, 'objects', key),
  } as unknown as ObjectStore;
  return {
    config: loadConfig({ DOUGPT_HOME: join(root, 'home') }),
    store,
    openLake,
    workDir: join(root, 'work'),
    root,
    dispose: () => instance.closeSync(),
  };
}

/** Stages one chat version the way stageChat does: its messages and (no) rejects as Parquet objects. */
export async function stageChatVersion(deps: MemoryLakeDeps, vodId: string, sha: string, messages: ChatMessage[]): Promise<StagedChat> {
  const messagesKey = objectKeys.stagedChat(vodId, sha, 'messages');
  const rejectsKey = objectKeys.stagedChat(vodId, sha, 'rejects');
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
    vod_id: vodId, chat_source: `chat-${sha.slice(0, 8)}.json`, chat_key: objectKeys.chat(vodId, sha, 'json'), chat_sha256: sha, chat_bytes: 1,
    format: 'twitchdownloader', offset_source: 'content_offset', accepted: messages.length, rejected: 0, reasons: {},
    messages_key: messagesKey, rejects_key: rejectsKey, written_keys: [],
  };
}

/** Commits a VOD (placeholder media) with one chat version through commitVod. */
export async function commitChatVersion(deps: MemoryLakeDeps, vodId: string, sha: string, messages: ChatMessage[]) {
  const media: StagedMedia = {
    vod_id: vodId, video_source: 'v.mp4', video_key: `bronze/vods/${vodId}/a.mp4`, video_sha256: 'a'.repeat(64), video_bytes: 1, duration_ms: 1,
    container: 'mp4', video_codec: 'h264', audio_codec: 'aac', title: 't', created_at: null, audio_key: `silver/audio/${vodId}/b.flac`,
    audio_sha256: 'b'.repeat(64), audio_bytes: 1, audio_sample_rate: 16_000, audio_channels: 1, audio_duration_ms: 1, written_keys: [],
  };
  return commitVod({ media, chat: await stageChatVersion(deps, vodId, sha, messages) }, deps);
}

/** Writes a transcription run's row and words (no segments). */
export async function commitWords(deps: MemoryLakeDeps, vodId: string, runId: string, words: readonly TranscriptWord[]): Promise<void> {
  const rows = words.map((w, idx) => ({ run_id: runId, vod_id: vodId, idx, ...w, norm: w.word.trim() }));
  const staged = await stageRows(join(deps.root, 'staging'), rows, transcriptWords.columns);
  try {
    await writeLake(deps, async (lake) => {
      await insertNew(lake, transcriptWords, staged.sql);
      await insertNew(
        lake,
        asrRuns,
        `SELECT ${sqlString(runId)} run_id, ${sqlString(vodId)} vod_id, 'k' audio_key, 's' audio_sha256, 'captions' backend, NULL model, '{}' config, ` +
          `'tk' transcript_key, 'ts' transcript_sha256, ${words.length}::BIGINT words, 0::BIGINT segments, 0::BIGINT duration_ms, 0::BIGINT runtime_ms, now() created_at`,
      );
    });
  } finally {
    await staged.cleanup();
  }
}
