import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, type GenerateSampleOutput } from '../../functions/sample/generate-sample.ts';

const made = new Map<number, Promise<GenerateSampleOutput>>();
const dir = mkdtempSync(join(tmpdir(), 'dougpt-samples-'));
// Gone with the test process (ingested copies live in the stack's object store).
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A short synthetic stream (video + TwitchDownloader chat), made once per seed per test file. */
export function sample(seed: number, durationMs = 30_000): Promise<GenerateSampleOutput> {
  let pending = made.get(seed);
  if (!pending) {
    pending = generateSample({ outDir: join(dir, `seed${seed}`), seed, durationMs });
    made.set(seed, pending);
  }
  return pending;
}

export const scratchDir = dir;
