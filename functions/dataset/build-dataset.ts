import { readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { z, ZodError } from 'zod';
import { sqlString } from '../../catalog/lake.ts';
import { hashFile } from '../ingest/hash-file.ts';
import { loadPromptSpec } from '../prompt/prompt-spec.ts';
import { assembleDataset, DatasetInputError } from './assemble-dataset.ts';
import { DatasetConfig } from './dataset-config.ts';
import type { DatasetSummary } from './dataset-card.ts';
import { SOURCE_COLUMNS } from './select-examples.ts';
import { profiledWhenAsked, type SqlSession } from './sql-session.ts';

export const BuildDatasetInput = z.object({
  /** `dougpt align` output files, one per VOD. */
  pairs: z.array(z.string().min(1)).min(1),
  /** One login per line; their messages are removed. */
  optOut: z.string().min(1).optional(),
  /** JSON file overriding DatasetConfig fields. */
  config: z.string().min(1).optional(),
  splitBy: z.enum(['vod', 'block']).optional(),
  out: z.string().min(1),
  promptSpec: z.string().min(1).optional(),
});
export type BuildDatasetInput = z.input<typeof BuildDatasetInput>;

/**
 * Memory DuckDB's buffer pool may use before spilling to disk. A million-pair build peaks at 1.4–1.5 GiB
 * RSS with this (768 MB: up to 1.9 GiB, the export's string work allocating beside the pool), no slower.
 */
const DUCKDB_MEMORY = '512MB';
/** Align files read in one go: their nested pair lists fit in DuckDB's memory, so they never spill. */
const ALIGN_BATCH_BYTES = 256 << 20;

/** The align output fields the dataset reads; other fields are ignored. */
const PAIR_STRUCT = `STRUCT(pair_id VARCHAR, vod_id VARCHAR, message_id VARCHAR, reply_text VARCHAR, context_start_ms BIGINT,
  context_end_ms BIGINT, context_text VARCHAR, lag_ms BIGINT, score DOUBLE, tier INTEGER, label VARCHAR, offset_ms BIGINT,
  author_login VARCHAR, transcript_sha256 VARCHAR, chat_sha256 VARCHAR, wave_id VARCHAR)[]`;
const REJECT_STRUCT = `STRUCT(vod_id VARCHAR, message_id VARCHAR, reason VARCHAR, offset_ms BIGINT)[]`;

/**
 * `dougpt dataset build --pairs A.json …`: a dataset version from alignment files, no server.
 *
 * @example
 * const summary = await buildDatasetFromFiles({ pairs: ['vod1.align.json'], out: 'ds/' });
 * summary.splits; // { train: 812, validation: 97, test: 104 }
 */
export async function buildDatasetFromFiles(raw: BuildDatasetInput, hooks: { onStage?: (stage: string) => void } = {}): Promise<DatasetSummary & { out: string }> {
  const input = BuildDatasetInput.parse(raw);
  const config = await readConfig(input.config, input.splitBy);
  const optOut = input.optOut ? await readOptOut(input.optOut) : [];
  const spec = loadPromptSpec(input.promptSpec);
  hooks.onStage?.('read');
  const cannotRead = (path: string, error: unknown) =>
    new DatasetInputError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  const files = await Promise.all(
    input.pairs.map(async (path) => {
      try {
        return { path: resolve(path), bytes: (await stat(path)).size };
      } catch (error) {
        throw cannotRead(path, error);
      }
    }),
  );
  // The files' hashes (their ids) are computed while DuckDB parses them.
  const hashing = Promise.all(input.pairs.map((path) => hashFile(path).catch((error: unknown) => Promise.reject(cannotRead(path, error)))));
  hashing.catch(() => undefined);
  const scratch = await mkdtemp(join(tmpdir(), 'dougpt-dataset-'));
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: DUCKDB_MEMORY,
    temp_directory: scratch,
    preserve_insertion_order: 'false',
    threads: '2',
  });
  const connection = await instance.connect();
  const session: SqlSession = {
    run: async (sql: string) => void (await connection.run(sql)),
    all: async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
  };
  try {
    await session.run(`CREATE TEMP TABLE src (${SOURCE_COLUMNS.map(([n, t]) => `"${n}" ${t}`).join(', ')})`);
    const { vodIds, sha256 } = await loadAlignFiles(profiledWhenAsked(session), files, hashing);
    const sources: DatasetSummary['sources'] = files.map((file, i) => ({ kind: 'file', id: sha256[i] as string, vod_id: vodIds[i] as string, path: file.path }));
    const dupes = sources.map((s) => s.vod_id).filter((v, i, all) => all.indexOf(v) !== i);
    if (dupes.length) throw new DatasetInputError(`two alignment files for one VOD (${[...new Set(dupes)].join(', ')}): pass one per VOD`);
    const summary = await assembleDataset(session, { config, spec, optOut, sources, builtFrom: 'files', out: resolve(input.out), onStage: hooks.onStage });
    return { ...summary, out: resolve(input.out) };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Loads the align output files' pairs and rejects into `src`, a `read_json` over a batch of files at a
 * time (DuckDB reads a batch's files in parallel), while `hashing` computes their ids; returns each file's VOD id and
 * sha256. A file that is not align output is named in the error.
 */
async function loadAlignFiles(
  session: SqlSession,
  files: ReadonlyArray<{ path: string; bytes: number }>,
  hashing: Promise<ReadonlyArray<{ sha256: string }>>,
): Promise<{ vodIds: string[]; sha256: string[] }> {
  // Each file is one JSON object: DuckDB's reader must be allowed one object of the largest file's size.
  const maxObject = Math.max(16 << 20, ...files.map((f) => f.bytes + 4096));
  const columns = `columns = {vod_id: 'VARCHAR', pairs: '${PAIR_STRUCT.replaceAll('\n', ' ')}', rejects: '${REJECT_STRUCT}'}`;
  const read = (paths: readonly string[]) =>
    `read_json([${paths.map(sqlString).join(', ')}], format = 'auto', records = true, maximum_object_size = ${maxObject}, filename = true, ${columns})`;
  const notAlign = (path: string, error: unknown) =>
    new DatasetInputError(`${path}: not \`dougpt align\` output (${(error as Error).message.split('\n')[0]})`, { cause: error });
  const heads = new Map<string, Record<string, unknown>>();
  const checkedVodId = (path: string) => {
    const head = heads.get(path);
    if (!head || Number(head.n) !== 1 || head.no_pairs || typeof head.vod_id !== 'string') throw notAlign(path, new Error('no vod_id and pairs at the top level'));
    return head.vod_id;
  };
  let sha256: string[] | undefined;
  // A batch's nested pair lists stay in memory (no spilling) until they are unnested into `src`.
  for (const batch of batches([...new Map(files.map((f) => [f.path, f])).values()], ALIGN_BATCH_BYTES)) {
    try {
      await session.run(`CREATE OR REPLACE TEMP TABLE align_files AS SELECT filename, vod_id, pairs, rejects FROM ${read(batch)}`);
    } catch (error) {
      // Name the file: read each alone until one fails.
      for (const path of batch) await session.run(`SELECT count(*) FROM ${read([path])}`).catch((e: unknown) => Promise.reject(notAlign(path, e)));
      throw error;
    }
    for (const row of await session.all(`SELECT filename, count(*) AS n, any_value(vod_id) AS vod_id, bool_or(pairs IS NULL) AS no_pairs FROM align_files GROUP BY 1`)) {
      heads.set(String(row.filename), row);
    }
    batch.forEach(checkedVodId);
    if (!sha256) {
      sha256 = (await hashing).map((h) => h.sha256);
      await session.run(`CREATE OR REPLACE TEMP TABLE align_ids AS SELECT * FROM (VALUES ${files.map((f, i) => `(${sqlString(f.path)}, ${sqlString(`file-${sha256?.[i]?.slice(0, 16)}`)})`).join(', ')}) t(filename, align_id)`);
    }
    await session.run(`INSERT INTO src BY NAME
      SELECT p.pair_id, coalesce(p.vod_id, f.vod_id) AS vod_id, p.message_id, p.reply_text, p.context_start_ms, p.context_end_ms,
             p.context_text, p.lag_ms, p.score, p.tier, p.label, p.offset_ms, p.author_login, f.align_id,
             NULL AS asr_run_id, p.chat_sha256, NULL AS manifest_version, NULL AS reject_reason, NULL AS review, p.wave_id
      FROM (SELECT vod_id, align_id, unnest(pairs) AS p FROM align_files JOIN align_ids USING (filename)) f`);
    await session.run(`INSERT INTO src BY NAME
      SELECT f.align_id || ':' || r.message_id AS pair_id, coalesce(r.vod_id, f.vod_id) AS vod_id, r.message_id,
             r.offset_ms, f.align_id, r.reason AS reject_reason
      FROM (SELECT vod_id, align_id, unnest(coalesce(rejects, [])) AS r FROM align_files JOIN align_ids USING (filename)) f`);
    await session.run('DROP TABLE align_files');
  }
  await session.run('DROP TABLE IF EXISTS align_ids');
  const vodIds = files.map((f) => checkedVodId(f.path));
  return { vodIds, sha256: sha256 ?? [] };
}

/** Consecutive groups of files of at most `maxBytes` together (a bigger file is a group of its own). */
function batches(files: ReadonlyArray<{ path: string; bytes: number }>, maxBytes: number): string[][] {
  const groups: string[][] = [];
  let bytes = Infinity;
  for (const file of files) {
    if (bytes + file.bytes > maxBytes) {
      groups.push([]);
      bytes = 0;
    }
    groups.at(-1)?.push(file.path);
    bytes += file.bytes;
  }
  return groups;
}

async function readConfig(path: string | undefined, splitBy: 'vod' | 'block' | undefined): Promise<DatasetConfig> {
  let overrides: unknown = {};
  if (path) {
    try {
      overrides = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new DatasetInputError(`${path}: not a JSON config (${(error as Error).message})`, { cause: error });
    }
  }
  try {
    return DatasetConfig.parse({ ...(overrides as object), ...(splitBy ? { split_by: splitBy } : {}) });
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      throw new DatasetInputError(`${path ?? 'config'}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, { cause: error });
    }
    throw error;
  }
}

/** One login per line; `@` prefixes, blank lines and `#` comments ignored. */
export async function readOptOut(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetInputError(`${path}: cannot read the opt-out list (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim().replace(/^@/, '').toLowerCase())
    .filter((l) => l.length > 0);
}
