import type { Command } from 'commander';
import { CatalogError } from '../../catalog/catalog-error.ts';
import { queryLake } from '../../catalog/query-lake.ts';
import { loadConfig } from '../../infra/config.ts';
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

/** `dougpt sql "<query>" [--json]`: DuckDB over the lake, read-only. */
export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('run a read-only DuckDB query over the lake (tables: bronze.vod_manifest, silver.chat_messages, …)')
    .argument('<query>', 'SQL query')
    .option('--json', 'print an array of row objects')
    .action(async (query: string, options: { json?: boolean }) => {
      try {
        const rows = await queryLake(loadConfig(), query);
        if (options.json) printJson(rows);
        else printTable(rows);
      } catch (error) {
        if (error instanceof CatalogError && (error.kind === 'read-only' || error.kind === 'bad-query')) throw new UserError(error.message, 2);
        if (error instanceof CatalogError && error.kind === 'unreachable') throw new UserError(`${error.message} (is the stack up? run \`dougpt up\`)`);
        throw error;
      }
    });
}
