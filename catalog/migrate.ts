import { setTimeout as sleep } from 'node:timers/promises';
import { CatalogError } from './catalog-error.ts';
import { LAKE, type Lake } from './lake.ts';
import { ledgerStatements, migrations } from './migrations.ts';
import { qualifiedName, schemaMigrations } from './tables.ts';

export interface MigrateResult {
  applied: number[];
  version: number;
}

/**
 * Brings the lake to the newest schema version: creates namespaces and tables that are missing and
 * records each applied migration in `meta.schema_migrations`. Safe to run again and concurrently
 * (every statement is IF NOT EXISTS; a lost race on the ledger is retried).
 */
export async function migrate(lake: Lake): Promise<MigrateResult> {
  for (const statement of ledgerStatements(LAKE)) await lake.run(statement);
  const ledger = `${LAKE}.${qualifiedName(schemaMigrations)}`;
  const done = new Set(
    (await lake.all(`SELECT version FROM ${ledger}`)).map((row) => Number(row.version)),
  );
  const applied: number[] = [];
  for (const migration of migrations(LAKE)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) await lake.run(statement);
    await withConflictRetry(() =>
      lake.run(
        `INSERT INTO ${ledger} SELECT ${migration.version}, '${migration.description.replaceAll("'", "''")}', now() ` +
          `WHERE NOT EXISTS (SELECT 1 FROM ${ledger} WHERE version = ${migration.version})`,
      ),
    );
    applied.push(migration.version);
  }
  const version = Math.max(0, ...done, ...applied);
  return { applied, version };
}

/**
 * Retries an Iceberg commit that lost a race with another writer (409): the next attempt runs on the
 * new snapshot, and keyed writes make that safe.
 */
export async function withConflictRetry<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof CatalogError) || error.kind !== 'conflict' || attempt >= attempts) throw error;
      await sleep(100 * 2 ** attempt + Math.floor(Math.random() * 100));
    }
  }
}
