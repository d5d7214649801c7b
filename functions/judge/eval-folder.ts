import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** The fields of eval.json a judgment needs; the rest (metrics, gates, provenance) pass through. */
export const EvalInfo = z.looseObject({
  eval_id: z.string().min(1),
  adapter_run_id: z.string().nullable(),
  dataset_id: z.string(),
});
export type EvalInfo = z.infer<typeof EvalInfo>;

/** One line of samples.jsonl: a held-out context, its real reply and each side's generated reply. */
export const EvalSample = z.looseObject({
  pair_id: z.string().min(1),
  vod_id: z.string(),
  offset_ms: z.number(),
  context: z.string(),
  real: z.string(),
  base: z.string().nullable().optional(),
  adapter: z.string(),
  promoted: z.string().nullable().optional(),
});
export type EvalSample = z.infer<typeof EvalSample>;

export interface EvalFolder {
  dir: string;
  info: EvalInfo;
  samples: EvalSample[];
  /** Where verdicts are appended: `<dir>/judgments.jsonl`. */
  judgmentsPath: string;
}

/** An evaluation folder that is missing or malformed; `path` names the file (and line) at fault. */
export class EvalFolderError extends Error {
  constructor(
    readonly kind: 'missing' | 'invalid',
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
    this.name = 'EvalFolderError';
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string } | null)?.code === 'ENOENT') throw new EvalFolderError('missing', path, 'not found (is this a folder written by `dougpt eval`?)');
    throw error;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EvalFolderError('invalid', where, 'not JSON', { cause: error });
  }
}

function check<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new EvalFolderError('invalid', where, `${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`);
}

/**
 * Reads `<dir>/eval.json` and `<dir>/samples.jsonl` as `dougpt eval` wrote them. A sample whose
 * pair_id repeats is refused: a judgment names its sample by pair_id.
 *
 * @example
 * const folder = await loadEvalFolder('runs/r1/eval/eval-0123456789ab'); // folder.samples.length === 200
 */
export async function loadEvalFolder(dir: string): Promise<EvalFolder> {
  const infoPath = join(dir, 'eval.json');
  const info = check(EvalInfo, parseJson(await readText(infoPath), infoPath), infoPath);
  const samplesPath = join(dir, 'samples.jsonl');
  const samples: EvalSample[] = [];
  const seen = new Set<string>();
  (await readText(samplesPath)).split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${samplesPath}:${i + 1}`;
    const sample = check(EvalSample, parseJson(line, where), where);
    if (seen.has(sample.pair_id)) throw new EvalFolderError('invalid', where, `pair_id ${sample.pair_id} repeats`);
    seen.add(sample.pair_id);
    samples.push(sample);
  });
  if (!samples.length) throw new EvalFolderError('invalid', samplesPath, 'no samples');
  return { dir, info, samples, judgmentsPath: join(dir, 'judgments.jsonl') };
}
