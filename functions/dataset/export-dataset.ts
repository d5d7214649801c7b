import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sqlString } from '../../catalog/lake.ts';
import type { LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { SPLITS, type Split } from './dataset-config.ts';
import { defineJsonMacros } from './json-sql.ts';
import type { NameRules } from './scrub-names.ts';
import { scrubNamesSql } from './scrub-names-sql.ts';
import { profiledWhenAsked, type SqlSession } from './sql-session.ts';

/** Provenance columns every exported row carries (DESIGN.md: every row names what it came from). */
export const PROVENANCE_COLUMNS = [
  'vod_id', 'message_id', 'pair_id', 'offset_ms', 'context_start_ms', 'context_end_ms', 'lag_ms', 'score', 'tier',
  'label', 'align_id', 'asr_run_id', 'chat_sha256', 'manifest_version',
] as const;

export interface ExportTarget {
  dir: string;
  datasetId: string;
  spec: LoadedPromptSpec;
  /** Whose names are scrubbed from prompts and replies (scrub-names.ts). */
  names: NameRules;
}

/** Lines written per split, for each config. */
export interface ExportCounts {
  sft: Record<Split, number>;
  dpo: Record<Split, number>;
}

/**
 * JavaScript's `\s` (what `renderContext` splits on): RE2's `\s` lacks \v and the Unicode spaces.
 * Exported for the parity test.
 */
export const JS_WHITESPACE_CLASS = '[\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}]';

/**
 * Defines `dg_render_context(text)`: `renderContext` of prompt-spec.ts in SQL (whitespace runs
 * collapsed, the last `max_words` words, the spec's `empty` text when nothing was said).
 */
export async function defineRenderContext(session: SqlSession, spec: LoadedPromptSpec['spec']): Promise<void> {
  const max = spec.context.max_words;
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_collapse_ws(t) AS trim(regexp_replace(t, '${JS_WHITESPACE_CLASS}+', ' ', 'g'), ' ')`);
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_last_words(w) AS
    CASE
      WHEN w = '' THEN ${sqlString(spec.context.empty)}
      WHEN strlen(w) - strlen(replace(w, ' ', '')) < ${max} THEN w
      ELSE array_to_string(string_split(w, ' ')[-${max}:], ' ')
    END`);
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_render_context(t) AS dg_last_words(dg_collapse_ws(t))`);
}

/**
 * Writes the `examples` and `dpo` tables as `<dir>/sft/<split>.jsonl` and `<dir>/dpo/<split>.jsonl`
 * (TRL's conversational prompt-completion and preference layouts), each prompt rendered as
 * `renderMessages` renders it and viewer names scrubbed as `createNameScrubber` scrubs them.
 *
 * All of it runs in DuckDB: the names are scrubbed once per text (a DPO row's rejected reply is
 * another example's reply), each line is assembled as the JSON text `JSON.stringify` would write
 * (json-sql.ts), and `COPY` writes the lines in (vod, offset, message) order. Nothing row by row passes
 * through JavaScript, and DuckDB spills to disk rather than holding the export in memory.
 */
export async function exportExamples(connection: SqlSession, target: ExportTarget): Promise<ExportCounts> {
  const db = profiledWhenAsked(connection);
  const { spec } = target.spec;
  await defineJsonMacros(db);
  await defineRenderContext(db, spec);
  // The texts to scrub: each example's context (k = 2·rid) and reply (k = 2·rid + 1).
  await db.run(`CREATE OR REPLACE TEMP TABLE dg_texts AS
    SELECT e.rid * 2 AS k, coalesce(s.context_text, '') AS t FROM examples e JOIN src s ON s.rowid = e.rid
    UNION ALL
    SELECT e.rid * 2 + 1 AS k, coalesce(s.reply_text, 'null') AS t FROM examples e JOIN src s ON s.rowid = e.rid`);
  await scrubNamesSql(db, target.names, { input: 'dg_texts', output: 'dg_scrubbed' });
  await db.run('DROP TABLE dg_texts');

  // renderMessages: the system turn, then the user template with its first `{context}` replaced.
  const at = spec.user_template.indexOf('{context}');
  const body = (text: string) => sqlString(JSON.stringify(text).slice(1, -1));
  const prompt = `${sqlString(`[{"role":"system","content":${JSON.stringify(spec.system)}},{"role":"user","content":"`)} || ${body(spec.user_template.slice(0, at))} || context || ${body(spec.user_template.slice(at + '{context}'.length))} || '"}]'`;
  const provenance = PROVENANCE_COLUMNS.map((c, i) => `'${i === 0 ? '' : ','}"${c}":' || ${jsonOf(c, `e.${c}`)}`).join(' || ');
  // One row per example: the JSON texts its lines are made of (the spec's fixed text is added when writing).
  await db.run(`CREATE OR REPLACE TEMP TABLE dg_lines AS
    SELECT e.split, e.vod_id, e.offset_ms, e.message_id,
      dg_json_body(c.t) AS context,
      '[{"role":"assistant","content":' || dg_json_str(r.t) || '}]' AS chosen,
      ${provenance} AS provenance,
      CASE WHEN d.rid IS NOT NULL THEN '[{"role":"assistant","content":' || dg_json_str(x.t) || '}]' END AS rejected,
      CASE WHEN d.rid IS NOT NULL THEN
        '"rejected_pair_id":' || dg_json_str(d.rejected_pair_id) || ',"rejected_vod_id":' || dg_json_str(d.rejected_vod_id) ||
        ',"rejected_offset_ms":' || dg_json_int(d.rejected_offset_ms)
      END AS rejected_ids
    FROM examples e
    JOIN (SELECT k, dg_render_context(t) AS t FROM dg_scrubbed WHERE k % 2 = 0) c ON c.k = e.rid * 2
    JOIN dg_scrubbed r ON r.k = e.rid * 2 + 1
    LEFT JOIN dpo d ON d.rid = e.rid
    LEFT JOIN dg_scrubbed x ON x.k = d.rejected_rid * 2 + 1`);
  await db.run('DROP TABLE dg_scrubbed');

  const sft = { train: 0, validation: 0, test: 0 };
  const dpo = { train: 0, validation: 0, test: 0 };
  for (const row of await db.all(`SELECT split, count(*) AS sft, count(rejected) AS dpo FROM dg_lines GROUP BY 1`)) {
    sft[row.split as Split] = Number(row.sft);
    dpo[row.split as Split] = Number(row.dpo);
  }
  await mkdir(join(target.dir, 'sft'), { recursive: true });
  await mkdir(join(target.dir, 'dpo'), { recursive: true });
  const tail = `',"dataset_id":' || ${sqlString(JSON.stringify(target.datasetId))} || ',"split":' || dg_json_str(split) || '}'`;
  const lines = {
    sft: `'{"prompt":' || ${prompt} || ',"completion":' || chosen || ',"context":"' || context || '",' || provenance || ${tail}`,
    dpo: `'{"prompt":' || ${prompt} || ',"chosen":' || chosen || ',"rejected":' || rejected || ',' || provenance || ',' || rejected_ids || ${tail}`,
  };
  // COPY writes the lines as they are: no header, no quoting (a JSON line holds no raw newline).
  const [order] = await db.all(`SELECT current_setting('preserve_insertion_order') AS keep`);
  await db.run('SET preserve_insertion_order = true');
  try {
    for (const config of ['sft', 'dpo'] as const) {
      for (const split of SPLITS) {
        await db.run(`COPY (
            SELECT ${lines[config]} FROM dg_lines WHERE split = ${sqlString(split)}${config === 'dpo' ? ' AND rejected IS NOT NULL' : ''}
            ORDER BY vod_id, offset_ms, message_id
          ) TO ${sqlString(join(target.dir, config, `${split}.jsonl`))} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`);
      }
    }
  } finally {
    await db.run(`SET preserve_insertion_order = ${order?.keep === false ? 'false' : 'true'}`);
    await db.run('DROP TABLE IF EXISTS dg_lines');
  }
  return { sft, dpo };
}

/** A provenance value's JSON text: numbers as `Number(value)` gives them, the rest as strings. */
function jsonOf(column: string, sql: string): string {
  if (column === 'score') return `dg_json_num(${sql})`;
  if (/_ms$|^tier$|^manifest_version$/.test(column)) return `dg_json_int(${sql})`;
  return `dg_json_str(${sql})`;
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
