import type { StackConfig } from '../common/stack-config.ts';
import { CatalogError } from './catalog-error.ts';
import { LAKE, openLake, type Row } from './lake.ts';

/**
 * Runs one read-only SQL query over the lake. Tables are addressed as `bronze.vod_manifest`,
 * `silver.chat_messages`, …; the catalog is attached read-only, so a write is refused by DuckDB itself.
 *
 * @example
 * await queryLake(config, 'select count(*) n from silver.chat_messages') // [{ n: '1234' }]
 */
export async function queryLake(config: StackConfig, sql: string): Promise<Row[]> {
  const lake = await openLake(config, { readOnly: true });
  try {
    // `USE lake.bronze` makes `<namespace>.<table>` resolve inside the lake catalog.
    await lake.run(`USE ${LAKE}.bronze`);
    try {
      return await lake.all(sql);
    } catch (error) {
      if (error instanceof CatalogError && error.kind === 'read-only') {
        throw new CatalogError('read-only', 'the lake is read-only here: `dougpt sql` runs queries, not writes', { cause: error });
      }
      throw error;
    }
  } finally {
    lake.close();
  }
}
