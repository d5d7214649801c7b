import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sqlString } from './lake.ts';

/**
 * Writes rows to a local JSON-lines file and returns the DuckDB source SQL that reads them back,
 * typed as the target columns, plus a cleanup. Rows go to the lake through `insertNew(…, source)`.
 *
 * @example
 * const staged = await stageRows(dir, rows, table.columns);
 * try { await insertNew(lake, table, staged.sql); } finally { await staged.cleanup(); }
 */
export async function stageRows(
  dir: string,
  rows: readonly Record<string, unknown>[],
  columns: ReadonlyArray<readonly [string, string]>,
): Promise<{ sql: string; cleanup: () => Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `rows-${randomUUID()}.jsonl`);
  await writeJsonLines(path, rows);
  return { sql: rowsFileSql(path, rows.length, columns), cleanup: () => rm(path, { force: true }) };
}

/**
 * Writes rows as JSON lines to `path`, streamed a chunk of rows at a time (a 6-hour VOD's rows never
 * become one string); a failed write leaves no file.
 */
export async function writeJsonLines(path: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  try {
    await pipeline(Readable.from(jsonLineChunks(rows)), createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/** Rows as JSON lines, a few hundred rows a chunk: a VOD's rows never become one string. */
function* jsonLineChunks(rows: readonly Record<string, unknown>[], size = 512): Generator<string> {
  for (let start = 0; start < rows.length; start += size) yield rowsJsonLines(rows.slice(start, start + size));
}

/** The JSON-lines text `stageRows` writes: one row a line. */
export const rowsJsonLines = (rows: readonly Record<string, unknown>[]): string =>
  rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length ? '\n' : '');

/**
 * DuckDB source SQL reading `count` rows from a JSON-lines file written with `rowsJsonLines` (by this
 * thread or another), typed as the target columns.
 */
export function rowsFileSql(path: string, count: number, columns: ReadonlyArray<readonly [string, string]>): string {
  const typed = columns.map(([name, type]) => `${JSON.stringify(name)}: ${sqlString(type)}`).join(', ');
  return count
    ? `SELECT * FROM read_json(${sqlString(path)}, format = 'newline_delimited', columns = {${typed}})`
    : `SELECT ${columns.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ')} WHERE false`;
}
