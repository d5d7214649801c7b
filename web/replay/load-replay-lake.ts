import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { extensionOf } from '../../catalog/keys.ts';
import { LAKE, sqlString, type Lake } from '../../catalog/lake.ts';
import { ObjectStoreError, type ObjectStore } from '../../catalog/object-store.ts';
import { audio, chatMessages, chatOffsets, pairs, qualifiedName, transcriptSegments, transcriptWords, vodManifest } from '../../catalog/tables.ts';
import { newestAlignId } from '../../functions/review/load-review-set.ts';
import { simulationPrefix } from '../../functions/simulate/simulate-vod.ts';
import { ReplayInputError } from './load-replay-files.ts';
import { readChatFile } from './read-chat-file.ts';
import { mediaType, toReplayMessages, transcriptLines, type ReplayColumn, type ReplayData } from './replay-data.ts';

export interface ReplayLakeInput {
  vod_id: string;
  /** Generated chat: a chat file, or a `dougpt simulate` run in the lake (`gold/simulations/<sim_id>/chat.json`). */
  generated?: { file: string } | { simulation: string };
  /** Play the silver audio (FLAC) instead of the video: a far smaller download. */
  audioOnly?: boolean;
}

/** Object key of a simulation's generated chat (TwitchDownloader JSON, as `dougpt simulate` writes it). */
export const simulationChatKey = (simId: string): string => `${simulationPrefix(simId)}chat.json`;

const table = (t: Parameters<typeof qualifiedName>[0]) => `${LAKE}.${qualifiedName(t)}`;
const num = z.coerce.number();
const Manifest = z.object({ title: z.string().nullable(), video_key: z.string(), video_sha256: z.string(), chat_sha256: z.string(), duration_ms: num.nullable() });
const Message = z.object({ offset_ms: num, author_display: z.string().nullable(), author_login: z.string().nullable(), text: z.string(), is_deleted: z.boolean() });
const Offset = z.object({ from_ms: num, to_ms: num, lag_ms: num, confidence: num, method: z.string() });
const Word = z.object({ word: z.string(), start_ms: num, end_ms: num });
const Segment = z.object({ id: num, start_ms: num, end_ms: num, text: z.string() });

/** Downloads an object into `dir` once (kept for the next replay); the file appears only when whole. */
async function cachedObject(store: ObjectStore, key: string, path: string): Promise<string> {
  if (existsSync(path)) return path;
  const part = `${path}.part-${process.pid}`;
  try {
    await store.getToFile(key, part);
    await rename(part, path);
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
  return path;
}

async function generatedColumn(input: ReplayLakeInput, store: ObjectStore, vodId: string): Promise<ReplayColumn> {
  const generated = input.generated;
  if (!generated) return { id: 'generated', label: 'Generated chat (none given: --generated FILE or --simulation ID)', source: '', messages: [] };
  if ('file' in generated) {
    const chat = await readChatFile(generated.file, { vodId });
    return { id: 'generated', label: 'Generated chat', source: generated.file, messages: chat.messages };
  }
  const key = simulationChatKey(generated.simulation);
  const dir = await mkdtemp(join(tmpdir(), 'dougpt-replay-sim-'));
  try {
    const path = join(dir, 'chat.json');
    await store.getToFile(key, path).catch((error: unknown) => {
      if (error instanceof ObjectStoreError && error.kind === 'not-found') throw new ReplayInputError(`--simulation ${generated.simulation}: no ${key} in the lake`);
      throw error;
    });
    const chat = await readChatFile(path, { vodId });
    return { id: 'generated', label: `Generated chat (simulation ${generated.simulation})`, source: key, messages: chat.messages };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A VOD's replay from the lake: its newest manifest's video (or silver audio) fetched once into
 * `cacheDir`, the real chat of that manifest from `silver.chat_messages`, the newest alignment's
 * lag (`silver.chat_offsets`) and its transcript, and the generated chat.
 *
 * @example
 * const data = await loadReplayLake({ vod_id: 'v1', generated: { simulation: 'sim-1' } }, { lake, store, cacheDir });
 */
export async function loadReplayLake(input: ReplayLakeInput, deps: { lake: Lake; store: ObjectStore; cacheDir: string }): Promise<ReplayData> {
  const { lake, store } = deps;
  const vod = sqlString(input.vod_id);
  const [manifestRow] = await lake.all(
    `SELECT title, video_key, video_sha256, chat_sha256, duration_ms FROM ${table(vodManifest)} WHERE vod_id = ${vod} ORDER BY ingested_at DESC LIMIT 1`,
  );
  if (!manifestRow) throw new ReplayInputError(`${input.vod_id}: no such VOD in bronze.vod_manifest (ingest it first)`);
  const manifest = Manifest.parse(manifestRow);

  const messages = (
    await lake.all(
      `SELECT offset_ms, author_display, author_login, text, is_deleted FROM ${table(chatMessages)} ` +
        `WHERE vod_id = ${vod} AND chat_sha256 = ${sqlString(manifest.chat_sha256)} ORDER BY offset_ms, message_id`,
    )
  ).map((r) => Message.parse(r));

  const alignId = await newestAlignId(lake, input.vod_id);
  const lag = alignId
    ? (await lake.all(`SELECT from_ms, to_ms, lag_ms, confidence, method FROM ${table(chatOffsets)} WHERE align_id = ${sqlString(alignId)} ORDER BY from_ms`)).map((r) => Offset.parse(r))
    : [];
  const [run] = alignId ? await lake.all(`SELECT asr_run_id FROM ${table(pairs)} WHERE align_id = ${sqlString(alignId)} AND asr_run_id IS NOT NULL LIMIT 1`) : [];
  const runId = run ? sqlString(String(run.asr_run_id)) : null;
  const words = runId ? (await lake.all(`SELECT word, start_ms, end_ms FROM ${table(transcriptWords)} WHERE run_id = ${runId} ORDER BY start_ms, idx`)).map((r) => Word.parse(r)) : [];
  const segments = runId ? (await lake.all(`SELECT id, start_ms, end_ms, text FROM ${table(transcriptSegments)} WHERE run_id = ${runId} ORDER BY start_ms, id`)).map((r) => Segment.parse(r)) : [];

  await mkdir(deps.cacheDir, { recursive: true });
  let media: ReplayData['media'];
  const asVideo = mediaType(manifest.video_key);
  if (!input.audioOnly && asVideo.kind === 'video' && asVideo.content_type !== 'application/octet-stream') {
    const path = await cachedObject(store, manifest.video_key, join(deps.cacheDir, `${manifest.video_sha256}.${extensionOf(manifest.video_key)}`));
    media = { path, ...asVideo };
  } else {
    const [audioRow] = await lake.all(`SELECT "key", sha256 FROM ${table(audio)} WHERE vod_id = ${vod} ORDER BY created_at DESC LIMIT 1`);
    if (!audioRow) throw new ReplayInputError(`${input.vod_id}: no audio in silver.audio to play`);
    const path = await cachedObject(store, String(audioRow.key), join(deps.cacheDir, `${String(audioRow.sha256)}.flac`));
    media = { path, ...mediaType(path) };
  }

  return {
    vod_id: input.vod_id,
    title: manifest.title,
    duration_ms: manifest.duration_ms,
    media,
    lag,
    align: alignId,
    transcript: transcriptLines(words, segments.map((s) => ({ ...s, id: Math.trunc(s.id) }))),
    columns: [
      { id: 'real', label: 'Real chat', source: `silver.chat_messages (chat ${manifest.chat_sha256.slice(0, 12)})`, messages: toReplayMessages(messages) },
      await generatedColumn(input, store, input.vod_id),
    ],
  };
}
