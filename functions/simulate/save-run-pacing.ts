import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fitPacingFromFiles, SimulateInputError } from './fit-pacing-files.ts';
import { PACING_FILE } from './simulate-inputs.ts';

const DatasetSources = z.object({ sources: z.array(z.object({ kind: z.string(), path: z.string().optional() })) });

/**
 * After training from a dataset folder: fits the pacing model to the dataset's own align files (its
 * `dataset.json` names them) and saves `pacing.json` in the run folder, so `dougpt simulate --adapter
 * RUN` paces chat like the chat the adapter learnt from. Returns what it did: the path written, or
 * why not (a dataset built from the lake, or align files no longer where they were).
 *
 * @example
 * await saveRunPacing({ dataset: 'ds/', out: 'runs/r1' }); // { path: 'runs/r1/pacing.json' }
 */
export async function saveRunPacing(args: { dataset: string; out: string }): Promise<{ path: string } | { skipped: string }> {
  let sources: z.infer<typeof DatasetSources>['sources'];
  try {
    sources = DatasetSources.parse(JSON.parse(await readFile(join(args.dataset, 'dataset.json'), 'utf8'))).sources;
  } catch {
    return { skipped: `${args.dataset}: no readable dataset.json` };
  }
  const paths = sources.map((s) => (s.kind === 'file' ? s.path : undefined));
  if (paths.length === 0 || paths.some((p) => p === undefined)) return { skipped: 'the dataset was built from the lake: the simulation fits the pace from the VOD\'s alignment' };
  const missing = paths.find((p) => !existsSync(p as string));
  if (missing) return { skipped: `${missing}: the dataset's align file is gone` };
  const path = join(args.out, PACING_FILE);
  try {
    await fitPacingFromFiles({ pairs: paths as string[], out: path });
  } catch (error) {
    if (error instanceof SimulateInputError) return { skipped: error.message };
    throw error;
  }
  return { path };
}
