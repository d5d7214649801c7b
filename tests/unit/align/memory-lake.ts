import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAKE, type Lake, type Row } from '../../../catalog/lake.ts';
import { migrations } from '../../../catalog/migrations.ts';
import type { ObjectStore } from '../../../catalog/object-store.ts';
import { loadConfig } from '../../../infra/config.ts';
import type { LakeDeps } from '../../../functions/deps.ts';

/**
 * LakeDeps over an in-memory DuckDB database attached as `lake` with every table of the schema, and an
 * object store whose keys are files under a temp folder: the real SQL of insertNew, writeLake and the
 * activities, without MinIO or the Iceberg catalog.
 */
export async function memoryLakeDeps(): Promise<LakeDeps & { root: string; dispose(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'dougpt-memlake-'));
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`ATTACH ':memory:' AS ${LAKE}`);
  for (const migration of migrations(LAKE)) for (const sql of migration.statements) await setup.run(sql);
  setup.closeSync();

  const openLake = async (): Promise<Lake> => {
    const connection = await instance.connect();
    const run = async (sql: string) => void (await connection.run(sql));
    const all = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Row[];
    return {
      connection,
      run,
      all,
      close: () => connection.closeSync(),
      async transaction<T>(work: () => Promise<T>): Promise<T> {
        await run('BEGIN TRANSACTION');
        try {
          const result = await work();
          await run('COMMIT');
          return result;
        } catch (error) {
          await run('ROLLBACK');
          throw error;
        }
      },
    };
  };
  const store = {
    bucket: 'memory',
    uri: (key: string) => join(root, 'objects', key),
  } as unknown as ObjectStore;
  return {
    config: loadConfig({ DOUGPT_HOME: join(root, 'home') }),
    store,
    openLake,
    workDir: join(root, 'work'),
    root,
    dispose: () => instance.closeSync(),
  };
}
