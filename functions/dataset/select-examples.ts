import { DEFAULT_EMOTE_NAMES } from '../chat/chat-flags.ts';
import { sqlString } from '../../catalog/lake.ts';
import type { DatasetConfig } from './dataset-config.ts';
import { blockSplitMacro, SPLIT_HASH_SALT } from './block-split.ts';
import { profiledWhenAsked, type SqlSession } from './sql-session.ts';

/**
 * The dataset's selection, in SQL over a DuckDB session, so a million pairs stream through DuckDB
 * (spilling to disk when needed) instead of living in one array.
 *
 * Input: a table `src` with the columns of `SOURCE_COLUMNS`. Output: a table `examples` (the kept rows
 * with `split`), a table `dpo` (chosen/rejected pairs) and the counts of every rule.
 */
export const SOURCE_COLUMNS = [
  ['pair_id', 'VARCHAR'],
  ['vod_id', 'VARCHAR'],
  ['message_id', 'VARCHAR'],
  ['reply_text', 'VARCHAR'],
  ['context_start_ms', 'BIGINT'],
  ['context_end_ms', 'BIGINT'],
  ['context_text', 'VARCHAR'],
  ['lag_ms', 'BIGINT'],
  ['score', 'DOUBLE'],
  ['tier', 'INTEGER'],
  ['label', 'VARCHAR'],
  ['offset_ms', 'BIGINT'],
  ['author_login', 'VARCHAR'],
  ['align_id', 'VARCHAR'],
  ['asr_run_id', 'VARCHAR'],
  ['chat_sha256', 'VARCHAR'],
  ['manifest_version', 'INTEGER'],
  /** Alignment's reject reason; such rows are counted as `align:<reason>` and dropped. */
  ['reject_reason', 'VARCHAR'],
  /** A reviewer's latest verdict: 'accept' | 'reject' | null. */
  ['review', 'VARCHAR'],
  /** From the chat record where known (lake), else null: the emote-name heuristic decides. */
  ['is_emote_only', 'BOOLEAN'],
  ['is_bot', 'BOOLEAN'],
  ['is_command', 'BOOLEAN'],
  ['is_deleted', 'BOOLEAN'],
  ['kind', 'VARCHAR'],
  /** The aligner's emote wave (files of echo-lag/2 and later), else null. */
  ['wave_id', 'VARCHAR'],
] as const;

export interface SelectionCounts {
  /** Rows dropped by a filter, by reason. */
  filtered: Record<string, number>;
  /** Rows removed by a cap, by rule. */
  capped: Record<string, number>;
  splits: Record<string, number>;
  dpo: Record<string, number>;
  /** Where the DPO rows' rejected replies come from: the chosen reply's own VOD, or another. */
  dpo_negatives: { same_vod: number; other_vod: number };
  vods: number;
}

/** Texts at least this long (normalised) are copypasta candidates; shorter repeats are chat's own style. */
const COPYPASTA_MIN_CHARS = 20;
/** One short text ("LUL", "W", "lol") may fill at most this share of the dataset. */
const MAX_SHORT_TEXT_SHARE = 0.02;
/** DPO: how many later rows (in a fixed pseudo-random order) are tried as the rejected reply, per round. */
const DPO_TRIES = 8;

/** The provenance columns `examples` carries (what the export and `gold.dataset_examples` read). */
const EXAMPLE_COLUMNS = [
  'vod_id', 'message_id', 'pair_id', 'offset_ms', 'context_start_ms', 'context_end_ms', 'lag_ms', 'score', 'tier',
  'label', 'align_id', 'asr_run_id', 'chat_sha256', 'manifest_version',
] as const;

/**
 * Runs every filter, the split rule, every cap and the DPO pairing. Deterministic: each ordering is by
 * md5 of stable ids, so the same `src` and config always give the same tables.
 *
 * The rules run on narrow rows (`rid` = the row's `src.rowid`, and only the columns a rule reads): the
 * texts stay in `src` until the export, so each cap's pass moves a few bytes per row, not the row.
 * Output: `examples` (`rid`, `split`, `norm_text` and the provenance columns) and `dpo` (`rid`,
 * `split`, `rejected_rid` and the rejected reply's ids).
 */
export async function selectExamples(session: SqlSession, config: DatasetConfig, options: { maxReplyChars: number; optOut: readonly string[]; salt: string }): Promise<SelectionCounts> {
  const db = profiledWhenAsked(session);
  const rule = sqlString(SPLIT_HASH_SALT);
  // Emote-only where the chat record does not say: every token a known emote name (one RE2 pattern).
  const emoteAlternation = DEFAULT_EMOTE_NAMES.map((n) => n.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')).join('|');
  const emotes = sqlString(`(?:(?:${emoteAlternation})(?:\\s+|$))+`);
  const optOut = options.optOut.length ? `[${options.optOut.map((l) => sqlString(l.toLowerCase())).join(', ')}]` : `[]::VARCHAR[]`;
  const blockMs = config.block_s * 1000;

  // Every source row once: its drop reason, and for the rows kept what the caps read.
  const kept = (expr: string) => `CASE WHEN drop_reason IS NULL THEN ${expr} END`;
  await db.run(`CREATE OR REPLACE TEMP TABLE cand AS
    SELECT rid, vod_id, context_start_ms, context_end_ms, drop_reason,
      ${kept(`lower(trim(regexp_replace(reply_text, '\\s+', ' ', 'g')))`)} AS norm_text,
      ${kept(`md5(${sqlString(options.salt)} || coalesce(lower(author_login), ''))`)} AS author_key,
      author_login IS NOT NULL AS has_author,
      ${kept('md5_number(pair_id)')} AS ord,
      ${kept(`coalesce(is_emote_only, regexp_full_match(trim(reply_text), ${emotes}))`)} AS emote_only,
      label, wave_id, length(reply_text) AS reply_chars
    FROM (
      SELECT s.rowid AS rid, s.*,
        CASE
          WHEN s.author_login IS NOT NULL AND list_contains(${optOut}, lower(s.author_login)) THEN 'opt-out'
          WHEN s.reject_reason IS NOT NULL THEN 'align:' || s.reject_reason
          WHEN s.review = 'reject' THEN 'review-reject'
          WHEN coalesce(s.is_deleted, false) THEN 'deleted'
          WHEN coalesce(s.is_bot, false) THEN 'bot'
          WHEN coalesce(s.is_command, false) THEN 'command'
          WHEN coalesce(s.kind, 'message') <> 'message' THEN 'notice'
          WHEN length(trim(coalesce(s.reply_text, ''))) = 0 THEN 'empty'
          WHEN length(s.reply_text) > ${options.maxReplyChars} THEN 'too-long'
          WHEN s.label = 'reaction' AND s.tier < ${config.min_tier} AND s.review IS DISTINCT FROM 'accept' THEN 'below-min-tier'
          ELSE NULL
        END AS drop_reason
      FROM src s)`);

  await db.run(blockSplitMacro(config.cycle_blocks));
  await db.run(`CREATE OR REPLACE TEMP MACRO dg_vod_split(v) AS
    CASE
      WHEN (md5_number(${rule} || '|' || v) % 10000)::DOUBLE / 10000 < ${config.test_share} THEN 'test'
      WHEN (md5_number(${rule} || '|' || v) % 10000)::DOUBLE / 10000 < ${config.test_share + config.validation_share} THEN 'validation'
      ELSE 'train'
    END`);
  // The split rule runs once per unit (VOD, or VOD × block), not once per row.
  const unitOf = (ms: string) => (config.split_by === 'vod' ? '0::BIGINT' : `(${ms} // ${blockMs})::BIGINT`);
  // A VOD's block count: up to the last block where any of its source contexts ends (kept or dropped
  // rows alike, so a filter or an opt-out never changes it).
  await db.run(`CREATE OR REPLACE TEMP TABLE unit_vods AS
    SELECT vod_id, coalesce(max(${unitOf('context_end_ms')}) + 1, 0)::BIGINT AS n_blocks FROM src GROUP BY 1`);
  await db.run(`CREATE OR REPLACE TEMP TABLE units AS
    SELECT u.vod_id, u.blk, ${config.split_by === 'vod' ? 'dg_vod_split(u.vod_id)' : 'dg_block_split(u.vod_id, u.blk, v.n_blocks)'} AS split FROM (
      SELECT DISTINCT vod_id, ${unitOf('context_end_ms')} AS blk FROM cand WHERE drop_reason IS NULL
      UNION SELECT DISTINCT vod_id, ${unitOf('greatest(context_start_ms, 0)')} FROM cand WHERE drop_reason IS NULL) u
    JOIN unit_vods v USING (vod_id)`);
  await db.run('DROP TABLE unit_vods');
  await db.run(`CREATE OR REPLACE TEMP TABLE staged AS
    SELECT c.* EXCLUDE (drop_reason, context_start_ms, context_end_ms), e.split AS split, s.split AS split_at_start
    FROM cand c
    JOIN units e ON e.vod_id = c.vod_id AND e.blk = ${unitOf('c.context_end_ms')}
    JOIN units s ON s.vod_id = c.vod_id AND s.blk = ${unitOf('greatest(c.context_start_ms, 0)')}
    WHERE c.drop_reason IS NULL`);
  await db.run('DROP TABLE units');

  const filtered: Record<string, number> = {};
  for (const row of await db.all(`SELECT drop_reason AS k, count(*) AS n FROM cand WHERE drop_reason IS NOT NULL GROUP BY 1`)) filtered[String(row.k)] = Number(row.n);
  await db.run('DROP TABLE cand');
  const boundary = Number((await db.all(`SELECT count(*) AS n FROM staged WHERE split <> split_at_start`))[0]?.n ?? 0);
  if (boundary > 0) filtered['split-boundary'] = boundary;
  await db.run(`CREATE OR REPLACE TEMP TABLE capped_0 AS SELECT * EXCLUDE (split_at_start) FROM staged WHERE split = split_at_start`);
  await db.run('DROP TABLE staged');

  // Caps, one after another; each keeps the rows that come first in a fixed md5 order: a row goes when
  // it is not exempt and ranks past the limit in its partition. A NULL (e.g. of a NULL label) keeps it.
  // A GROUP BY first tells whether any partition passes the limit; only then is the ranking computed.
  const capped: Record<string, number> = {};
  let current = 'capped_0';
  let rows = await countRows(db, current);
  let step = 1;
  const cap = async (name: string, partition: string, exempt: string, limit: string) => {
    const [over] = await db.all(`SELECT count(*) AS n FROM (
      SELECT ${partition} AS part, count(*) AS c, bool_or((${exempt}) IS FALSE) AS removable FROM ${current} GROUP BY 1)
      WHERE removable AND c > (${limit})`);
    if (Number(over?.n ?? 0) === 0) return;
    const next = `capped_${step++}`;
    await db.run(`CREATE OR REPLACE TEMP TABLE ${next} AS
      SELECT * EXCLUDE (cap_rank) FROM (SELECT *, row_number() OVER (PARTITION BY ${partition} ORDER BY ord) AS cap_rank FROM ${current})
      WHERE (${exempt} OR cap_rank <= (${limit})) IS NOT FALSE`);
    const left = await countRows(db, next);
    if (rows - left > 0) capped[name] = rows - left;
    await db.run(`DROP TABLE ${current}`);
    current = next;
    rows = left;
  };
  // Limits are constants of the table a cap runs on (its row count, or its rows outside the capped flag).
  const shareLimit = async (flag: string, share: number) => {
    const [others] = await db.all(`SELECT sum(CASE WHEN ${flag} THEN 0 ELSE 1 END) AS n FROM ${current}`);
    return `floor(${share} / greatest(1e-9, 1 - ${share}) * ${Number(others?.n ?? 0)})`;
  };
  // Every cap keeps rows in one stable pseudo-random order: `ord`, the md5 of the pair id.
  await cap('copypasta', 'norm_text', `length(norm_text) < ${COPYPASTA_MIN_CHARS}`, `${config.max_per_text}`);
  await cap('emote-wave', 'wave_id', 'wave_id IS NULL', `${config.max_per_wave}`);
  await cap('repeated-short-text', 'norm_text', `length(norm_text) >= ${COPYPASTA_MIN_CHARS}`, `greatest(${config.max_per_text}, floor(${MAX_SHORT_TEXT_SHARE} * ${rows}))`);
  await cap('chatter-share', 'author_key', 'NOT has_author', `greatest(${config.min_chatter_cap}, floor(${config.max_chatter_share} * ${rows}))`);
  const vodCount = Number((await db.all(`SELECT count(DISTINCT vod_id) AS n FROM ${current}`))[0]?.n ?? 0);
  if (config.max_vod_share > 0 && vodCount * config.max_vod_share >= 1) {
    await cap('vod-share', 'vod_id', 'false', `ceil(${config.max_vod_share} * ${rows})`);
  }
  await cap('background-share', `label = 'background'`, `NOT (label = 'background')`, await shareLimit(`(label = 'background')`, config.max_background_share));
  await cap('emote-only-share', 'emote_only', 'NOT emote_only', await shareLimit('emote_only', config.max_emote_only_share));
  if (config.max_length_bucket_share !== null) {
    const bucket = `CASE WHEN reply_chars <= 5 THEN 0 WHEN reply_chars <= 15 THEN 1 WHEN reply_chars <= 40 THEN 2 ELSE 3 END`;
    await cap('length-bucket-share', bucket, 'false', `ceil(${config.max_length_bucket_share} * ${rows})`);
  }
  // The kept rows with their provenance, read once from `src`.
  await db.run(`CREATE OR REPLACE TEMP TABLE examples AS
    SELECT c.rid, c.split, c.norm_text, ${EXAMPLE_COLUMNS.map((col) => `s.${col}`).join(', ')}
    FROM ${current} c JOIN src s ON s.rowid = c.rid`);
  await db.run(`DROP TABLE ${current}`);

  await pairPreferences(db, config);

  const splits: Record<string, number> = { train: 0, validation: 0, test: 0 };
  for (const row of await db.all(`SELECT split AS k, count(*) AS n FROM examples GROUP BY 1`)) splits[String(row.k)] = Number(row.n);
  const dpo: Record<string, number> = { train: 0, validation: 0, test: 0 };
  for (const row of await db.all(`SELECT split AS k, count(*) AS n FROM dpo GROUP BY 1`)) dpo[String(row.k)] = Number(row.n);
  const [negatives] = await db.all(`SELECT count(*) FILTER (WHERE same_vod) AS same_vod, count(*) FILTER (WHERE NOT same_vod) AS other_vod FROM dpo`);
  const dpoNegatives = { same_vod: Number(negatives?.same_vod ?? 0), other_vod: Number(negatives?.other_vod ?? 0) };
  await db.run(`ALTER TABLE dpo DROP COLUMN same_vod`);
  const vods = Number((await db.all(`SELECT count(DISTINCT vod_id) AS n FROM examples`))[0]?.n ?? 0);
  return { filtered, capped, splits, dpo, dpo_negatives: dpoNegatives, vods };
}

async function countRows(db: SqlSession, table: string): Promise<number> {
  return Number((await db.all(`SELECT count(*) AS n FROM ${table}`))[0]?.n ?? 0);
}

/**
 * DPO pairs within each split. `rejected` is a hard negative: a real reply of the same VOD (same chat,
 * same streamer, same day) that reacts to another moment, at least `dpo_min_distance_ms` away, so
 * the pair differs in what was said rather than in style or era, and only listening to the context
 * tells them apart. Only a row whose VOD offers no such partner among its tries takes one from the
 * whole split (another VOD, or the same VOD far enough away). Never a near-duplicate of the chosen
 * reply (different normalised text, character Jaccard < 0.5). Partners are tried in a fixed
 * pseudo-random order: first up to `DPO_TRIES` rows of the VOD (all of them in a VOD of at most
 * `DPO_TRIES + 1` rows of the split), then up to `DPO_TRIES` rows of the split; a row with no
 * suitable partner gets no DPO row. `dpo.same_vod` says which kind each row got.
 */
async function pairPreferences(db: SqlSession, config: DatasetConfig): Promise<void> {
  const order = `md5(pair_id || '|dpo')`;
  await db.run(`CREATE OR REPLACE TEMP TABLE dpo_order AS
    SELECT rid, pair_id, vod_id, offset_ms, norm_text, split,
           row_number() OVER (PARTITION BY split ORDER BY ${order}) - 1 AS rn,
           count(*) OVER (PARTITION BY split) AS n,
           row_number() OVER (PARTITION BY split, vod_id ORDER BY ${order}) - 1 AS vrn,
           count(*) OVER (PARTITION BY split, vod_id) AS vn
    FROM examples`);
  const farEnough = `abs(b.offset_ms - a.offset_ms) >= ${config.dpo_min_distance_ms}`;
  const notNearDuplicate = `b.norm_text <> a.norm_text AND jaccard(a.norm_text || ' ', b.norm_text || ' ') < 0.5`;
  // Equi-joins on (split[, vod], target row): hash joins, not a scan per row.
  const pick = (from: string, target: string, where: string) => `
    SELECT a.rid, a.split, b.rid AS rejected_rid, b.pair_id AS rejected_pair_id, b.vod_id AS rejected_vod_id, b.offset_ms AS rejected_offset_ms,
           b.vod_id = a.vod_id AS same_vod, a.k
    FROM ${from} a JOIN dpo_order b ON b.split = a.split AND ${target}
    WHERE (${where}) AND ${notNearDuplicate}`;
  const sameVod = (from: string) => pick(from, 'b.vod_id = a.vod_id AND b.vrn = (a.vrn + a.k) % a.vn', farEnough);
  const anyVod = (from: string) => pick(from, 'b.rn = (a.rn + a.k) % a.n', `b.vod_id <> a.vod_id OR ${farEnough}`);
  const unpaired = 'o.rid NOT IN (SELECT rid FROM dpo)';
  // The next row of the VOD mostly suits: only the rows it does not suit try the later ones.
  await db.run(`CREATE OR REPLACE TEMP TABLE dpo AS ${sameVod(`(SELECT *, 1 AS k FROM dpo_order WHERE vn > 1)`)}`);
  await db.run(`INSERT INTO dpo
    SELECT * FROM (${sameVod(`(SELECT o.*, r.k FROM dpo_order o, range(2, ${DPO_TRIES + 1}) r(k) WHERE r.k < o.vn AND ${unpaired})`)})
    QUALIFY row_number() OVER (PARTITION BY rid ORDER BY k) = 1`);
  await db.run(`INSERT INTO dpo
    SELECT * FROM (${anyVod(`(SELECT o.*, r.k FROM dpo_order o, range(1, ${DPO_TRIES + 1}) r(k) WHERE r.k < o.n AND ${unpaired})`)})
    QUALIFY row_number() OVER (PARTITION BY rid ORDER BY k) = 1`);
  await db.run(`ALTER TABLE dpo DROP COLUMN k`);
  await db.run('DROP TABLE dpo_order');
}
