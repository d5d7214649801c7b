import type { Command } from 'commander';
import { CatalogError } from '../../catalog/catalog-error.ts';
import { queryLake } from '../../catalog/query-lake.ts';
import { auditLake, type TableAudit } from '../../infra/audit-lake.ts';
import { loadConfig, type StackConfig } from '../../infra/config.ts';
import { catalogHealthy, minioHealthy } from '../../infra/services/specs.ts';
import { CommitVerificationError } from '../../catalog/verify-commit.ts';
import { UserError } from '../errors.ts';
import { printJson } from '../output.ts';

function printTable(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) {
    process.stdout.write('(no rows)\n');
    return;
  }
  const columns = Object.keys(rows[0] ?? {});
  const cell = (value: unknown) => (value === null || value === undefined ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value));
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (values: string[]) => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(columns)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => cell(row[c])))}\n`);
}

/** The lake as the read-only user sees it: DuckDB's read-only attach, and MinIO refusing any write. */
const readerConfig = (config: StackConfig): StackConfig => ({ ...config, credentials: config.readerCredentials });

async function explain(error: unknown, config: StackConfig): Promise<never> {
  if (error instanceof CatalogError && (error.kind === 'read-only' || error.kind === 'bad-query')) throw new UserError(error.message, 2);
  if (error instanceof CatalogError && error.kind === 'unreachable') {
    // DuckDB reports a refused request (403) and a dead server alike; the services' health tells them apart.
    if ((await minioHealthy(config)) && (await catalogHealthy(config))) {
      throw new UserError(`${error.message} (the stack is up: \`dougpt sql\` connects as the lake's read-only user, which may not write; if reads fail too, \`dougpt up\` recreates that user)`, 2);
    }
    throw new UserError(`${error.message} (is the stack up? run \`dougpt up\`)`);
  }
  if (error instanceof CommitVerificationError) throw new UserError(error.message);
  throw error;
}

function printAudit(audits: TableAudit[]): void {
  printTable(audits.map((a) => ({ ...a, agree: a.agree ? 'yes' : 'NO' })));
  const bad = audits.filter((a) => !a.agree).length;
  process.stdout.write(bad ? `${bad} of ${audits.length} tables disagree\n` : `all ${audits.length} tables agree\n`);
}

/** `dougpt sql "<query>" [--json]`: DuckDB over the lake, read-only; `--audit` cross-checks catalog and DuckDB. */
export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('run a read-only DuckDB query over the lake (tables: bronze.vod_manifest, silver.chat_messages, …)')
    .argument('[query]', 'SQL query')
    .option('--json', 'print an array of row objects')
    .option('--audit', "instead of a query: check every table's current snapshot and row count in the Iceberg REST catalog (read by iceberg-js) against DuckDB; exits 1 on a disagreement")
    .action(async (query: string | undefined, options: { json?: boolean; audit?: boolean }) => {
      if (options.audit && query !== undefined) throw new UserError('give either a query or --audit, not both', 2);
      if (!options.audit && query === undefined) throw new UserError('missing query (or --audit): dougpt sql "select count(*) from silver.chat_messages"', 2);
      const config = loadConfig();
      try {
        if (options.audit) {
          const audits = await auditLake(readerConfig(config));
          if (options.json) printJson(audits);
          else printAudit(audits);
          if (audits.some((a) => !a.agree)) process.exitCode = 1;
          return;
        }
        const rows = await queryLake(readerConfig(config), query ?? '');
        if (options.json) printJson(rows);
        else printTable(rows);
      } catch (error) {
        await explain(error, config);
      }
    });
}
