import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { asrRuns, qualifiedName } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';

/** What decides a transcription's result: the same audio under the same settings is the same run. */
export const AsrRequest = z.object({
  vod_id: z.string().min(1),
  audio_key: z.string().min(1),
  audio_sha256: z.string().min(1),
  backend: z.enum(['auto', 'faster-whisper', 'pocketsphinx']).default('auto'),
  model: z.string().min(1).optional(),
  compute_type: z.string().min(1).optional(),
  chunk_s: z.number().positive().optional(),
  overlap_s: z.number().nonnegative().optional(),
});
export type AsrRequest = z.input<typeof AsrRequest>;

/** A stable id for (audio, settings), so a re-run finds the run it already made. */
export function asrRunId(request: z.output<typeof AsrRequest>): string {
  const { vod_id, audio_sha256, backend, model, compute_type, chunk_s, overlap_s } = request;
  const key = JSON.stringify({ vod_id, audio_sha256, backend, model: model ?? null, compute_type: compute_type ?? null, chunk_s: chunk_s ?? null, overlap_s: overlap_s ?? null });
  return `asr-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export const LookupAsrRunOutput = z.object({ run_id: z.string(), exists: z.boolean() });
export type LookupAsrRunOutput = z.infer<typeof LookupAsrRunOutput>;

/**
 * Whether this audio was already transcribed with these settings: the pipeline then skips the
 * GPU job entirely.
 */
export async function lookupAsrRun(raw: AsrRequest, deps: LakeDeps): Promise<LookupAsrRunOutput> {
  const request = AsrRequest.parse(raw);
  const run_id = asrRunId(request);
  const lake = await deps.openLake();
  try {
    const rows = await lake.all(`SELECT 1 FROM ${LAKE}.${qualifiedName(asrRuns)} WHERE run_id = ${sqlString(run_id)} LIMIT 1`);
    return { run_id, exists: rows.length > 0 };
  } finally {
    lake.close();
  }
}
