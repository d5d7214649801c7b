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
  // Contexts as `dougpt align` writes them (single spaces, no more than max_words words) are their own
  // rendering: one RE2 search finds the rest, and only those go through the rewrite.
  const needsWork = `${JS_WHITESPACE_CLASS.replace(' ', '')}|  |^ | $|^$|(?:[^ ]* ){${max}}`;
  await session.run(`CREATE OR REPLACE TEMP MACRO dg_render_context(t) AS
    CASE
      WHEN NOT regexp_matches(t, '${needsWork}') THEN t
      ELSE coalesce(nullif(array_to_string(string_split(trim(regexp_replace(t, '${JS_WHITESPACE_CLASS}+', ' ', 'g'), ' '), ' ')[-${max}:], ' '), ''), ${sqlString(spec.context.empty)})
    END`);
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
  // The texts to scrub, each once: the examples' contexts and replies (a DPO row's rejected reply is
  // another example's reply).
  await db.run(`CREATE OR REPLACE TEMP TABLE dg_contexts AS SELECT e.rid AS k, coalesce(s.context_text, '') AS t FROM examples e JOIN src s ON s.rowid = e.rid`);
  await db.run(`CREATE OR REPLACE TEMP TABLE dg_replies AS SELECT e.rid AS k, coalesce(s.reply_text, 'null') AS t FROM examples e JOIN src s ON s.rowid = e.rid`);
  await scrubNamesSql(db, target.names, [
    { input: 'dg_contexts', output: 'dg_contexts_scrubbed' },
    { input: 'dg_replies', output: 'dg_replies_scrubbed' },
  ]);
  await db.run('DROP TABLE dg_contexts');
  await db.run('DROP TABLE dg_replies');

  // One row per example, stored in the files' order (each COPY below writes rows as they are stored,
  // so no line is sorted again): the JSON texts its lines are made of, each
  // written once and shared by the SFT and the DPO line. `to_json` writes a value as JSON.stringify
  // does but for integral or huge doubles, integers beyond 2^53 and the hex case of a control
  // character's escape; a piece holding one of those (rare) is written with the json-sql.ts macros.
  const [order] = await db.all(`SELECT current_setting('preserve_insertion_order') AS keep`);
  await db.run('SET preserve_insertion_order = true');
  try {
    const bigints = PROVENANCE_COLUMNS.filter((c) => c.endsWith('_ms'));
    const provenanceOdd = [
      `contains(provenance, '\\u00')`,
      `(score IS NOT NULL AND (isnan(score) OR isinf(score) OR score = trunc(score) OR abs(score) >= 1e21))`,
      ...bigints.map((c) => `${c} NOT BETWEEN -9007199254740992 AND 9007199254740992`),
    ].join(' OR ');
    const rejectedIds = ['rejected_pair_id', 'rejected_vod_id', 'rejected_offset_ms'];
    const fallback = (json: string, text: string) => `CASE WHEN contains(${json}, '\\u00') THEN dg_json_str(${text}) ELSE ${json} END`;
    await db.run(`CREATE OR REPLACE TEMP TABLE dg_rows AS
      SELECT split, vod_id, offset_ms, message_id, rejected_pair_id,
        ${fallback('context_json', 'context')} AS context,
        ${fallback('reply_json', 'reply')} AS reply,
        ${fallback('rejected_json', 'rejected')} AS rejected,
        (CASE WHEN ${provenanceOdd} THEN ${piecewise(PROVENANCE_COLUMNS)} ELSE provenance END)[2:-2] AS provenance,
        (CASE WHEN rejected_ids IS NOT NULL AND (contains(rejected_ids, '\\u00') OR rejected_offset_ms NOT BETWEEN -9007199254740992 AND 9007199254740992)
          THEN ${piecewise(rejectedIds)} ELSE rejected_ids END)[2:-2] AS rejected_ids
      FROM (
        SELECT *, CAST(to_json(context) AS VARCHAR) AS context_json, CAST(to_json(reply) AS VARCHAR) AS reply_json,
          CAST(to_json(rejected) AS VARCHAR) AS rejected_json,
          CAST(to_json(struct_pack(${PROVENANCE_COLUMNS.map((c) => `"${c}" := ${c}`).join(', ')})) AS VARCHAR) AS provenance,
          CASE WHEN rejected_pair_id IS NOT NULL THEN CAST(to_json(struct_pack(${rejectedIds.map((c) => `"${c}" := ${c}`).join(', ')})) AS VARCHAR) END AS rejected_ids
        FROM (
          SELECT e.split, ${PROVENANCE_COLUMNS.map((c) => `e.${c}`).join(', ')},
            dg_render_context(c.t) AS context, r.t AS reply,
            d.rejected_pair_id, d.rejected_vod_id, d.rejected_offset_ms, x.t AS rejected
          FROM examples e
          JOIN dg_contexts_scrubbed c ON c.k = e.rid
          JOIN dg_replies_scrubbed r ON r.k = e.rid
          LEFT JOIN dpo d ON d.rid = e.rid
          LEFT JOIN dg_replies_scrubbed x ON x.k = d.rejected_rid))
      ORDER BY split, vod_id, offset_ms, message_id`);
    await db.run('DROP TABLE dg_contexts_scrubbed');
    await db.run('DROP TABLE dg_replies_scrubbed');
    await mkdir(join(target.dir, 'sft'), { recursive: true });
    await mkdir(join(target.dir, 'dpo'), { recursive: true });
    // One thread writes the rows in stored order without the order-keeping COPY's buffering (half its CPU time).
    const [threads] = await db.all(`SELECT current_setting('threads') AS n`);
    await db.run('SET preserve_insertion_order = false');
    await db.run('SET threads = 1');
    try {
      for (const config of ['sft', 'dpo'] as const) {
        for (const split of SPLITS) {
          // COPY writes the lines as they are: no header, no quoting (a JSON line holds no raw newline).
          await db.run(`COPY (${lineSql(config, spec, target.datasetId, split)}) TO ${sqlString(join(target.dir, config, `${split}.jsonl`))} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`);
        }
      }
    } finally {
      await db.run(`SET threads = ${Number(threads?.n)}`);
    }
    const sft = { train: 0, validation: 0, test: 0 };
    const dpo = { train: 0, validation: 0, test: 0 };
    for (const row of await db.all(`SELECT split, count(*) AS sft, count(rejected_pair_id) AS dpo FROM dg_rows GROUP BY 1`)) {
      sft[row.split as Split] = Number(row.sft);
      dpo[row.split as Split] = Number(row.dpo);
    }
    return { sft, dpo };
  } finally {
    await db.run(`SET preserve_insertion_order = ${order?.keep === false ? 'false' : 'true'}`);
    await db.run('DROP TABLE IF EXISTS dg_rows');
  }
}

/**
 * The lines of the `dg_rows` rows `where` picks, in stored order: each the JSON text `JSON.stringify`
 * gives for the row object the trainer reads, `{prompt, completion, context, …provenance, dataset_id,
 * split}` (SFT) or `{prompt, chosen, rejected, …provenance, rejected_pair_id, rejected_vod_id,
 * rejected_offset_ms, dataset_id, split}` (DPO), from the row's JSON pieces.
 */
function lineSql(config: 'sft' | 'dpo', spec: LoadedPromptSpec['spec'], datasetId: string, split: Split): string {
  const at = spec.user_template.indexOf('{context}');
  const body = (text: string) => sqlString(JSON.stringify(text).slice(1, -1));
  // renderMessages: the system turn, then the user template with its first `{context}` replaced.
  // One concat() per line: a chain of `||` copies the growing line once per piece.
  const prompt = [
    sqlString(`{"prompt":[{"role":"system","content":${JSON.stringify(spec.system)}},{"role":"user","content":"`),
    body(spec.user_template.slice(0, at)),
    'context[2:-2]',
    body(spec.user_template.slice(at + '{context}'.length)),
    `'"}]'`,
  ];
  const tail = sqlString(`,"dataset_id":${JSON.stringify(datasetId)},"split":${JSON.stringify(split)}}`);
  const pieces =
    config === 'sft'
      ? [...prompt, `',"completion":[{"role":"assistant","content":'`, 'reply', `'}],"context":'`, 'context', `','`, 'provenance', tail]
      : [...prompt, `',"chosen":[{"role":"assistant","content":'`, 'reply', `'}],"rejected":[{"role":"assistant","content":'`, 'rejected', `'}],'`, 'provenance', `','`, 'rejected_ids', tail];
  const line = `concat(${pieces.join(', ')})`;
  return `SELECT ${line} FROM dg_rows WHERE split = ${sqlString(split)}${config === 'dpo' ? ' AND rejected_pair_id IS NOT NULL' : ''}`;
}

/** `to_json(struct_pack(columns…))` as JSON.stringify writes it, value by value with the json-sql.ts macros. */
function piecewise(columns: readonly string[]): string {
  return `'{' || ${columns.map((c, i) => `'${i ? ',' : ''}"${c}":' || ${jsonOf(c, c)}`).join(' || ')} || '}'`;
}

/** A value's JSON text: numbers as `Number(value)` gives them, the rest as strings. */
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
