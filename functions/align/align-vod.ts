import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { asrRuns, chatMessages, chatOffsets, pairs, qualifiedName, transcriptSegments, transcriptWords, vodManifest } from '../../catalog/tables.ts';
import { ChatMessage } from '../chat/chat-message.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { IngestInputError } from '../ingest/ingest-error.ts';
import { TranscriptSegment, TranscriptWord } from '../transcribe/transcript.ts';
import { align } from './align.ts';

export const AlignVodInput = z.object({
  vod_id: z.string().min(1),
  asr_run_id: z.string().min(1),
  context_ms: z.number().int().min(1_000).max(30_000).optional(),
});
export type AlignVodInput = z.infer<typeof AlignVodInput>;

export const AlignVodOutput = z.object({
  vod_id: z.string(),
  align_id: z.string(),
  pairs: z.number().int(),
  rejects: z.number().int(),
  segments: z.number().int(),
  median_lag_ms: z.number().int().nullable(),
  tiers: z.record(z.string(), z.number().int()),
  rows_written: z.object({ chat_offsets: z.number(), pairs: z.number() }),
});
export type AlignVodOutput = z.infer<typeof AlignVodOutput>;

/** Version of the alignment method; part of `align_id`, so a new method writes new rows beside the old. */
export const ALIGN_VERSION = 'echo-lag/2';

/** Reads query results as typed JSON lines through DuckDB (BIGINTs become plain numbers). */
async function queryJsonLines(lake: Awaited<ReturnType<LakeDeps['openLake']>>, sql: string, path: string): Promise<unknown[]> {
  await lake.run(`COPY (${sql}) TO ${sqlString(path)} (FORMAT json)`);
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
}

/**
 * Aligns one VOD's chat (silver.chat_messages of the newest manifest's chat file) with one transcription run (silver.transcript_words):
 * writes the lag segments to `silver.chat_offsets` and every message — paired or rejected with its
 * reason — to `gold.pairs`, in one transaction. Same inputs, same `align_id`: a re-run writes nothing.
 */
export async function alignVod(raw: AlignVodInput, deps: LakeDeps, ctx: RunContext = {}): Promise<AlignVodOutput> {
  const input = AlignVodInput.parse(raw);
  const dir = join(deps.workDir, 'align', input.vod_id);
  await mkdir(dir, { recursive: true });
  const lake = await deps.openLake();
  try {
    const vod = sqlString(input.vod_id);
    const [manifest] = await lake.all(
      `SELECT chat_sha256 FROM ${LAKE}.${qualifiedName(vodManifest)} WHERE vod_id = ${vod} ORDER BY ingested_at DESC LIMIT 1`,
    );
    const [run] = await lake.all(`SELECT transcript_sha256 FROM ${LAKE}.${qualifiedName(asrRuns)} WHERE run_id = ${sqlString(input.asr_run_id)}`);
    if (!manifest) throw new IngestInputError('missing', input.vod_id, 'no such VOD in bronze.vod_manifest');
    if (!run) throw new IngestInputError('missing', input.asr_run_id, 'no such run in silver.asr_runs');
    // The newest manifest names the chat version to align; older versions' rows stay in the table.
    const chatSha = String(manifest.chat_sha256);
    ctx.progress?.({ stage: 'read' });
    const messages = (
      await queryJsonLines(
        lake,
        `SELECT * EXCLUDE (chat_sha256) FROM ${LAKE}.${qualifiedName(chatMessages)} WHERE vod_id = ${vod} AND chat_sha256 = ${sqlString(chatSha)} ORDER BY offset_ms, message_id`,
        join(dir, 'messages.jsonl'),
      )
    ).map((row) => ChatMessage.parse(row));
    const words = (
      await queryJsonLines(
        lake,
        `SELECT word, start_ms, end_ms, confidence FROM ${LAKE}.${qualifiedName(transcriptWords)} WHERE run_id = ${sqlString(input.asr_run_id)} ORDER BY idx`,
        join(dir, 'words.jsonl'),
      )
    ).map((row) => TranscriptWord.parse(row));

    // The recogniser's segments bound phrases (segment-phrases.ts).
    const segments = (
      await queryJsonLines(
        lake,
        `SELECT id, start_ms, end_ms, text FROM ${LAKE}.${qualifiedName(transcriptSegments)} WHERE run_id = ${sqlString(input.asr_run_id)} ORDER BY id`,
        join(dir, 'segments.jsonl'),
      )
    ).map((row) => TranscriptSegment.parse(row));

    ctx.progress?.({ stage: 'align', messages: messages.length, words: words.length });
    const result = align(messages, words, {
      vodId: input.vod_id,
      contextMs: input.context_ms,
      transcriptSha256: String(run.transcript_sha256),
      chatSha256: chatSha,
      segments,
    });
    const align_id = `align-${createHash('sha256').update(JSON.stringify([input.vod_id, input.asr_run_id, chatSha, ALIGN_VERSION, input.context_ms ?? null])).digest('hex').slice(0, 24)}`;
    const common = { align_id, vod_id: input.vod_id, asr_run_id: input.asr_run_id, chat_sha256: chatSha };
    const offsetRows = result.offsets.map((o, segment) => ({ ...common, segment, ...o }));
    const pairRows = [
      ...result.pairs.map((p) => ({ ...p, ...common, reject_reason: null })),
      ...result.rejects.map((r) => ({ ...common, pair_id: null, message_id: r.message_id, offset_ms: r.offset_ms, reject_reason: r.reason })),
    ];
    const stagedOffsets = await stageRows(dir, offsetRows, chatOffsets.columns);
    const stagedPairs = await stageRows(dir, pairRows, pairs.columns);
    try {
      const rows_written = await writeLake(deps, async (writer) => ({
        pairs: await insertNew(writer, pairs, stagedPairs.sql),
        chat_offsets: await insertNew(writer, chatOffsets, stagedOffsets.sql),
      }));
      return {
        vod_id: input.vod_id,
        align_id,
        pairs: result.pairs.length,
        rejects: result.rejects.length,
        segments: result.offsets.length,
        median_lag_ms: result.stats.median_lag_ms,
        tiers: Object.fromEntries(Object.entries(result.stats.tiers).map(([k, v]) => [k, v])),
        rows_written,
      };
    } finally {
      await stagedOffsets.cleanup();
      await stagedPairs.cleanup();
    }
  } finally {
    lake.close();
    await rm(dir, { recursive: true, force: true });
  }
}
