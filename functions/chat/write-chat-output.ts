import { availableParallelism } from 'node:os';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ChatSourceFormat } from './chat-message.ts';

export type TableFormat = 'jsonl' | 'parquet';

export interface WriteChatOutputOptions {
  workDir: string;
  stagedPath: string;
  rejectsPath: string;
  moderationPath: string | null;
  vodId: string;
  sourceFormat: ChatSourceFormat;
  /** Recover sub-second offsets from server time with this clock shift (ms); null keeps offsets as read. */
  clockShiftMs: number | null;
  /**
   * Server times whose implied VOD start (server time − offset) lies more than `spanMs` from
   * `centerMs` are implausible: their sent_at becomes null and they are counted. Null: no check.
   */
  plausibleSentAt: { centerMs: number; spanMs: number } | null;
  /** Emote names learned after the records were staged; decide the staged leftovers against them. */
  lateEmoteNames: string[];
  out: { path: string; format: TableFormat };
  rejectsOut: { path: string; format: TableFormat } | null;
  signal?: AbortSignal;
  /** DuckDB memory cap; it spills to `workDir` beyond it. */
  memoryLimit?: string;
}

export interface WriteChatOutputResult {
  accepted: number;
  duplicates: number;
  /** Accepted messages whose sent_at was set to null as implausible. */
  implausibleSentAt: number;
  rejectsWritten: number;
}

const STAGED_COLUMNS = `{
  i: 'BIGINT', id: 'VARCHAR', o: 'BIGINT', w: 'BIGINT', s: 'VARCHAR', a: 'VARCHAR', l: 'VARCHAR', d: 'VARCHAR',
  t: 'VARCHAR', e: 'STRUCT(id VARCHAR, name VARCHAR, start INTEGER, "end" INTEGER)[]', b: 'VARCHAR[]',
  bits: 'INTEGER', act: 'BOOLEAN', rep: 'VARCHAR', k: 'VARCHAR', bot: 'BOOLEAN', cmd: 'BOOLEAN', eo: 'BOOLEAN',
  rest: 'VARCHAR[]', del: 'BOOLEAN', ch: 'VARCHAR'
}`;
const REJECT_COLUMNS = `{ i: 'BIGINT', reason: 'VARCHAR', detail: 'VARCHAR', raw: 'VARCHAR' }`;
const MODERATION_COLUMNS = `{ i: 'BIGINT', m: 'VARCHAR', id: 'VARCHAR', l: 'VARCHAR', t_ms: 'BIGINT', ch: 'VARCHAR' }`;

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Staged lines are small (text is capped, raw kept to 4000 characters); a small object limit keeps DuckDB's per-thread read buffers small. */
function readNdjson(path: string, columns: string): string {
  return `read_json(${sqlString(path)}, format = 'newline_delimited', columns = ${columns}, maximum_object_size = 4194304)`;
}

function copyTarget(target: { path: string; format: TableFormat }): string {
  return target.format === 'parquet'
    ? `${sqlString(target.path)} (FORMAT parquet, COMPRESSION zstd)`
    : `${sqlString(target.path)} (FORMAT json)`;
}

/**
 * The SQL half of normalization: reads the staging files, recovers sub-second offsets, applies IRC
 * moderation, dedupes by message id (first occurrence wins), orders by offset, then server time,
 * then input position, and writes ChatMessage rows (and ChatReject rows) as JSONL or Parquet.
 */
export async function writeChatOutput(options: WriteChatOutputOptions): Promise<WriteChatOutputResult> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit ?? '512MB',
    temp_directory: options.workDir,
    threads: String(Math.max(1, Math.min(availableParallelism(), 8))),
  });
  const connection = await instance.connect();
  const onAbort = () => connection.interrupt();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run(connection, options);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    connection.closeSync();
    instance.closeSync();
  }
}

async function count(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

async function run(connection: DuckDBConnection, o: WriteChatOutputOptions): Promise<WriteChatOutputResult> {
  const step = async (sql: string) => {
    o.signal?.throwIfAborted();
    await connection.run(sql);
  };
  await step(`CREATE TEMP TABLE staged AS SELECT * FROM ${readNdjson(o.stagedPath, STAGED_COLUMNS)}`);
  // Duplicates: every record whose message id was seen at a lower position.
  await step(`CREATE TEMP TABLE dups AS
    SELECT s.i, s.id, f.first_i FROM staged s
    JOIN (SELECT id, min(i) AS first_i FROM staged GROUP BY id HAVING count(*) > 1) f ON s.id = f.id AND s.i <> f.first_i`);
  const duplicates = await count(connection, 'SELECT count(*) FROM dups');

  let emoteOnly = 'eo';
  if (o.lateEmoteNames.length > 0) {
    await step('CREATE TABLE late_names (name VARCHAR)');
    const appender = await connection.createAppender('late_names');
    for (const name of o.lateEmoteNames) {
      appender.appendVarchar(name);
      appender.endRow();
    }
    appender.closeSync();
    await step(`CREATE TEMP TABLE late_emote_only AS
      SELECT u.i FROM (SELECT i, unnest(rest) AS tok FROM staged WHERE rest IS NOT NULL) u
      LEFT JOIN late_names n ON u.tok = n.name GROUP BY u.i HAVING count(n.name) = count(*)`);
    emoteOnly = '(eo OR i IN (SELECT i FROM late_emote_only))';
  }

  let deleted = 'del';
  if (o.moderationPath) {
    await step(`CREATE TEMP TABLE moderation AS SELECT * FROM ${readNdjson(o.moderationPath, MODERATION_COLUMNS)}`);
    const events = await count(connection, 'SELECT count(*) FROM moderation');
    if (events > 0) {
      // CLEARMSG removes one message; CLEARCHAT with a user removes that user's earlier messages;
      // CLEARCHAT alone clears everything sent before it.
      // Scoped by channel (a capture may hold several; a missing channel matches any).
      await step(`CREATE TEMP TABLE cleared_ids AS SELECT DISTINCT id FROM moderation WHERE m = 'message'`);
      await step(`CREATE TEMP TABLE cleared_users AS
        SELECT key, coalesce(ch, '') AS ch, max(t_ms) AS t_ms FROM (
          SELECT 'id:' || id AS key, ch, t_ms FROM moderation WHERE m = 'user' AND id IS NOT NULL
          UNION ALL SELECT 'login:' || lower(l), ch, t_ms FROM moderation WHERE m = 'user' AND l IS NOT NULL
        ) GROUP BY ALL`);
      await step(`CREATE TEMP TABLE cleared_all AS SELECT coalesce(ch, '') AS ch, max(t_ms) AS t_ms FROM moderation WHERE m = 'all' GROUP BY ALL`);
      const sameChannel = '(c.ch = \'\' OR s.ch IS NULL OR c.ch = s.ch)';
      await step(`CREATE TEMP TABLE deleted_i AS
        SELECT s.i FROM staged s JOIN cleared_users c ON c.key = 'id:' || s.a AND ${sameChannel} AND s.w <= c.t_ms
        UNION SELECT s.i FROM staged s JOIN cleared_users c ON c.key = 'login:' || lower(s.l) AND ${sameChannel} AND s.w <= c.t_ms
        UNION SELECT s.i FROM staged s JOIN cleared_all c ON ${sameChannel} AND s.w <= c.t_ms
        UNION SELECT s.i FROM staged s WHERE s.id IN (SELECT id FROM cleared_ids)`);
      deleted = '(del OR i IN (SELECT i FROM deleted_i))';
    }
  }

  // Implausible server times become null (counted), and do not order the output either.
  let sentAt = 's';
  let sentMs = 'w';
  let implausibleSentAt = 0;
  if (o.plausibleSentAt) {
    const { centerMs, spanMs } = o.plausibleSentAt;
    const implausible = `(w IS NOT NULL AND abs((w - o) - ${centerMs}) > ${spanMs})`;
    implausibleSentAt = await count(connection, `SELECT count(*) FROM staged WHERE ${implausible} AND i NOT IN (SELECT i FROM dups)`);
    if (implausibleSentAt > 0) {
      sentAt = `CASE WHEN ${implausible} THEN NULL ELSE s END`;
      sentMs = `CASE WHEN ${implausible} THEN NULL ELSE w END`;
    }
  }

  const c = o.clockShiftMs;
  const offset = c === null
    ? 'o'
    : `CASE WHEN w IS NOT NULL AND (w - o) >= ${c - 0.5} AND (w - o) < ${c + 1000}
        THEN least(o + 999, greatest(o, CAST(round(w - ${c}) AS BIGINT))) ELSE o END`;
  const select = `SELECT
      ${sqlString(o.vodId)} AS vod_id, id AS message_id, ${offset} AS offset_ms, ${sentAt} AS sent_at,
      a AS author_id, l AS author_login, d AS author_display, t AS text,
      coalesce(e, []) AS emotes, coalesce(b, []) AS badges, coalesce(bits, 0) AS bits, coalesce(act, false) AS is_action,
      rep AS reply_to, k AS kind, bot AS is_bot, cmd AS is_command, ${emoteOnly} AS is_emote_only, ${deleted} AS is_deleted,
      ${sqlString(o.sourceFormat)} AS source_format, ${sentMs} AS _sent_ms, i AS _i
    FROM staged WHERE i NOT IN (SELECT i FROM dups)`;
  const accepted = await count(connection, `COPY (
      SELECT * EXCLUDE (_sent_ms, _i) FROM (${select}) ORDER BY offset_ms, _sent_ms NULLS LAST, _i
    ) TO ${copyTarget(o.out)}`);

  let rejectsWritten = 0;
  if (o.rejectsOut) {
    rejectsWritten = await count(connection, `COPY (
        SELECT ${sqlString(o.vodId)} AS vod_id, i AS record_index, reason, detail, raw, ${sqlString(o.sourceFormat)} AS source_format
        FROM (
          SELECT i, reason, detail, raw FROM ${readNdjson(o.rejectsPath, REJECT_COLUMNS)}
          UNION ALL
          SELECT i, 'duplicate', 'duplicate of record ' || first_i || ' (message_id ' || id || ')', NULL FROM dups
        ) ORDER BY record_index
      ) TO ${copyTarget(o.rejectsOut)}`);
  }
  return { accepted, duplicates, implausibleSentAt, rejectsWritten };
}
