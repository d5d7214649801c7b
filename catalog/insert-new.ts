import { LAKE, type Lake } from './lake.ts';
import { quoteIdent } from './migrations.ts';
import { qualifiedName, type TableDef } from './tables.ts';

/**
 * Appends the rows of `sourceSql` (a query yielding the table's columns, by name) whose key is not in
 * the table yet, and returns how many were written. Re-running with the same source writes nothing:
 * this is what makes every stage idempotent.
 *
 * Call inside `lake.transaction` to commit several tables together, or wrap in `withConflictRetry`.
 *
 * @example
 * await insertNew(lake, chatMessages, `SELECT * FROM read_parquet('s3://…/chat.parquet')`);
 */
export async function insertNew(lake: Lake, table: TableDef, sourceSql: string): Promise<number> {
  const target = `${LAKE}.${qualifiedName(table)}`;
  const columns = table.columns.map(([name]) => `src.${quoteIdent(name)}`).join(', ');
  const match = table.key.map((k) => `t.${quoteIdent(k)} IS NOT DISTINCT FROM src.${quoteIdent(k)}`).join(' AND ');
  const keys = table.key.map((k) => `src.${quoteIdent(k)}`).join(', ');
  // Duplicate keys inside the source itself are collapsed too, so a re-run can't double a row.
  const rows = await lake.all(
    `INSERT INTO ${target} SELECT ${columns} FROM (${sourceSql}) src ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${match}) ` +
      `QUALIFY row_number() OVER (PARTITION BY ${keys}) = 1`,
  );
  return Number(rows[0]?.Count ?? rows[0]?.count ?? 0);
}

/** Deletes the rows of one VOD from a table (the undo step of a failed multi-table write). */
export async function deleteVodRows(lake: Lake, table: TableDef, vodId: string): Promise<void> {
  await lake.run(`DELETE FROM ${LAKE}.${qualifiedName(table)} WHERE vod_id = '${vodId.replaceAll("'", "''")}'`);
}
