import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { fitPacingModel } from './fit-pacing.ts';
import { AlignFileForPacing, pacingVodFromAlign, type PacingVod } from './pacing-data.ts';
import { PacingModel } from './pacing-model.ts';

/** Input the user can fix (a file that is missing or not what it should be), named in one line. */
export class SimulateInputError extends Error {
  override name = 'SimulateInputError';
}

export const FitPacingInput = z.object({
  /** `dougpt align` output files, one per VOD. */
  pairs: z.array(z.string().min(1)).min(1),
  /** Where pacing.json goes; omitted: not written. */
  out: z.string().min(1).optional(),
  /** Skip the held-out evaluation (the fit is then made once). */
  evaluate: z.boolean().default(true),
});
export type FitPacingInput = z.input<typeof FitPacingInput>;

/**
 * Reads a JSON file and checks it against `schema`; a missing file, bad JSON or the wrong shape is
 * one SimulateInputError naming the file and `what` it should have been.
 */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, what: string): Promise<{ value: T; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SimulateInputError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new SimulateInputError(`${path}: not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimulateInputError(`${path}: not ${what} (${issue?.path.join('.') || '(root)'}: ${issue?.message})`);
  }
  return { value: parsed.data, bytes };
}

/** Reads one align file for the pacing fit. */
export async function readAlignForPacing(path: string): Promise<{ vod: PacingVod; sha256: string }> {
  const { value, bytes } = await readJsonFile(path, AlignFileForPacing, '`dougpt align` output');
  return { vod: pacingVodFromAlign(value), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Writes JSON beside the target and renames it into place, so a reader never sees half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * `dougpt pacing fit --pairs A.align.json … --out pacing.json`: the pacing model of the given VODs.
 *
 * @example
 * const model = await fitPacingFromFiles({ pairs: ['a.align.json', 'b.align.json'], out: 'pacing.json' });
 * model.evaluation?.model.mae; // messages per 10 s on held-out blocks
 */
export async function fitPacingFromFiles(raw: FitPacingInput): Promise<PacingModel> {
  const input = FitPacingInput.parse(raw);
  const read = await Promise.all(input.pairs.map((path) => readAlignForPacing(path)));
  const ids = read.map((r) => r.vod.vod_id);
  const dupes = ids.filter((v, i) => ids.indexOf(v) !== i);
  if (dupes.length) throw new SimulateInputError(`two alignment files for one VOD (${[...new Set(dupes)].join(', ')}): pass one per VOD`);
  const empty = read.find((r) => r.vod.messages.length === 0);
  if (empty) throw new SimulateInputError(`${input.pairs[read.indexOf(empty)]}: no chat messages to learn the pace from`);
  const model = fitPacingModel(
    read.map((r) => r.vod),
    { evaluate: input.evaluate, sources: read.map((r, i) => ({ path: resolve(input.pairs[i] as string), sha256: r.sha256, vod_id: r.vod.vod_id })) },
  );
  if (input.out) await writeJsonAtomic(input.out, model);
  return model;
}

/** Reads and checks a pacing.json. */
export async function readPacingModel(path: string): Promise<PacingModel> {
  return (await readJsonFile(path, PacingModel, 'a pacing model')).value;
}
