import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { duckdbExtensionDir } from '../common/paths.ts';
import type { StackConfig } from '../common/stack-config.ts';
import { CatalogError, classifyDuckdbError } from './catalog-error.ts';

/** Name under which the Iceberg catalog is attached in every DuckDB session. */
export const LAKE = 'lake';
export const DUCKDB_VERSION = '1.4.4';
const EXTENSIONS = ['httpfs', 'avro', 'iceberg'] as const;

export type Row = Record<string, unknown>;

/** An open DuckDB session with the lake's Iceberg catalog attached as `lake` and S3 access to MinIO. */
export interface Lake {
  /** Runs statements; returns nothing. */
  run(sql: string): Promise<void>;
  /** Runs one query and returns its rows as JSON-safe objects (BIGINT as string, timestamps as text). */
  all(sql: string): Promise<Row[]>;
  /** Runs `work` inside BEGIN/COMMIT; rolls back and rethrows when it fails. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  readonly connection: DuckDBConnection;
  close(): void;
}

export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/**
 * Opens a DuckDB session over the lake. Extensions come from the folder `make setup` fills
 * (DuckDB's own download where that works, else the signed PyPI builds), never fetched at run time.
 *
 * @example
 * const lake = await openLake(loadConfig(), { readOnly: true });
 * try { console.log(await lake.all('select count(*) n from lake.bronze.vod_manifest')); } finally { lake.close(); }
 */
export async function openLake(config: StackConfig, options: { readOnly?: boolean } = {}): Promise<Lake> {
  const extensionDir = duckdbExtensionDir(config.cache);
  if (!existsSync(join(extensionDir, `v${DUCKDB_VERSION}`))) {
    throw new CatalogError('missing-setup', `DuckDB extensions missing in ${extensionDir}: run \`make setup\``);
  }
  const instance = await DuckDBInstance.create(':memory:', {
    extension_directory: extensionDir,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
  });
  const connection = await instance.connect();
  const run = async (sql: string): Promise<void> => {
    try {
      await connection.run(sql);
    } catch (error) {
      throw classifyDuckdbError(error);
    }
  };
  const all = async (sql: string): Promise<Row[]> => {
    try {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Row[];
    } catch (error) {
      throw classifyDuckdbError(error);
    }
  };
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    for (const extension of EXTENSIONS) await run(`LOAD ${extension}`);
    const endpoint = config.s3Endpoint.replace(/^https?:\/\//, '');
    await run(
      `CREATE OR REPLACE SECRET lake_s3 (TYPE s3, KEY_ID ${sqlString(config.credentials.accessKeyId)}, ` +
        `SECRET ${sqlString(config.credentials.secretAccessKey)}, ENDPOINT ${sqlString(endpoint)}, ` +
        `URL_STYLE 'path', USE_SSL false, REGION ${sqlString(config.region)})`,
    );
    const readOnly = options.readOnly ? ', READ_ONLY' : '';
    await run(
      `ATTACH 'warehouse' AS ${LAKE} (TYPE iceberg, ENDPOINT ${sqlString(config.catalogUri)}, AUTHORIZATION_TYPE 'none'${readOnly})`,
    );
  } catch (error) {
    close();
    throw error;
  }
  return {
    connection,
    run,
    all,
    close,
    async transaction<T>(work: () => Promise<T>): Promise<T> {
      await run('BEGIN TRANSACTION');
      try {
        const result = await work();
        await run('COMMIT');
        return result;
      } catch (error) {
        await run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}
