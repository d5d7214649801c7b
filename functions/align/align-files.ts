import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { writeJsonLines } from '../../catalog/stage-rows.ts';
import { ChatMessage } from '../chat/chat-message.ts';
import { TranscriptSegment, TranscriptWord } from '../transcribe/transcript.ts';
import { align } from './align.ts';

/** One alignment as files: JSON-lines inputs (as DuckDB's `COPY … (FORMAT json)` writes them) and row files out. */
export const AlignFilesJob = z.object({
  align_id: z.string().min(1),
  vod_id: z.string().min(1),
  asr_run_id: z.string().min(1),
  chat_sha256: z.string().min(1),
  transcript_sha256: z.string().min(1),
  context_ms: z.number().int().optional(),
  messages_path: z.string().min(1),
  words_path: z.string().min(1),
  segments_path: z.string().min(1),
  /** Where the `silver.chat_offsets` and `gold.pairs` rows go, one JSON object a line. */
  offsets_out: z.string().min(1),
  pairs_out: z.string().min(1),
});
export type AlignFilesJob = z.infer<typeof AlignFilesJob>;

export const AlignFilesResult = z.object({
  pairs: z.number().int(),
  rejects: z.number().int(),
  segments: z.number().int(),
  offset_rows: z.number().int(),
  pair_rows: z.number().int(),
  median_lag_ms: z.number().int().nullable(),
  tiers: z.record(z.string(), z.number().int()),
});
export type AlignFilesResult = z.infer<typeof AlignFilesResult>;

/** Parsed rows of a JSON-lines file, read a line at a time (the file is never one string). */
async function readJsonLines<T>(path: string, schema: z.ZodType<T>): Promise<T[]> {
  const rows: T[] = [];
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line) rows.push(schema.parse(JSON.parse(line)));
  return rows;
}

/**
 * Parses the inputs, aligns, and writes the lake rows of the result; returns only counts. All the
 * CPU-heavy part of `alignVod` is here, so it can run in a worker thread (`alignInThread`).
 *
 * @example
 * await alignFiles({ align_id, vod_id, ..., messages_path: 'm.jsonl', offsets_out: 'o.jsonl', pairs_out: 'p.jsonl' });
 */
export async function alignFiles(raw: AlignFilesJob): Promise<AlignFilesResult> {
  const job = AlignFilesJob.parse(raw);
  const messages = await readJsonLines(job.messages_path, ChatMessage);
  const words = await readJsonLines(job.words_path, TranscriptWord);
  // The recogniser's segments bound phrases (segment-phrases.ts).
  const segments = await readJsonLines(job.segments_path, TranscriptSegment);
  const result = align(messages, words, {
    vodId: job.vod_id,
    contextMs: job.context_ms,
    transcriptSha256: job.transcript_sha256,
    chatSha256: job.chat_sha256,
    segments,
  });
  const common = { align_id: job.align_id, vod_id: job.vod_id, asr_run_id: job.asr_run_id, chat_sha256: job.chat_sha256 };
  const offsetRows = result.offsets.map((o, segment) => ({ ...common, segment, ...o }));
  const pairRows = [
    ...result.pairs.map((p) => ({ ...p, ...common, reject_reason: null })),
    ...result.rejects.map((r) => ({ ...common, pair_id: null, message_id: r.message_id, offset_ms: r.offset_ms, reject_reason: r.reason })),
  ];
  await writeJsonLines(job.offsets_out, offsetRows);
  await writeJsonLines(job.pairs_out, pairRows);
  return {
    pairs: result.pairs.length,
    rejects: result.rejects.length,
    segments: result.offsets.length,
    offset_rows: offsetRows.length,
    pair_rows: pairRows.length,
    median_lag_ms: result.stats.median_lag_ms,
    tiers: Object.fromEntries(Object.entries(result.stats.tiers)),
  };
}
