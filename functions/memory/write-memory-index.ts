import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildMemoryIndex, MEMORY_RULE, MemoryIndexError, memoryIndexText, type MemoryEntry, type MemoryOptions } from './memory-index.ts';

/** The file name of a dataset folder's memory index. */
export const MEMORY_FILE = 'memory.json';

/** What `dataset.json` records of the memory: its rule, version (sha256 of the file) and size. */
export interface MemorySummary {
  rule: string;
  file: string;
  sha256: string;
  entries: number;
}

/**
 * The memory entries of an exported SFT train split (`sft/train.jsonl`): each row's rendered, scrubbed
 * context, its real reply, vod_id, offset_ms and pair_id, in file order. A row of another split is refused:
 * the memory holds train examples only, so evaluation never recalls a held-out reply.
 */
export async function readTrainMoments(path: string): Promise<MemoryEntry[]> {
  const out: MemoryEntry[] = [];
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    if (row.split !== 'train') throw new MemoryIndexError(`${path}:${number}: split is ${JSON.stringify(row.split)}, the memory takes train rows only`);
    const completion = row.completion as Array<{ content?: unknown }> | undefined;
    const reply = completion?.[0]?.content;
    if (typeof row.context !== 'string' || typeof reply !== 'string' || typeof row.pair_id !== 'string' || typeof row.vod_id !== 'string' || typeof row.offset_ms !== 'number') {
      throw new MemoryIndexError(`${path}:${number}: needs context, completion, pair_id, vod_id and offset_ms`);
    }
    out.push({ pair_id: row.pair_id, vod_id: row.vod_id, offset_ms: row.offset_ms, context: row.context, reply });
  }
  return out;
}

/**
 * Builds the memory index of an exported dataset folder from its train split and writes `<dir>/memory.json`
 * (or `out`). The same folder gives the same bytes.
 *
 * @example
 * const memory = await writeMemoryIndex('./ds', 'ds-0123');  // { rule, file: 'memory.json', sha256, entries }
 */
export async function writeMemoryIndex(dir: string, datasetId: string, options?: MemoryOptions, out = join(dir, MEMORY_FILE)): Promise<MemorySummary> {
  const entries = await readTrainMoments(join(dir, 'sft', 'train.jsonl'));
  const text = memoryIndexText(buildMemoryIndex(datasetId, entries, options));
  await writeFile(out, text);
  return { rule: MEMORY_RULE, file: MEMORY_FILE, sha256: createHash('sha256').update(text).digest('hex'), entries: entries.length };
}
