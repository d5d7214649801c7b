import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SPLITS, type Split } from './dataset-config.ts';

export class DatasetDiffError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatasetDiffError';
  }
}

export interface DatasetDiff {
  a: string;
  b: string;
  /** Per split of B: examples new in it, examples of A's same split gone, examples that came from another split. */
  splits: Record<Split, { added: number; removed: number; moved_in: number }>;
  vods: Record<string, { added: number; removed: number }>;
  /** Examples present in both whose split differs: 0 unless the split rule changed. */
  moved: number;
}

interface Membership {
  id: string;
  /** pair_id → [split, vod_id] */
  rows: Map<string, [Split, string]>;
}

/** Reads the SFT membership of a dataset folder (pair id, split, VOD), streaming its files. */
export async function readMembership(dir: string): Promise<Membership> {
  if (!existsSync(join(dir, 'dataset.json'))) throw new DatasetDiffError(`${dir}: not a dataset folder (no dataset.json)`);
  const rows = new Map<string, [Split, string]>();
  let id = dir;
  for (const split of SPLITS) {
    const path = join(dir, 'sft', `${split}.jsonl`);
    if (!existsSync(path)) continue;
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (!line) continue;
      const row = JSON.parse(line) as { pair_id: string; vod_id: string; dataset_id: string };
      rows.set(row.pair_id, [split, row.vod_id]);
      id = row.dataset_id;
    }
  }
  return { id, rows };
}

/**
 * What changed between two dataset versions.
 *
 * @example
 * const d = await diffDatasets('ds-v1/', 'ds-v2/');
 * d.moved; // 0: adding a VOD never moves an example to another split
 */
export async function diffDatasets(dirA: string, dirB: string): Promise<DatasetDiff> {
  const [a, b] = await Promise.all([readMembership(dirA), readMembership(dirB)]);
  return diffMemberships(a, b);
}

export function diffMemberships(a: Membership, b: Membership): DatasetDiff {
  const splits = Object.fromEntries(SPLITS.map((s) => [s, { added: 0, removed: 0, moved_in: 0 }])) as DatasetDiff['splits'];
  const vods: DatasetDiff['vods'] = {};
  const vod = (id: string) => (vods[id] ??= { added: 0, removed: 0 });
  let moved = 0;
  for (const [pairId, [split, vodId]] of b.rows) {
    const before = a.rows.get(pairId);
    if (!before) {
      splits[split].added++;
      vod(vodId).added++;
    } else if (before[0] !== split) {
      moved++;
      splits[split].moved_in++;
    }
  }
  for (const [pairId, [split, vodId]] of a.rows) {
    if (!b.rows.has(pairId)) {
      splits[split].removed++;
      vod(vodId).removed++;
    }
  }
  return { a: a.id, b: b.id, splits, vods, moved };
}
