import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { asrRuns, qualifiedName } from '../../catalog/tables.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { fetchSource } from '../ingest/fetch-source.ts';
import { hashFile } from '../ingest/hash-file.ts';
import { IngestInputError } from '../ingest/ingest-error.ts';
import { CaptionFormatError, importCaptions } from './import-captions.ts';

export const StageCaptionsInput = z.object({
  vod_id: z.string().min(1),
  /** A caption or Whisper JSON file (path or URL) that stands in for speech recognition. */
  captions: z.string().min(1),
});
export type StageCaptionsInput = z.infer<typeof StageCaptionsInput>;

export const StagedCaptions = z.object({
  run_id: z.string(),
  exists: z.boolean(),
  transcript_key: z.string().nullable(),
});
export type StagedCaptions = z.infer<typeof StagedCaptions>;

/** Object key of a transcript made from captions; content-addressed like the ASR ones. */
const transcriptKey = (vodId: string, sha256: string) => `silver/transcripts/${vodId}/${sha256}.json`;

/**
 * Turns a user's caption file into a transcript object in the lake, ready for `commitTranscript`:
 * the captions' checksum is the run's identity, so the same file twice is one run.
 *
 * @example
 * await stageCaptions({ vod_id: 'v1', captions: './v1.en.vtt' }, deps);
 */
export async function stageCaptions(raw: StageCaptionsInput, deps: LakeDeps, ctx: RunContext = {}): Promise<StagedCaptions> {
  const input = StageCaptionsInput.parse(raw);
  const work = join(deps.workDir, 'captions', input.vod_id);
  await mkdir(work, { recursive: true });
  const fetched = await fetchSource(input.captions, work, { signal: ctx.signal });
  try {
    const { sha256 } = await hashFile(fetched.path);
    const run_id = `asr-captions-${createHash('sha256').update(`${input.vod_id}\n${sha256}`).digest('hex').slice(0, 24)}`;
    const lake = await deps.openLake();
    try {
      const rows = await lake.all(`SELECT 1 FROM ${LAKE}.${qualifiedName(asrRuns)} WHERE run_id = ${sqlString(run_id)} LIMIT 1`);
      if (rows.length > 0) return { run_id, exists: true, transcript_key: null };
    } finally {
      lake.close();
    }
    let transcript;
    try {
      transcript = await importCaptions({ path: fetched.path });
    } catch (error) {
      if (error instanceof CaptionFormatError) throw new IngestInputError('unreadable', input.captions, error.message.replace(`${fetched.path}: `, ''));
      throw error;
    }
    const body = `${JSON.stringify({ ...transcript, config: { ...transcript.config, captions_sha256: sha256 } })}\n`;
    const local = join(work, `${run_id}.json`);
    await writeFile(local, body);
    const key = transcriptKey(input.vod_id, createHash('sha256').update(body).digest('hex'));
    await deps.store.putFileOnce(key, local, 'application/json');
    await rm(local, { force: true });
    return { run_id, exists: false, transcript_key: key };
  } finally {
    if (fetched.source.kind !== 'file') await rm(fetched.path, { force: true });
  }
}
