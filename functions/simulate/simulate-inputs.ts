import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transcript } from '../transcribe/transcript.ts';
import { fitPacingFromFiles, readJsonFile, SimulateInputError } from './fit-pacing-files.ts';
import { fitPacingModel } from './fit-pacing.ts';
import { pacingVodFromAlign, type AlignFileForPacing } from './pacing-data.ts';
import { readAnyPacing } from './pacing-chat-files.ts';
import type { SimulationPacing } from './plan-messages.ts';

/** The file name of the pacing model beside an adapter (`dougpt train`'s run folder, `gold/adapters/<run_id>/`). */
export const PACING_FILE = 'pacing.json';

/** Reads a `dougpt transcribe` output file. */
export async function readTranscriptFile(path: string): Promise<Transcript> {
  const { value } = await readJsonFile(path, Transcript, '`dougpt transcribe` output');
  if (value.words.length === 0) throw new SimulateInputError(`${path}: the transcript has no words`);
  return value;
}

export interface PacingSources {
  /** A pacing.json (either version). */
  pacing?: string;
  /** Align files to fit on the fly. */
  pairs?: readonly string[];
  /** An adapter's run folder or GGUF: its folder's pacing.json, if it has one. */
  adapter?: string;
  /** The VOD's own alignment (lake mode), fit on the fly as a last resort. */
  alignment?: () => Promise<AlignFileForPacing | null>;
}

/**
 * The pacing model to simulate with, and where it came from, in this order: `pacing` (a file),
 * `pairs` (fit now from align files), the adapter's own pacing.json (saved by training), the VOD's
 * own alignment (fit now).
 *
 * @example
 * const { model, source } = await resolvePacing({ adapter: 'runs/r1' }); // source 'runs/r1/pacing.json'
 */
export async function resolvePacing(sources: PacingSources): Promise<{ model: SimulationPacing; source: string }> {
  if (sources.pacing) return { model: await readAnyPacing(sources.pacing), source: sources.pacing };
  if (sources.pairs && sources.pairs.length > 0) {
    return { model: await fitPacingFromFiles({ pairs: [...sources.pairs], evaluate: false }), source: `fit from ${sources.pairs.join(', ')}` };
  }
  if (sources.adapter) {
    const dir = sources.adapter.endsWith('.gguf') ? dirname(sources.adapter) : sources.adapter;
    const path = join(dir, PACING_FILE);
    if (existsSync(path)) return { model: await readAnyPacing(path), source: path };
  }
  const alignment = await sources.alignment?.();
  if (alignment) {
    const vod = pacingVodFromAlign(alignment);
    if (vod.messages.length > 0) return { model: fitPacingModel([vod], { evaluate: false }), source: `fit from the newest alignment of ${alignment.vod_id}` };
  }
  throw new SimulateInputError('no pacing model: give --pacing pacing.json or --pairs A.align.json …, or an --adapter whose run folder holds pacing.json');
}
