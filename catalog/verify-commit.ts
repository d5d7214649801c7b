import { IcebergError, IcebergRestCatalog } from 'iceberg-js';
import { z } from 'zod';
import type { StackConfig } from '../common/stack-config.ts';
import { sqlString, type Lake } from './lake.ts';

/** Why a commit could not be confirmed; branch on `kind`. */
export class CommitVerificationError extends Error {
  constructor(
    readonly kind: 'not-visible' | 'mismatch' | 'unreachable' | 'no-table',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CommitVerificationError';
  }
}

// iceberg-js parses JSON into numbers, so 64-bit snapshot ids come back rounded: snapshots are told
// apart here by their sequence number and manifest list, which stay exact.
const Snapshot = z.object({
  'snapshot-id': z.number(),
  'parent-snapshot-id': z.number().nullish(),
  'sequence-number': z.number().int().nonnegative().default(0),
  'timestamp-ms': z.number(),
  'manifest-list': z.string(),
  summary: z.record(z.string(), z.string()).default({}),
});
const TableMetadata = z.object({
  location: z.string(),
  'current-snapshot-id': z.number().nullish(),
  snapshots: z.array(Snapshot).default([]),
});

/** One table snapshot as the REST catalog reports it. */
export interface CatalogSnapshot {
  sequence_number: number;
  manifest_list: string;
  timestamp_ms: number;
  operation: string | null;
}

/** A client of the REST catalog that is not DuckDB: iceberg-js, speaking the REST API itself. */
export function catalogClient(config: Pick<StackConfig, 'catalogUri'>): IcebergRestCatalog {
  return new IcebergRestCatalog({ baseUrl: `${config.catalogUri}/` });
}

function tableId(table: string) {
  const cut = table.lastIndexOf('.');
  if (cut <= 0) throw new CommitVerificationError('no-table', `${table}: expected <namespace>.<table>`);
  return { namespace: table.slice(0, cut).split('.'), name: table.slice(cut + 1) };
}

/** A table as the REST catalog reports it: where its files live, and its current branch newest first. */
export interface CatalogTable {
  /** The table's base location, e.g. `s3://dougpt-lake/warehouse/silver/chat_messages`. */
  location: string;
  lineage: CatalogSnapshot[];
}

/**
 * Loads one table through the REST catalog: its location and its current branch's snapshots,
 * newest first (a walk from the current snapshot along the parents).
 *
 * @example
 * const { location, lineage } = await catalogTable(catalogClient(config), 'silver.chat_messages');
 */
export async function catalogTable(catalog: IcebergRestCatalog, table: string): Promise<CatalogTable> {
  let raw: unknown;
  try {
    raw = await catalog.loadTable(tableId(table));
  } catch (error) {
    if (error instanceof CommitVerificationError) throw error;
    if (error instanceof IcebergError && error.status === 404) throw new CommitVerificationError('no-table', `${table}: no such table in the catalog`, { cause: error });
    const reason = error instanceof Error ? error.message : String(error);
    throw new CommitVerificationError('unreachable', `${table}: the Iceberg REST catalog did not answer (${reason})`, { cause: error });
  }
  const metadata = TableMetadata.parse(raw);
  const byId = new Map(metadata.snapshots.map((s) => [s['snapshot-id'], s]));
  const lineage: CatalogSnapshot[] = [];
  for (let id = metadata['current-snapshot-id']; id !== null && id !== undefined && id !== -1; ) {
    const snapshot = byId.get(id);
    if (!snapshot) break; // expired ancestors end the walk
    lineage.push({
      sequence_number: snapshot['sequence-number'],
      manifest_list: snapshot['manifest-list'],
      timestamp_ms: snapshot['timestamp-ms'],
      operation: snapshot.summary.operation ?? null,
    });
    id = snapshot['parent-snapshot-id'];
  }
  return { location: metadata.location, lineage };
}

/**
 * The current branch's snapshots of `table`, newest first, as the REST catalog reports them.
 *
 * @example
 * const [current] = await catalogLineage(catalogClient(config), 'silver.chat_messages');
 */
export async function catalogLineage(catalog: IcebergRestCatalog, table: string): Promise<CatalogSnapshot[]> {
  return (await catalogTable(catalog, table)).lineage;
}

/** Row counts a snapshot's manifest list records (Iceberg's own bookkeeping, not a scan). */
export interface ManifestRows {
  /** Rows in the snapshot's data files less the rows its delete files remove. */
  live: number;
  /** Rows in data manifests added after sequence number `after`. */
  addedAfter: number;
}

/**
 * Reads a manifest list (Avro) as plain records: DuckDB serves only as the Avro reader here, so the
 * counts come from the files the catalog names, not from DuckDB's Iceberg scan.
 */
export async function manifestRows(lake: Lake, manifestList: string, after: number | null): Promise<ManifestRows> {
  const [row] = await lake.all(
    `select coalesce(sum(added_rows_count + existing_rows_count) filter (where content = 0), 0) data_rows,
            coalesce(sum(added_rows_count + existing_rows_count) filter (where content = 1), 0) delete_rows,
            coalesce(sum(added_rows_count) filter (where content = 0 and sequence_number > ${after ?? -1}), 0) added_rows
       from read_avro(${sqlString(manifestList)})`,
  );
  return { live: Number(row?.data_rows ?? 0) - Number(row?.delete_rows ?? 0), addedAfter: Number(row?.added_rows ?? 0) };
}

/** What a writer expects a commit to have made visible. */
export interface CommitExpectation {
  /** `<namespace>.<table>`, e.g. `silver.chat_messages`. */
  table: string;
  /** Sequence number of the table's current snapshot before the commit (`catalogLineage(...)[0]`), null when it had none. */
  after: number | null;
  /** Rows the commit appended; checked against the new manifests' added-row counts when given. */
  addedRecords?: number;
}

/**
 * Confirms through the REST catalog, read by iceberg-js rather than DuckDB, that a lake commit is
 * visible: the table's current branch holds a snapshot newer than `after`, and (when `addedRecords`
 * is given) the data manifests added since hold exactly that many rows. Returns the new snapshots,
 * newest first. Call it after a commit made under the lake lock (catalog/write-lake.ts), so no other
 * writer's snapshot lands in between, and after a 5xx on commit, to learn whether it happened.
 *
 * @example
 * const before = (await catalogLineage(catalogClient(config), 'silver.chat_messages'))[0]?.sequence_number ?? null;
 * // … commit 120 rows …
 * await verifyCommit(lake, config, { table: 'silver.chat_messages', after: before, addedRecords: 120 });
 */
export async function verifyCommit(lake: Lake, config: Pick<StackConfig, 'catalogUri'>, expectation: CommitExpectation): Promise<CatalogSnapshot[]> {
  const lineage = await catalogLineage(catalogClient(config), expectation.table);
  const fresh = lineage.filter((s) => expectation.after === null || s.sequence_number > expectation.after);
  const newest = fresh[0];
  if (!newest) {
    throw new CommitVerificationError(
      'not-visible',
      `${expectation.table}: the catalog shows no snapshot after sequence number ${expectation.after ?? 'none'} (current: ${lineage[0]?.sequence_number ?? 'none'})`,
    );
  }
  if (expectation.addedRecords !== undefined) {
    const { addedAfter } = await manifestRows(lake, newest.manifest_list, expectation.after);
    if (addedAfter !== expectation.addedRecords) {
      throw new CommitVerificationError('mismatch', `${expectation.table}: the catalog's new snapshots added ${addedAfter} rows, the commit wrote ${expectation.addedRecords}`);
    }
  }
  return fresh;
}

/**
 * What the catalog shows of one table's commit: `landed` when every snapshot the writer uploaded is
 * on the current branch with the snapshot it recorded before committing among their ancestors;
 * `lost` when one is missing (the catalog answered the commit but never applied it); `replaced` when
 * they are there but the recorded snapshot, another writer's commit, left the branch.
 */
export type CommitOutcome = { kind: 'landed' } | { kind: 'lost'; missing: string[] } | { kind: 'replaced'; parent: CatalogSnapshot | null };

const objectPath = (uri: string): string => uri.replace(/^s3a?:\/\//, '/').replace(/\/+$/, '');

const sameSnapshot = (a: CatalogSnapshot, b: CatalogSnapshot): boolean => a.sequence_number === b.sequence_number && a.manifest_list === b.manifest_list;

/**
 * Judges one table's commit from its lineage after the commit (`catalogTable`). `uploaded` are the
 * object paths (`/<bucket>/<key>`) of the manifest lists the writer put: a manifest list names its
 * snapshot exactly, where iceberg-js rounds snapshot ids. Pure: no I/O.
 *
 * @example
 * commitOutcome(before, ['/dougpt-lake/warehouse/meta/t/metadata/snap-1-a.avro'], await catalogTable(catalog, 'meta.t'));
 */
export function commitOutcome(before: CatalogSnapshot | null, uploaded: readonly string[], after: CatalogTable): CommitOutcome {
  const positions = uploaded.map((path) => after.lineage.findIndex((s) => objectPath(s.manifest_list) === path));
  const missing = uploaded.filter((_, i) => positions[i] === -1);
  if (missing.length > 0) return { kind: 'lost', missing };
  // Normally the recorded snapshot is the direct parent. One further down is no loss: the catalog can
  // answer the read before the commit from an older state (its SQLite connections see different snapshots).
  const below = after.lineage.slice(Math.max(...positions) + 1);
  return before === null || below.some((s) => sameSnapshot(s, before)) ? { kind: 'landed' } : { kind: 'replaced', parent: below[0] ?? null };
}

/** The manifest lists among `uploaded` (object paths) that belong to the table at `location`. */
export function manifestListsOf(location: string, uploaded: readonly string[]): string[] {
  const prefix = `${objectPath(location)}/metadata/`;
  return uploaded.filter((path) => path.startsWith(prefix));
}
