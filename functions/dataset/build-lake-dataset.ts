import { cp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { insertNew } from '../../catalog/insert-new.ts';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import {
  asrRuns, chatMessages, datasetExamples, datasets, memoryEntries, pairReviews, pairs, qualifiedName, vodManifest,
} from '../../catalog/tables.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { loadMemoryIndex } from '../memory/memory-index.ts';
import { loadPromptSpec } from '../prompt/prompt-spec.ts';
import { assembleDataset, DatasetInputError } from './assemble-dataset.ts';
import { readOptOut } from './build-dataset.ts';
import { DatasetConfig } from './dataset-config.ts';
import { renderDatasetCard, type DatasetSummary } from './dataset-card.ts';
import { SOURCE_COLUMNS } from './select-examples.ts';

/** Plain-JSON input of the `buildDataset` workflow and activity. */
export const BuildLakeDatasetInput = z.object({
  /** VODs to include; every VOD with an alignment when absent. */
  vod_ids: z.array(z.string().min(1)).optional(),
  /** A file (one login per line) on the worker's machine, or the logins themselves. */
  opt_out_file: z.string().min(1).optional(),
  opt_out: z.array(z.string().min(1)).optional(),
  /** Rule overrides: inline, or a JSON file on the worker's machine. */
  config: z.record(z.string(), z.unknown()).optional(),
  config_file: z.string().min(1).optional(),
  split_by: z.enum(['vod', 'block']).optional(),
  /** Also copy the export to this local folder. */
  out: z.string().min(1).optional(),
});
export type BuildLakeDatasetInput = z.input<typeof BuildLakeDatasetInput>;

export interface BuildLakeDatasetOutput {
  summary: DatasetSummary;
  export_key: string;
  out: string | null;
  /** False when this exact version was already recorded (a re-run writes nothing new). */
  created: boolean;
  rows_written: { datasets: number; dataset_examples: number; memory_entries: number };
}

export const datasetPrefix = (datasetId: string) => `gold/datasets/${datasetId}/`;

/**
 * A dataset version from the lake: the newest alignment of each VOD (the one built on the VOD's newest
 * chat file and newest transcription), human reviews applied (a reject removes a pair, an accept keeps
 * it whatever its tier), exported to `gold/datasets/<dataset_id>/` and recorded in `gold.datasets` and
 * `gold.dataset_examples`. Same inputs, same dataset id: a re-run adds no row and no object.
 */
export async function buildLakeDataset(raw: BuildLakeDatasetInput, deps: LakeDeps, ctx: RunContext = {}): Promise<BuildLakeDatasetOutput> {
  const input = BuildLakeDatasetInput.parse(raw);
  let fileConfig: unknown = {};
  if (input.config_file) {
    try {
      fileConfig = JSON.parse(await readFile(input.config_file, 'utf8'));
    } catch (error) {
      throw new DatasetInputError(`${input.config_file}: not a JSON config (${(error as Error).message})`, { cause: error });
    }
  }
  const parsed = DatasetConfig.safeParse({ ...(fileConfig as object), ...(input.config ?? {}), ...(input.split_by ? { split_by: input.split_by } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetInputError(`dataset config: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const config = parsed.data;
  const optOut = [...(input.opt_out ?? []).map((l) => l.replace(/^@/, '').toLowerCase()), ...(input.opt_out_file ? await readOptOut(input.opt_out_file) : [])];
  const spec = loadPromptSpec();
  const work = join(deps.workDir, 'datasets', `build-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  const lake = await deps.openLake();
  try {
    ctx.progress?.({ stage: 'read' });
    const chosen = await newestAlignments(lake, input.vod_ids);
    if (chosen.length === 0) throw new DatasetInputError(input.vod_ids ? `no alignment in gold.pairs for ${input.vod_ids.join(', ')}` : 'no alignment in gold.pairs yet: ingest and process a VOD first');
    const missing = (input.vod_ids ?? []).filter((v) => !chosen.some((c) => c.vod_id === v));
    if (missing.length) throw new DatasetInputError(`no alignment in gold.pairs for ${missing.join(', ')}`);
    await loadLakeSource(lake, chosen.map((c) => c.align_id));
    const [reviews] = await lake.all(`SELECT count(*) AS n, md5(coalesce(string_agg(pair_id || ':' || review, ',' ORDER BY pair_id), '')) AS h FROM src WHERE review IS NOT NULL`);
    const sources: DatasetSummary['sources'] = chosen.map((c) => ({ kind: 'lake', id: c.align_id, vod_id: c.vod_id }));
    const dir = join(work, 'export');
    const summary = await assembleDataset(lake, {
      config,
      spec,
      optOut,
      sources,
      builtFrom: 'lake',
      extraIdentity: { reviews: reviews?.h ?? null },
      out: dir,
      onStage: (stage) => ctx.progress?.({ stage }),
    });
    const exportKey = datasetPrefix(summary.dataset_id);

    ctx.progress?.({ stage: 'upload' });
    for (const file of await listFiles(dir)) {
      await deps.store.putFileOnce(`${exportKey}${relative(dir, file)}`, file, file.endsWith('.md') ? 'text/markdown' : 'application/json');
    }
    const membership = join(work, 'membership.parquet');
    await lake.run(`COPY (SELECT ${sqlString(summary.dataset_id)} AS dataset_id, pair_id, vod_id, message_id, split, align_id FROM examples) TO ${sqlString(membership)} (FORMAT parquet)`);
    const counts = { splits: summary.splits, dpo: summary.dpo_splits, dpo_negatives: summary.dpo_negatives, filtered: summary.filtered, capped: summary.capped };
    const datasetRow = {
      dataset_id: summary.dataset_id,
      split_by: summary.split_by,
      split_rule: summary.split_rule,
      prompt_spec_version: summary.prompt_spec.version,
      prompt_spec_sha256: summary.prompt_spec.sha256,
      config: JSON.stringify(summary.config),
      sources: JSON.stringify(summary.sources),
      counts: JSON.stringify(counts),
      vods: summary.vods,
      examples: summary.splits.train + summary.splits.validation + summary.splits.test,
      opt_out_logins: summary.opt_out.logins,
      opt_out_removed: summary.opt_out.removed,
      export_key: exportKey,
      card: renderDatasetCard(summary),
      created_at: new Date().toISOString(),
    };
    const staged = await stageRows(work, [datasetRow], datasets.columns);
    // The voice memory's entries, in index order, with the index's version (a rebuild from them gives its bytes).
    const memory = summary.memory ? loadMemoryIndex(join(dir, summary.memory.file)) : null;
    const memoryRows = (memory?.file.entries ?? []).map((e, entry) => ({
      dataset_id: summary.dataset_id,
      memory_sha256: memory!.sha256,
      rule: memory!.file.rule,
      entry,
      ...e,
    }));
    const stagedMemory = await stageRows(work, memoryRows, memoryEntries.columns);
    ctx.progress?.({ stage: 'commit' });
    const rows_written = await writeLake(deps, async (writer) => ({
      // Examples and memory first, the version row last: a reader that sees the version sees all its rows.
      dataset_examples: await insertNew(writer, datasetExamples, `SELECT * FROM read_parquet(${sqlString(membership)})`),
      memory_entries: memoryRows.length > 0 ? await insertNew(writer, memoryEntries, stagedMemory.sql) : 0,
      datasets: await insertNew(writer, datasets, staged.sql),
    }));
    let out: string | null = null;
    if (input.out) {
      out = resolve(input.out);
      await rm(out, { recursive: true, force: true });
      await cp(dir, out, { recursive: true });
    }
    return { summary, export_key: exportKey, out, created: rows_written.datasets > 0, rows_written };
  } finally {
    lake.close();
    await rm(work, { recursive: true, force: true });
  }
}

interface ChosenAlignment {
  vod_id: string;
  align_id: string;
}

/**
 * The newest alignment of each VOD: built on the newest manifest's chat file and the newest
 * transcription run; among several (other methods or context lengths), the highest method version.
 */
async function newestAlignments(lake: { all(sql: string): Promise<Record<string, unknown>[]> }, vodIds: string[] | undefined): Promise<ChosenAlignment[]> {
  const filter = vodIds?.length ? `WHERE p.vod_id IN (${vodIds.map(sqlString).join(', ')})` : '';
  const rows = await lake.all(`
    WITH manifest AS (
      SELECT vod_id, chat_sha256 FROM ${LAKE}.${qualifiedName(vodManifest)} QUALIFY row_number() OVER (PARTITION BY vod_id ORDER BY ingested_at DESC) = 1
    ), runs AS (
      SELECT vod_id, run_id, created_at FROM ${LAKE}.${qualifiedName(asrRuns)}
    ), candidates AS (
      SELECT DISTINCT p.vod_id, p.align_id, p.asr_run_id, p.chat_sha256, max(p.method) OVER (PARTITION BY p.align_id) AS method
      FROM ${LAKE}.${qualifiedName(pairs)} p ${filter}
    )
    SELECT c.vod_id, c.align_id FROM candidates c
    JOIN manifest m ON m.vod_id = c.vod_id AND m.chat_sha256 = c.chat_sha256
    LEFT JOIN runs r ON r.run_id = c.asr_run_id
    QUALIFY row_number() OVER (PARTITION BY c.vod_id ORDER BY r.created_at DESC NULLS LAST, c.method DESC NULLS LAST, c.align_id DESC) = 1
    ORDER BY c.vod_id`);
  return rows.map((r) => ({ vod_id: String(r.vod_id), align_id: String(r.align_id) }));
}

/** Fills `src` from gold.pairs of the chosen alignments, their latest reviews, chat flags and manifest versions. */
async function loadLakeSource(lake: { run(sql: string): Promise<void> }, alignIds: string[]): Promise<void> {
  const ids = alignIds.map(sqlString).join(', ');
  await lake.run(`CREATE OR REPLACE TEMP TABLE src AS
    WITH chosen AS (SELECT * FROM ${LAKE}.${qualifiedName(pairs)} WHERE align_id IN (${ids})),
    reviews AS (
      SELECT pair_id, verdict FROM ${LAKE}.${qualifiedName(pairReviews)}
      QUALIFY row_number() OVER (PARTITION BY pair_id ORDER BY reviewed_at DESC, review_id DESC) = 1
    ),
    versions AS (
      SELECT vod_id, chat_sha256, max(manifest_version) AS manifest_version FROM ${LAKE}.${qualifiedName(vodManifest)} GROUP BY ALL
    )
    SELECT ${SOURCE_COLUMNS.map(([name, type]) => `CAST(${sourceExpr(name)} AS ${type}) AS "${name}"`).join(',\n      ')}
    FROM chosen p
    LEFT JOIN reviews rv ON rv.pair_id = p.pair_id
    LEFT JOIN ${LAKE}.${qualifiedName(chatMessages)} m ON m.vod_id = p.vod_id AND m.chat_sha256 = p.chat_sha256 AND m.message_id = p.message_id
    LEFT JOIN versions v ON v.vod_id = p.vod_id AND v.chat_sha256 = p.chat_sha256`);
}

function sourceExpr(column: string): string {
  switch (column) {
    case 'pair_id':
      return `coalesce(p.pair_id, p.align_id || ':' || p.message_id)`;
    case 'review':
      return 'rv.verdict';
    case 'manifest_version':
      return 'v.manifest_version';
    case 'wave_id':
      // gold.pairs keeps no wave ids yet: waves are capped in file builds only.
      return 'NULL';
    case 'is_emote_only':
    case 'is_bot':
    case 'is_command':
    case 'is_deleted':
    case 'kind':
      return `m.${column}`;
    default:
      return `p.${column}`;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out.sort();
}
