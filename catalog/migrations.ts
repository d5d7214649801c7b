import {
  asrRuns, audio, chatMessages, chatOffsets, chatRejects, datasetExamples, datasets, evalJudgments, evalResults, inferenceLog, memoryEntries,
  pairReviews, pairs, promotions, qualifiedName, schemaMigrations, trainingRuns, transcriptSegments, transcriptWords, vodManifest,
  type TableDef,
} from './tables.ts';

/** One schema change. Versions only grow; a shipped migration is never edited. */
export interface Migration {
  version: number;
  description: string;
  statements: readonly string[];
}

/** `CREATE TABLE IF NOT EXISTS` for a table definition, in the attached catalog `catalog`. */
export function createTableSql(table: TableDef, catalog: string): string {
  const columns = table.columns.map(([name, type]) => `${quoteIdent(name)} ${type}`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${catalog}.${qualifiedName(table)} (${columns})`;
}

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The schema history of the lake, oldest first. */
export function migrations(catalog: string): Migration[] {
  return [
    {
      version: 1,
      description: 'ingestion: vod manifest, audio, chat messages and rejects',
      statements: [
        ...['bronze', 'silver', 'gold'].map((ns) => `CREATE SCHEMA IF NOT EXISTS ${catalog}.${ns}`),
        ...[vodManifest, audio, chatMessages, chatRejects].map((t) => createTableSql(t, catalog)),
      ],
    },
    {
      version: 2,
      description: 'transcription runs, words and segments; chat offsets, pairs and reviews',
      statements: [asrRuns, transcriptWords, transcriptSegments, chatOffsets, pairs, pairReviews].map((t) => createTableSql(t, catalog)),
    },
    {
      version: 3,
      description: 'model layer: datasets and their examples, training runs, evaluations, judgments, promotions, inference log',
      statements: [datasets, datasetExamples, trainingRuns, evalResults, evalJudgments, promotions, inferenceLog].map((t) => createTableSql(t, catalog)),
    },
    {
      version: 4,
      description: 'voice memory: the entries of each dataset version\'s memory index',
      statements: [createTableSql(memoryEntries, catalog)],
    },
  ];
}

/** Statements that create the migration ledger itself. */
export function ledgerStatements(catalog: string): string[] {
  return [`CREATE SCHEMA IF NOT EXISTS ${catalog}.meta`, createTableSql(schemaMigrations, catalog)];
}
