import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import { rowsFileSql } from '../../catalog/stage-rows.ts';
import { asrRuns, chatMessages, chatOffsets, pairs, qualifiedName, transcriptSegments, transcriptWords, vodManifest } from '../../catalog/tables.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { IngestInputError } from '../ingest/ingest-error.ts';
import { alignInThread } from './align-in-thread.ts';

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

/** Writes query results as typed JSON lines through DuckDB (BIGINTs become plain numbers). */
async function copyJsonLines(lake: Awaited<ReturnType<LakeDeps['openLake']>>, sql: string, path: string): Promise<void> {
  await lake.run(`COPY (${sql}) TO ${sqlString(path)} (FORMAT json)`);
}

/**
 * Aligns one VOD's chat (silver.chat_messages of the newest manifest's chat file) with one transcription run (silver.transcript_words):
 * writes the lag segments to `silver.chat_offsets` and every message — paired or rejected with its
 * reason — to `gold.pairs`, in one transaction. Same inputs, same `align_id`: a re-run writes nothing.
 * The alignment itself runs in a worker thread (`alignInThread`): it computes for seconds on a long VOD.
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
    // DuckDB writes the inputs to files off this thread; the thread parses and aligns them.
    const messagesPath = join(dir, 'messages.jsonl');
    const wordsPath = join(dir, 'words.jsonl');
    const segmentsPath = join(dir, 'segments.jsonl');
    await copyJsonLines(
      lake,
      `SELECT * EXCLUDE (chat_sha256) FROM ${LAKE}.${qualifiedName(chatMessages)} WHERE vod_id = ${vod} AND chat_sha256 = ${sqlString(chatSha)} ORDER BY offset_ms, message_id`,
      messagesPath,
    );
    await copyJsonLines(
      lake,
      `SELECT word, start_ms, end_ms, confidence FROM ${LAKE}.${qualifiedName(transcriptWords)} WHERE run_id = ${sqlString(input.asr_run_id)} ORDER BY idx`,
      wordsPath,
    );
    await copyJsonLines(
      lake,
      `SELECT id, start_ms, end_ms, text FROM ${LAKE}.${qualifiedName(transcriptSegments)} WHERE run_id = ${sqlString(input.asr_run_id)} ORDER BY id`,
      segmentsPath,
    );

    const align_id = `align-${createHash('sha256').update(JSON.stringify([input.vod_id, input.asr_run_id, chatSha, ALIGN_VERSION, input.context_ms ?? null])).digest('hex').slice(0, 24)}`;
    ctx.progress?.({ stage: 'align' });
    const offsetsPath = join(dir, 'offset-rows.jsonl');
    const pairsPath = join(dir, 'pair-rows.jsonl');
    const result = await alignInThread(
      {
        align_id,
        vod_id: input.vod_id,
        asr_run_id: input.asr_run_id,
        chat_sha256: chatSha,
        transcript_sha256: String(run.transcript_sha256),
        context_ms: input.context_ms,
        messages_path: messagesPath,
        words_path: wordsPath,
        segments_path: segmentsPath,
        offsets_out: offsetsPath,
        pairs_out: pairsPath,
      },
      { signal: ctx.signal },
    );
    ctx.progress?.({ stage: 'commit', pairs: result.pairs, rejects: result.rejects });
    const rows_written = await writeLake(deps, async (writer) => ({
      pairs: await insertNew(writer, pairs, rowsFileSql(pairsPath, result.pair_rows, pairs.columns)),
      chat_offsets: await insertNew(writer, chatOffsets, rowsFileSql(offsetsPath, result.offset_rows, chatOffsets.columns)),
    }));
    return {
      vod_id: input.vod_id,
      align_id,
      pairs: result.pairs,
      rejects: result.rejects,
      segments: result.segments,
      median_lag_ms: result.median_lag_ms,
      tiers: result.tiers,
      rows_written,
    };
  } finally {
    lake.close();
    await rm(dir, { recursive: true, force: true });
  }
}
