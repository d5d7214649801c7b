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
 * Memory DuckDB's buffer pool may use before spilling to disk. A million-pair build peaks at 1.1–1.2 GiB
 * RSS with this; with 512 MB the pairs spill and are read back by every rule (≈ 10% more CPU time),
 * with 1 GB the peak reaches 1.5–1.6 GiB for no further gain.
 */
const DUCKDB_MEMORY = '768MB';
/**
 * The align output fields the dataset reads; other fields are ignored. Pairs and rejects are read as one
 * row type (a reject fills `vod_id`, `message_id`, `offset_ms` and `reason`), so one list holds both.
 */
const ROW_STRUCT = `STRUCT(pair_id VARCHAR, vod_id VARCHAR, message_id VARCHAR, reply_text VARCHAR, context_start_ms BIGINT,
  context_end_ms BIGINT, context_text VARCHAR, lag_ms BIGINT, score DOUBLE, tier INTEGER, label VARCHAR, offset_ms BIGINT,
  author_login VARCHAR, transcript_sha256 VARCHAR, chat_sha256 VARCHAR, wave_id VARCHAR, reason VARCHAR)[]`;
/** The fields of `src` only a pair fills (a reject gives its VOD, message, offset and reason). */
const PAIR_ONLY = ['reply_text', 'context_start_ms', 'context_end_ms', 'context_text', 'lag_ms', 'score', 'tier', 'label', 'author_login', 'chat_sha256', 'wave_id'];

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
    // `align_part` (head, pair or reject) is the file loader's own; the rules read the other columns.
    await session.run(`CREATE TEMP TABLE src (${SOURCE_COLUMNS.map(([n, t]) => `"${n}" ${t}`).join(', ')}, align_part VARCHAR)`);
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
 * Loads the align output files' pairs and rejects into `src` in one pass: a `read_json` over all the
 * files (DuckDB parses them in parallel and streams each file's lists straight into rows), once
 * `hashing` has given their ids; returns each file's VOD id and sha256. A file that is not align
 * output is named in the error.
 *
 * Each file gives one list: a head element (NULL: it stands for the file itself, so a file with no
 * pairs still shows), then its pairs, then its rejects; `align_part` tells them apart.
 */
async function loadAlignFiles(
  session: SqlSession,
  files: ReadonlyArray<{ path: string; bytes: number }>,
  hashing: Promise<ReadonlyArray<{ sha256: string }>>,
): Promise<{ vodIds: string[]; sha256: string[] }> {
  // Each file is one JSON object: DuckDB's reader must be allowed one object of the largest file's size.
  const maxObject = Math.max(16 << 20, ...files.map((f) => f.bytes + 4096));
  const columns = `columns = {vod_id: 'VARCHAR', pairs: '${ROW_STRUCT.replaceAll('\n', ' ')}', rejects: '${ROW_STRUCT.replaceAll('\n', ' ')}'}`;
  const read = (paths: readonly string[]) =>
    `read_json([${paths.map(sqlString).join(', ')}], format = 'auto', records = true, maximum_object_size = ${maxObject}, filename = true, ${columns})`;
  const notAlign = (path: string, error: unknown) =>
    new DatasetInputError(`${path}: not \`dougpt align\` output (${(error as Error).message.split('\n')[0]})`, { cause: error });
  const paths = [...new Set(files.map((f) => f.path))];
  // A file without a pairs list gives no list, hence no head: it is refused below.
  const list = `CASE WHEN pairs IS NOT NULL THEN list_concat([NULL], pairs, rejects) END`;
  const part = `CASE WHEN i = 1 THEN 'head' WHEN i <= n_pairs + 1 THEN 'pair' ELSE 'reject' END`;
  // The rows carry their file's id: the hashes come first (an UPDATE of a million rows would hold them in memory).
  const sha256 = (await hashing).map((h) => h.sha256);
  await session.run(`CREATE OR REPLACE TEMP TABLE align_ids AS SELECT * FROM (VALUES ${paths.map((p) => `(${sqlString(p)}, ${sqlString(`file-${sha256[files.findIndex((f) => f.path === p)]?.slice(0, 16)}`)})`).join(', ')}) t(filename, align_id)`);
  try {
    await session.run(`INSERT INTO src BY NAME
      SELECT CASE part WHEN 'pair' THEN r.pair_id WHEN 'reject' THEN align_id || ':' || r.message_id END AS pair_id,
             coalesce(r.vod_id, file_vod_id) AS vod_id, r.message_id, r.offset_ms, ${PAIR_ONLY.map((f) => `CASE part WHEN 'pair' THEN r.${f} END AS ${f}`).join(', ')},
             CASE part WHEN 'head' THEN filename ELSE align_id END AS align_id, CASE part WHEN 'reject' THEN r.reason END AS reject_reason,
             part AS align_part
      FROM (SELECT *, ${part} AS part FROM (
        SELECT filename, vod_id AS file_vod_id, len(pairs) AS n_pairs, unnest(${list}) AS r, generate_subscripts(${list}, 1) AS i
        FROM ${read(paths)}) JOIN align_ids USING (filename))`);
  } catch (error) {
    // Name the file: read each alone until one fails.
    for (const path of paths) await session.run(`SELECT count(*) FROM ${read([path])}`).catch((e: unknown) => Promise.reject(notAlign(path, e)));
    throw error;
  }
  await session.run('DROP TABLE align_ids');
  // A head row names its file in `align_id`.
  const heads = new Map<string, Record<string, unknown>>();
  for (const row of await session.all(`SELECT align_id AS filename, count(*) AS n, any_value(vod_id) AS vod_id FROM src WHERE align_part = 'head' GROUP BY 1`)) {
    heads.set(String(row.filename), row);
  }
  const vodIds = files.map((f) => {
    const head = heads.get(f.path);
    if (!head || Number(head.n) !== 1 || typeof head.vod_id !== 'string') throw notAlign(f.path, new Error('no vod_id and pairs at the top level'));
    return head.vod_id;
  });
  await session.run(`DELETE FROM src WHERE align_part = 'head'`);
  return { vodIds, sha256 };
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
