import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createObjectStore, ObjectStoreError } from '../../catalog/object-store.ts';
import { openLake } from '../../catalog/lake.ts';
import { catalogClient, catalogLineage, CommitVerificationError, verifyCommit } from '../../catalog/verify-commit.ts';
import { execa } from 'execa';
import { REPO_ROOT } from '../../infra/paths.ts';
import { config, dougpt, env, sqlRows } from './stack.ts';
import { migrations } from '../../catalog/migrations.ts';

/** Schema versions the lake is at: one ledger row per migration. */
const MIGRATIONS = migrations('lake').length;

describe('local stack', () => {
  it('status --json reports every service healthy with its address', async () => {
    const { stdout } = await dougpt(['status', '--json']);
    const status = JSON.parse(stdout) as { services: { name: string; healthy: boolean; url?: string; ui_url?: string }[]; bin: Record<string, string> };
    const byName = Object.fromEntries(status.services.map((s) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['temporal', 'minio', 'catalog', 'worker']));
    for (const service of status.services) expect(service.healthy, service.name).toBe(true);
    expect(byName.temporal?.url).toBe(config.temporalAddress);
    expect(byName.temporal?.ui_url).toBe(`http://127.0.0.1:${config.ports.temporalUi}`);
    expect(byName.minio?.url).toBe(config.s3Endpoint);
    expect(byName.catalog?.url).toBe(config.catalogUri);
    expect(isAbsolute(status.bin.temporal ?? '')).toBe(true);
    expect(isAbsolute(status.bin.minio ?? '')).toBe(true);
  });

  it('up reuses what already runs', async () => {
    const { stderr } = await dougpt(['up']);
    expect(stderr).toMatch(/minio: reused/);
    expect(stderr).toMatch(/temporal: reused/);
    expect(stderr).not.toMatch(/: started/);
  });

  it('env gives shell exports and JSON for the lake and Temporal, with generated credentials', async () => {
    const json = JSON.parse((await dougpt(['env', '--json'])).stdout) as Record<string, string>;
    expect(json.TEMPORAL_ADDRESS).toBe(config.temporalAddress);
    expect(json.AWS_ENDPOINT_URL).toBe(config.s3Endpoint);
    expect(json.ICEBERG_REST_URI).toBe(config.catalogUri);
    expect(json.AWS_REGION).toBeTruthy();
    expect(json.AWS_ACCESS_KEY_ID).toBe(config.credentials.accessKeyId);
    expect(json.AWS_SECRET_ACCESS_KEY).not.toMatch(/minioadmin/);
    expect(json.PATH?.split(':')).toContain(JSON.parse((await dougpt(['status', '--json'])).stdout).bin.temporal.replace(/\/temporal$/, ''));
    const shell = (await dougpt(['env'])).stdout;
    expect(shell).toMatch(/^export TEMPORAL_ADDRESS='127\.0\.0\.1:\d+'$/m);
    expect(shell).toMatch(/^export ICEBERG_REST_URI=/m);
  });

  it('the lake has its namespaces, tables and schema version', async () => {
    const rows = await sqlRows('select version from meta.schema_migrations order by version');
    expect(rows.map((r) => Number(r.version))).toEqual(Array.from({ length: MIGRATIONS }, (_, i) => i + 1));
    for (const table of [
      'bronze.vod_manifest', 'silver.audio', 'silver.chat_messages', 'silver.chat_rejects', 'silver.asr_runs',
      'silver.transcript_words', 'silver.transcript_segments', 'silver.chat_offsets', 'gold.pairs', 'gold.pair_reviews',
      'gold.datasets', 'gold.dataset_examples', 'gold.training_runs', 'gold.eval_results', 'gold.eval_judgments',
      'gold.promotions', 'gold.inference_log', 'gold.memory_entries',
    ]) {
      const [row] = await sqlRows(`select count(*) n from ${table}`);
      expect(Number(row?.n), table).toBeGreaterThanOrEqual(0);
    }
  });

  it('sql refuses writes with a clear one-line error', async () => {
    const result = await dougpt(['sql', 'delete from silver.chat_messages'], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/read-only/);
  });

  it('sql queries as the read-only lake user: reads work, MinIO denies every write it tries', async () => {
    const key = `it-sql-denied-${Date.now()}.csv`;
    const copy = await dougpt(['sql', `copy (select 1 as x) to 's3://${config.bucket}/${key}'`], { reject: false });
    expect(copy.exitCode).not.toBe(0);
    expect(copy.stderr.trim().split('\n')).toHaveLength(1);
    expect(copy.stderr).toMatch(/403|access denied/i);
    // A second, writable attach of the same catalog gets past DuckDB's read-only attach: MinIO still refuses the data file.
    const insert = await dougpt(
      ['sql', `attach 'warehouse' as rw (type iceberg, endpoint '${config.catalogUri}', authorization_type 'none'); insert into rw.meta.schema_migrations select * from rw.meta.schema_migrations limit 1`],
      { reject: false },
    );
    expect(insert.exitCode).not.toBe(0);
    expect(insert.stderr).toMatch(/403|access denied/i);
    const [after] = await sqlRows('select count(*) n from meta.schema_migrations');
    expect(Number(after?.n)).toBe(MIGRATIONS);

    const root = createObjectStore(config);
    const reader = createObjectStore({ ...config, credentials: config.readerCredentials });
    expect(await root.exists(key)).toBe(false);
    const file = join(mkdtempSync(join(tmpdir(), 'dougpt-it-')), 'x.txt');
    writeFileSync(file, 'x');
    const lakeKeys = await reader.listKeys('warehouse/');
    expect(lakeKeys.length).toBeGreaterThan(0);
    for (const attempt of [() => reader.putFileOnce(`${key}.direct`, file), () => reader.remove(lakeKeys[0] ?? '')]) {
      const denied = await attempt().then(() => null, (e: unknown) => e);
      expect(denied).toBeInstanceOf(ObjectStoreError);
      expect((denied as ObjectStoreError).kind).toBe('denied');
    }
    expect(await root.exists(lakeKeys[0] ?? '')).toBe(true);
    expect(config.readerCredentials.accessKeyId).not.toBe(config.credentials.accessKeyId);
  });

  it('verifyCommit sees a commit through the REST catalog (iceberg-js), and sql --audit finds catalog and DuckDB agreeing', async () => {
    const table = `it_verify.rows_${Date.now()}`;
    const lake = await openLake(config);
    try {
      await lake.run('create schema if not exists lake.it_verify');
      await lake.run(`create table lake.${table} (n integer)`);
      const catalog = catalogClient(config);
      expect(await catalogLineage(catalog, table)).toEqual([]);
      await lake.run(`insert into lake.${table} select range from range(5)`);
      const [first] = await verifyCommit(lake, config, { table, after: null, addedRecords: 5 });
      expect(first?.manifest_list).toMatch(/^s3:\/\//);
      await lake.run(`insert into lake.${table} select range from range(3)`);
      const fresh = await verifyCommit(lake, config, { table, after: first?.sequence_number ?? null, addedRecords: 3 });
      expect(fresh).toHaveLength(1);
      const failures = await Promise.all([
        verifyCommit(lake, config, { table, after: fresh[0]?.sequence_number ?? null }),
        verifyCommit(lake, config, { table, after: first?.sequence_number ?? null, addedRecords: 4 }),
        verifyCommit(lake, config, { table: 'it_verify.no_such_table', after: null }),
      ].map((p) => p.then(() => null, (e: unknown) => e)));
      expect(failures.map((e) => (e instanceof CommitVerificationError ? e.kind : e))).toEqual(['not-visible', 'mismatch', 'no-table']);
    } finally {
      lake.close();
    }
    const audit = JSON.parse((await dougpt(['sql', '--audit', '--json'])).stdout) as { table: string; catalog_rows: number; duckdb_rows: number; agree: boolean }[];
    expect(audit.filter((a) => !a.agree)).toEqual([]);
    expect(audit.find((a) => a.table === table)).toMatchObject({ catalog_rows: 8, duckdb_rows: 8 });
    expect(audit.find((a) => a.table === 'meta.schema_migrations')).toMatchObject({ catalog_rows: MIGRATIONS, duckdb_rows: MIGRATIONS });
  });

  it('a service another host runs (its address set by a variable) is checked by up and status, never started', async () => {
    const run = (args: string[], extra: Record<string, string>) =>
      execa(process.execPath, [join(REPO_ROOT, 'bin', 'dougpt.js'), ...args], { env: { ...env, ...extra }, reject: false, cwd: REPO_ROOT });
    const dead = await run(['up', '--no-workers'], { DOUGPT_CATALOG_URI: 'http://127.0.0.1:9' });
    expect(dead.exitCode).toBe(1);
    expect(String(dead.stderr).trim().split('\n').at(-1)).toMatch(/^dougpt: catalog .*DOUGPT_CATALOG_URI/);
    const status = JSON.parse(String((await run(['status', '--json'], { DOUGPT_CATALOG_URI: config.catalogUri })).stdout)) as { services: { name: string; healthy: boolean; external?: boolean }[] };
    expect(status.services.find((s) => s.name === 'catalog')).toMatchObject({ healthy: true, external: true });
    expect(status.services.find((s) => s.name === 'minio')?.external).toBeUndefined();
    const bad = await run(['status'], { DOUGPT_S3_ENDPOINT: 'minio:9000' });
    expect(bad.exitCode).toBe(1);
    expect(String(bad.stderr).trim()).toBe('dougpt: DOUGPT_S3_ENDPOINT: expected an http:// or https:// URL (got "minio:9000")');
  });
});
