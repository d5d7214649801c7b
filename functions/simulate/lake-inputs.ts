import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { LAKE, sqlString, type Lake } from '../../catalog/lake.ts';
import { asrRuns, chatMessages, chatOffsets, pairs, qualifiedName, transcriptSegments, transcriptWords } from '../../catalog/tables.ts';
import { ChatMessage } from '../chat/chat-message.ts';
import { newestAlignId } from '../review/load-review-set.ts';
import type { Transcript } from '../transcribe/transcript.ts';
import { SimulateInputError } from './fit-pacing-files.ts';
import type { AlignFileForPacing } from './pacing-data.ts';

const table = (def: Parameters<typeof qualifiedName>[0]) => `${LAKE}.${qualifiedName(def)}`;
const num = z.coerce.number();

const WordRow = z.object({ word: z.string(), start_ms: num, end_ms: num, confidence: num.nullable() });
const SegmentRow = z.object({ id: num, start_ms: num, end_ms: num, text: z.string() });
const OffsetRow = z.object({ from_ms: num, to_ms: num, lag_ms: num });
const PairRow = z.object({
  offset_ms: num,
  reply_text: z.string().nullable(),
  context_start_ms: num.nullable(),
  context_end_ms: num.nullable(),
  context_text: z.string().nullable(),
  lag_ms: num.nullable(),
  label: z.enum(['reaction', 'background']).nullable(),
  target_start_ms: num.nullable(),
  target_end_ms: num.nullable(),
  reject_reason: z.string().nullable(),
});

/**
 * The VOD's newest transcription (silver.asr_runs by created_at): its words and segments, and the run id.
 *
 * @example
 * const { transcript, asr_run_id } = await newestTranscript(lake, '1987654321');
 */
export async function newestTranscript(lake: Lake, vodId: string): Promise<{ transcript: Pick<Transcript, 'words' | 'segments'>; asr_run_id: string }> {
  const [run] = await lake.all(`SELECT run_id FROM ${table(asrRuns)} WHERE vod_id = ${sqlString(vodId)} ORDER BY created_at DESC, run_id DESC LIMIT 1`);
  if (!run) throw new SimulateInputError(`${vodId}: no transcript in silver.asr_runs (has the VOD been ingested and transcribed?)`);
  const runId = String(run.run_id);
  return { transcript: await transcriptOfRun(lake, vodId, runId), asr_run_id: runId };
}

/** One transcription run's words and segments (silver.transcript_words / _segments). */
export async function transcriptOfRun(lake: Lake, vodId: string, runId: string): Promise<Pick<Transcript, 'words' | 'segments'>> {
  const words = (await lake.all(`SELECT word, start_ms, end_ms, confidence FROM ${table(transcriptWords)} WHERE run_id = ${sqlString(runId)} ORDER BY idx`)).map((r) => {
    const w = WordRow.parse(r);
    return { word: w.word, start_ms: Math.round(w.start_ms), end_ms: Math.round(w.end_ms), confidence: w.confidence === null ? null : Math.min(1, Math.max(0, w.confidence)) };
  });
  const segments = (await lake.all(`SELECT id, start_ms, end_ms, text FROM ${table(transcriptSegments)} WHERE run_id = ${sqlString(runId)} ORDER BY id`)).map((r) => {
    const s = SegmentRow.parse(r);
    return { id: Math.round(s.id), start_ms: Math.round(s.start_ms), end_ms: Math.round(s.end_ms), text: s.text };
  });
  if (words.length === 0) throw new SimulateInputError(`${vodId}: its transcript ${runId} has no words`);
  return { words, segments };
}

/** The chat file and the transcription an alignment was made from (its gold.pairs rows); null when it has no rows. */
export async function alignmentInputs(lake: Lake, vodId: string, alignId: string): Promise<{ chat_sha256: string; asr_run_id: string } | null> {
  const [row] = await lake.all(`SELECT chat_sha256, asr_run_id FROM ${table(pairs)} WHERE vod_id = ${sqlString(vodId)} AND align_id = ${sqlString(alignId)} LIMIT 1`);
  return row ? { chat_sha256: String(row.chat_sha256), asr_run_id: String(row.asr_run_id) } : null;
}

/**
 * One chat file's messages of a VOD (silver.chat_messages), ascending: DuckDB writes them as JSON lines
 * to `path` (typed as the canonical record, BIGINTs as numbers), read back a line at a time.
 */
export async function chatMessagesOf(lake: Lake, vodId: string, chatSha256: string, path: string): Promise<ChatMessage[]> {
  const where = `vod_id = ${sqlString(vodId)} AND chat_sha256 = ${sqlString(chatSha256)}`;
  await lake.run(`COPY (SELECT * EXCLUDE (chat_sha256) FROM ${table(chatMessages)} WHERE ${where} ORDER BY offset_ms, message_id) TO ${sqlString(path)} (FORMAT json)`);
  const messages: ChatMessage[] = [];
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line) messages.push(ChatMessage.parse(JSON.parse(line)));
  return messages;
}

/**
 * The VOD's newest alignment (gold.pairs and silver.chat_offsets) in the shape of a `dougpt align`
 * file, for fitting the pacing model on the fly; null when the VOD was never aligned.
 */
export async function newestAlignment(lake: Lake, vodId: string): Promise<{ align_id: string; file: AlignFileForPacing } | null> {
  const alignId = await newestAlignId(lake, vodId);
  return alignId ? { align_id: alignId, file: await alignmentForPacing(lake, vodId, alignId) } : null;
}

/**
 * One alignment of a VOD (its rows of gold.pairs and silver.chat_offsets) in the shape of a `dougpt
 * align` file; no rows give a file with no pairs.
 */
export async function alignmentForPacing(lake: Lake, vodId: string, alignId: string): Promise<AlignFileForPacing> {
  const where = `vod_id = ${sqlString(vodId)} AND align_id = ${sqlString(alignId)}`;
  const rows = (
    await lake.all(
      `SELECT offset_ms, reply_text, context_start_ms, context_end_ms, context_text, lag_ms, label, target_start_ms, target_end_ms, reject_reason FROM ${table(pairs)} WHERE ${where} ORDER BY offset_ms, message_id`,
    )
  ).map((r) => PairRow.parse(r));
  const offsets = (await lake.all(`SELECT from_ms, to_ms, lag_ms FROM ${table(chatOffsets)} WHERE align_id = ${sqlString(alignId)} ORDER BY from_ms`)).map((r) => OffsetRow.parse(r));
  const file: AlignFileForPacing = { vod_id: vodId, offsets, pairs: [], rejects: [] };
  for (const r of rows) {
    if (r.reject_reason !== null || r.label === null || r.context_end_ms === null) {
      file.rejects.push({ offset_ms: r.offset_ms, reason: r.reject_reason ?? 'unknown' });
      continue;
    }
    file.pairs.push({
      offset_ms: r.offset_ms,
      reply_text: r.reply_text ?? '',
      context_start_ms: r.context_start_ms ?? r.context_end_ms,
      context_end_ms: r.context_end_ms,
      context_text: r.context_text ?? '',
      lag_ms: r.lag_ms ?? 0,
      label: r.label,
      ...(r.target_start_ms !== null ? { target_start_ms: r.target_start_ms } : {}),
      ...(r.target_end_ms !== null ? { target_end_ms: r.target_end_ms } : {}),
    });
  }
  return file;
}
