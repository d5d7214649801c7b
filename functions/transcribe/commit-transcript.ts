import { mkdir, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import { sqlString } from '../../catalog/lake.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { asrRuns, transcriptSegments, transcriptWords } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';
import { IngestInputError } from '../ingest/ingest-error.ts';
import { normalizeWord } from './normalize-word.ts';
import { Transcript } from './transcript.ts';

export const CommitTranscriptInput = z.object({
  run_id: z.string().min(1),
  vod_id: z.string().min(1),
  audio_key: z.string().min(1),
  audio_sha256: z.string().min(1),
  transcript_key: z.string().min(1),
  runtime_ms: z.number().int().nonnegative(),
});
export type CommitTranscriptInput = z.infer<typeof CommitTranscriptInput>;

export const CommitTranscriptOutput = z.object({
  run_id: z.string(),
  words: z.number().int(),
  segments: z.number().int(),
  rows_written: z.object({ asr_runs: z.number(), transcript_words: z.number(), transcript_segments: z.number() }),
});
export type CommitTranscriptOutput = z.infer<typeof CommitTranscriptOutput>;

/**
 * Writes a finished transcript (an object in the lake) as rows of `silver.asr_runs`,
 * `silver.transcript_words` and `silver.transcript_segments`, in one transaction, keyed by run.
 */
export async function commitTranscript(raw: CommitTranscriptInput, deps: LakeDeps): Promise<CommitTranscriptOutput> {
  const input = CommitTranscriptInput.parse(raw);
  const dir = join(deps.workDir, 'commit-transcript', input.run_id);
  const local = join(dir, 'transcript.json');
  await mkdir(dir, { recursive: true });
  await deps.store.getToFile(input.transcript_key, local);
  const text = await readFile(local, 'utf8');
  const parsed = Transcript.safeParse(JSON.parse(text));
  if (!parsed.success) throw new IngestInputError('unreadable', input.transcript_key, `not a transcript (${parsed.error.issues[0]?.message})`);
  const transcript = parsed.data;
  const words = transcript.words.map((w, idx) => ({
    run_id: input.run_id, vod_id: input.vod_id, idx, word: w.word, norm: normalizeWord(w.word),
    start_ms: w.start_ms, end_ms: w.end_ms, confidence: w.confidence,
  }));
  const segments = transcript.segments.map((s) => ({ run_id: input.run_id, vod_id: input.vod_id, ...s }));
  const duration = transcript.words.at(-1)?.end_ms ?? 0;
  const run = {
    run_id: input.run_id, vod_id: input.vod_id, audio_key: input.audio_key, audio_sha256: input.audio_sha256,
    backend: transcript.backend, model: transcript.model, config: JSON.stringify(transcript.config),
    transcript_key: input.transcript_key, transcript_sha256: createHash('sha256').update(text).digest('hex'),
    words: words.length, segments: segments.length, duration_ms: duration, runtime_ms: input.runtime_ms,
  };
  const stagedWords = await stageRows(dir, words, transcriptWords.columns);
  const stagedSegments = await stageRows(dir, segments, transcriptSegments.columns);
  try {
    const runRow = Object.entries(run)
      .map(([k, v]) => `${typeof v === 'number' ? v : v === null ? 'NULL' : sqlString(String(v))} AS "${k}"`)
      .join(', ');
    const rows_written = await writeLake(deps, async (lake) => ({
      transcript_words: await insertNew(lake, transcriptWords, stagedWords.sql),
      transcript_segments: await insertNew(lake, transcriptSegments, stagedSegments.sql),
      // The run row last: its presence means the words and segments are all there.
      asr_runs: await insertNew(lake, asrRuns, `SELECT ${runRow}, now() AS created_at`),
    }));
    return { run_id: input.run_id, words: words.length, segments: segments.length, rows_written };
  } finally {
    await stagedWords.cleanup();
    await stagedSegments.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}
