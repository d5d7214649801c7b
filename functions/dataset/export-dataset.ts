import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { DuckDBConnection } from '@duckdb/node-api';
import { renderContext, renderMessages, type LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { SPLITS, type Split } from './dataset-config.ts';
import type { NameScrubber } from './scrub-names.ts';

/** Provenance columns every exported row carries (DESIGN.md: every row names what it came from). */
export const PROVENANCE_COLUMNS = [
  'vod_id', 'message_id', 'pair_id', 'offset_ms', 'context_start_ms', 'context_end_ms', 'lag_ms', 'score', 'tier',
  'label', 'align_id', 'asr_run_id', 'chat_sha256', 'manifest_version',
] as const;

export interface ExportTarget {
  dir: string;
  datasetId: string;
  spec: LoadedPromptSpec;
  scrubber: NameScrubber;
}

/** Lines written per split, for each config. */
export interface ExportCounts {
  sft: Record<Split, number>;
  dpo: Record<Split, number>;
}

class SplitWriters {
  private readonly streams = new Map<Split, WriteStream>();
  readonly counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  constructor(private readonly dir: string) {}
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const split of SPLITS) this.streams.set(split, createWriteStream(join(this.dir, `${split}.jsonl`)));
  }
  async write(split: Split, row: unknown): Promise<void> {
    const stream = this.streams.get(split);
    if (!stream) throw new Error(`dataset export: unknown split ${split}`);
    this.counts[split]++;
    if (!stream.write(`${JSON.stringify(row)}\n`)) await once(stream, 'drain');
  }
  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())))));
  }
}

/** One pass: every example, with its DPO partner when it has one (a prompt is rendered once for both). */
const EXPORT_SQL = `SELECT ${PROVENANCE_COLUMNS.map((c) => `e.${c}`).join(', ')}, e.reply_text, e.context_text, e.split,
    d.rejected_pair_id, d.rejected_vod_id, d.rejected_offset_ms, d.rejected_text
  FROM examples e LEFT JOIN dpo d ON d.pair_id = e.pair_id
  ORDER BY e.split, e.vod_id, e.offset_ms, e.message_id`;

/**
 * Streams the `examples` and `dpo` tables into `<dir>/sft/<split>.jsonl` and `<dir>/dpo/<split>.jsonl`
 * (TRL's conversational prompt-completion and preference layouts), rendering each prompt with the
 * prompt spec and scrubbing viewer names. Chunks of rows, never the whole table, are in memory.
 */
export async function exportExamples(connection: DuckDBConnection, target: ExportTarget): Promise<ExportCounts> {
  const { spec } = target.spec;
  const sft = new SplitWriters(join(target.dir, 'sft'));
  const dpo = new SplitWriters(join(target.dir, 'dpo'));
  await sft.open();
  await dpo.open();
  try {
    const result = await connection.stream(EXPORT_SQL);
    for await (const rows of result.yieldRowObjectJson()) {
      for (const row of rows) {
        const context = target.scrubber.scrub(String(row.context_text ?? ''));
        const prompt = renderMessages(spec, context);
        const provenance: Record<string, unknown> = {};
        for (const column of PROVENANCE_COLUMNS) provenance[column] = numeric(column, row[column]);
        const split = row.split as Split;
        const chosen = [{ role: 'assistant', content: target.scrubber.scrub(String(row.reply_text)) }];
        await sft.write(split, { prompt, completion: chosen, context: renderContext(spec, context), ...provenance, dataset_id: target.datasetId, split });
        if (row.rejected_pair_id === null || row.rejected_pair_id === undefined) continue;
        await dpo.write(split, {
          prompt,
          chosen,
          rejected: [{ role: 'assistant', content: target.scrubber.scrub(String(row.rejected_text)) }],
          ...provenance,
          rejected_pair_id: row.rejected_pair_id,
          rejected_vod_id: row.rejected_vod_id,
          rejected_offset_ms: numeric('offset_ms', row.rejected_offset_ms),
          dataset_id: target.datasetId,
          split,
        });
      }
    }
  } finally {
    await sft.close();
    await dpo.close();
  }
  return { sft: sft.counts, dpo: dpo.counts };
}

/** DuckDB's JSON rows give BIGINTs as strings; the export keeps numbers numbers. */
function numeric(column: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (/_ms$|^tier$|^manifest_version$|^score$/.test(column)) return Number(value);
  return value;
}

/**
 * Writes the export into a fresh sibling folder and renames it into place at the end, so a failed or
 * killed build never leaves a half-written dataset where a reader looks.
 */
export async function withFreshDir<T>(dir: string, work: (tempDir: string) => Promise<T>): Promise<T> {
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  try {
    const result = await work(temp);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
    return result;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
