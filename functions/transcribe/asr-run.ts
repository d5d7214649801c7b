import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { asrRuns, qualifiedName } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';

/**
 * The recogniser a transcription really uses: `auto` resolved, the model that backend loads, and (from
 * workers that report them) the model file's sha256, device, compute type, language and decoding options.
 */
export const ResolvedAsrBackend = z.object({
  backend: z.enum(['faster-whisper', 'pocketsphinx']),
  model: z.string().min(1),
  model_sha256: z.string().nullable().optional(),
  device: z.string().nullable().optional(),
  compute_type: z.string().nullable().optional(),
  language: z.string().nullable().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
export type ResolvedAsrBackend = z.infer<typeof ResolvedAsrBackend>;

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
  /**
   * The backend and model the GPU worker resolved the request to (`resolveAsrBackend`). Workflows
   * started before it existed look runs up without it, under the id of the requested settings.
   */
  resolved: ResolvedAsrBackend.optional(),
});
export type AsrRequest = z.input<typeof AsrRequest>;

/**
 * A stable id for (audio, backend really used, model really used, settings that shape its words), so a
 * re-run finds the run it already made, and a run on another backend (a GPU where a CPU ran before)
 * gets an id of its own.
 *
 * @example
 * asrRunId({ vod_id: 'v1', audio_sha256: sha, ... }, { backend: 'pocketsphinx', model: 'pocketsphinx-5.1.1/en-us' })
 */
export function asrRunId(request: z.output<typeof AsrRequest>, resolved: ResolvedAsrBackend): string {
  const { vod_id, audio_sha256, compute_type, chunk_s, overlap_s } = request;
  const whisper = resolved.backend === 'faster-whisper';
  const { backend, model, ...what } = resolved;
  const key = JSON.stringify({
    vod_id,
    audio_sha256,
    backend,
    model,
    compute_type: whisper ? (compute_type ?? null) : null,
    chunk_s: chunk_s ?? null,
    overlap_s: overlap_s ?? null,
    // Workers that report the model's sha256 and the decoding options: these decide the words too.
    ...(Object.keys(what).length > 0 ? { resolved: canonical(what) } : {}),
  });
  return `asr-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

/** A value with its object keys sorted, so the id does not depend on the order Python printed them in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

/** The id runs had before backends were resolved: the requested settings, `auto` included. */
function requestedSettingsRunId(request: z.output<typeof AsrRequest>): string {
  const { vod_id, audio_sha256, backend, model, compute_type, chunk_s, overlap_s } = request;
  const key = JSON.stringify({ vod_id, audio_sha256, backend, model: model ?? null, compute_type: compute_type ?? null, chunk_s: chunk_s ?? null, overlap_s: overlap_s ?? null });
  return `asr-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export const LookupAsrRunOutput = z.object({ run_id: z.string(), exists: z.boolean() });
export type LookupAsrRunOutput = z.infer<typeof LookupAsrRunOutput>;

/**
 * Whether this audio was already transcribed with these settings on the backend and model they
 * resolve to: the pipeline then skips the GPU job entirely.
 */
export async function lookupAsrRun(raw: AsrRequest, deps: LakeDeps): Promise<LookupAsrRunOutput> {
  const request = AsrRequest.parse(raw);
  const run_id = request.resolved ? asrRunId(request, request.resolved) : requestedSettingsRunId(request);
  const lake = await deps.openLake();
  try {
    const rows = await lake.all(`SELECT 1 FROM ${LAKE}.${qualifiedName(asrRuns)} WHERE run_id = ${sqlString(run_id)} LIMIT 1`);
    return { run_id, exists: rows.length > 0 };
  } finally {
    lake.close();
  }
}
