import { LAKE, openLake, sqlString } from '../catalog/lake.ts';
import type { StackConfig } from './config.ts';
import { catalogClient, catalogLineage, CommitVerificationError, manifestRows } from '../catalog/verify-commit.ts';

/** One table as two independent readers see it: the REST catalog (iceberg-js) and DuckDB. */
export interface TableAudit {
  table: string;
  /** Current snapshot per the catalog, and per DuckDB; null where the table has none. */
  catalog_sequence: number | null;
  duckdb_sequence: number | null;
  /** Rows per the manifest list the catalog names, and per `count(*)` through DuckDB. */
  catalog_rows: number;
  duckdb_rows: number;
  agree: boolean;
}

/**
 * Checks every table of the lake through two readers that share no code: the catalog's current
 * snapshot (read by iceberg-js) and the rows its manifest list records must equal the
 * snapshot DuckDB resolves (sequence number and manifest list) and the rows it counts. Reads only,
 * with the credentials it is given (`dougpt sql --audit` passes the read-only user's).
 *
 * @example
 * const audits = await auditLake({ ...config, credentials: config.readerCredentials });
 * audits.filter((a) => !a.agree); // []
 */
export async function auditLake(config: StackConfig): Promise<TableAudit[]> {
  const catalog = catalogClient(config);
  const tables: string[] = [];
  try {
    const { namespaces } = await catalog.listNamespaces();
    for (const namespace of namespaces) {
      const { identifiers } = await catalog.listTables(namespace);
      tables.push(...identifiers.map((id) => [...id.namespace, id.name].join('.')));
    }
  } catch (error) {
    throw new CommitVerificationError('unreachable', `the Iceberg REST catalog at ${config.catalogUri} did not list its tables`, { cause: error });
  }
  tables.sort();
  const lake = await openLake(config, { readOnly: true });
  try {
    const audits: TableAudit[] = [];
    for (const table of tables) {
      const [current] = await catalogLineage(catalog, table);
      const qualified = `${LAKE}.${table}`;
      const [newest] = await lake.all(
        `select sequence_number, manifest_list from iceberg_snapshots(${sqlString(qualified)}) order by sequence_number desc limit 1`,
      );
      const [counted] = await lake.all(`select count(*) n from ${qualified}`);
      const duckdbSequence = newest ? Number(newest.sequence_number) : null;
      const duckdbRows = Number(counted?.n ?? 0);
      const catalogRows = current ? (await manifestRows(lake, current.manifest_list, null)).live : 0;
      audits.push({
        table,
        catalog_sequence: current?.sequence_number ?? null,
        duckdb_sequence: duckdbSequence,
        catalog_rows: catalogRows,
        duckdb_rows: duckdbRows,
        agree:
          (current?.sequence_number ?? null) === duckdbSequence &&
          (current?.manifest_list ?? null) === ((newest?.manifest_list as string | undefined) ?? null) &&
          catalogRows === duckdbRows,
      });
    }
    return audits;
  } finally {
    lake.close();
  }
}
