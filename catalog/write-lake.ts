import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IcebergRestCatalog } from 'iceberg-js';
import lockfile from 'proper-lockfile';
import type { StackConfig } from '../common/stack-config.ts';
import { catalogClient, catalogTable, commitOutcome, CommitVerificationError, manifestListsOf, type CatalogSnapshot, type CatalogTable } from './verify-commit.ts';
import type { Lake } from './lake.ts';
import { lakeRequests, loadedTables, recordLakeRequests, uploadedManifestLists } from './lake-requests.ts';
import { withConflictRetry } from './migrate.ts';

/** How many times a commit the catalog did not apply is written again before `writeLake` gives up. */
export const COMMIT_ROUNDS = 5;

/** How many times the catalog is read before a commit counts as missing (a read can see an older state). */
const READS = 3;

/**
 * Runs `work` as one lake transaction while holding the lake's write lock, then confirms through the
 * REST catalog (read by iceberg-js, not DuckDB) that the commit landed.
 *
 * Why a lock: of concurrent commits to one table, the REST catalog rejects most of the stale ones
 * (409, retried here) but answers some with success without applying them: its own retry finds
 * "nothing to commit" (seen in tests: three "successful" concurrent commits, one survived). Every
 * lake write in DougPT goes through here, one at a time per state directory; the session is opened
 * inside the lock so it reads the newest snapshots. A writer killed while holding the lock loses it
 * after `STALE_MS`.
 *
 * Why the check: the lock is per state directory, so writers on two hosts still race. So before
 * committing, the current snapshot of every table the transaction loaded is recorded; after it, each
 * table whose snapshot files the session uploaded must show them on its current branch, on top of
 * the recorded snapshot (normally its direct child). A commit that is missing is written again on a
 * fresh session (writes are keyed, so that is safe) up to `COMMIT_ROUNDS` times; one that replaced
 * another writer's snapshot, or one still missing after that, throws `CommitVerificationError`: a
 * lost commit is never reported as done. A commit answered with a server error (5xx: applied or not,
 * nobody knows) is judged the same way: landed is done, missing is written again. The check costs a
 * catalog GET per table loaded, and one more per table written.
 *
 * @example
 * await writeLake(deps, async (lake) => insertNew(lake, chatMessages, sql));
 */
export async function writeLake<T>(
  deps: { config: StackConfig; openLake: () => Promise<Lake> },
  work: (lake: Lake) => Promise<T>,
): Promise<T> {
  const release = await acquireLakeLock(deps.config);
  try {
    const catalog = catalogClient(deps.config);
    for (let round = 1; ; round++) {
      const { result, commits, unknown } = await withConflictRetry(() => commitOnce(deps, catalog, work));
      // A commit answered with a server error and nothing to look for: its fate cannot be known here.
      if (unknown && commits.length === 0) throw unknown;
      const lost = await lostCommits(catalog, commits);
      if (lost.length === 0) return result;
      if (round >= COMMIT_ROUNDS) {
        throw new CommitVerificationError(
          'not-visible',
          `${lost.join(', ')}: the Iceberg REST catalog accepted the commit but never applied it, ${round} times over (another host writing the same tables?)`,
        );
      }
      await sleep(100 * round + Math.floor(Math.random() * 200));
    }
  } finally {
    await release();
  }
}

/** One table a transaction committed to: the snapshot current before the commit, and the manifest lists it uploaded. */
interface TableCommit {
  table: string;
  before: CatalogSnapshot | null;
  manifestLists: string[];
}

/**
 * DuckDB's error when the catalog answered the commit itself with a server error (or a proxy did): the
 * commit may have been applied or not. The catalog check then decides, like for a commit answered 200.
 */
const UNKNOWN_COMMIT = /Failed to commit Iceberg transaction: Request returned HTTP 5\d\d/;

/**
 * Runs `work` in one transaction on a fresh session; returns what it committed, table by table, and
 * the error of a commit whose state is unknown (answered 5xx).
 */
async function commitOnce<T>(
  deps: { config: StackConfig; openLake: () => Promise<Lake> },
  catalog: IcebergRestCatalog,
  work: (lake: Lake) => Promise<T>,
): Promise<{ result: T; commits: TableCommit[]; unknown: Error | null }> {
  const lake = await deps.openLake();
  try {
    await recordLakeRequests(lake);
    const before = new Map<string, CatalogTable | null>();
    let worked: { value: T } | null = null;
    let unknown: Error | null = null;
    try {
      await lake.transaction(async () => {
        const value = await work(lake);
        // Recorded once the work has loaded every table it writes: DuckDB's commit must land on these.
        for (const table of loadedTables(await lakeRequests(lake), deps.config.catalogUri)) before.set(table, await tableBefore(catalog, table));
        worked = { value };
      });
    } catch (error) {
      if (!worked || !(error instanceof Error) || !UNKNOWN_COMMIT.test(error.message)) throw error;
      unknown = error;
    }
    const result = (worked as { value: T } | null)?.value as T;
    const uploaded = uploadedManifestLists(await lakeRequests(lake));
    const commits: TableCommit[] = [];
    for (const [table, state] of before) {
      // A table the transaction created has no location before: ask the catalog after the commit.
      const location = state?.location ?? (await readTable(catalog, table, () => false)).location;
      const manifestLists = manifestListsOf(location, uploaded);
      if (manifestLists.length > 0) commits.push({ table, before: state?.lineage[0] ?? null, manifestLists });
    }
    return { result, commits, unknown };
  } finally {
    lake.close();
  }
}

async function tableBefore(catalog: IcebergRestCatalog, table: string): Promise<CatalogTable | null> {
  try {
    return await catalogTable(catalog, table);
  } catch (error) {
    if (error instanceof CommitVerificationError && error.kind === 'no-table') return null;
    throw error;
  }
}

/**
 * Reads `table` from the catalog, again (up to `READS` times, a little later each time) while it is
 * missing or `unsettled` says the state read may be an older one.
 */
async function readTable(catalog: IcebergRestCatalog, table: string, unsettled: (state: CatalogTable) => boolean): Promise<CatalogTable> {
  for (let read = 1; ; read++) {
    try {
      const state = await catalogTable(catalog, table);
      if (read >= READS || !unsettled(state)) return state;
    } catch (error) {
      if (!(error instanceof CommitVerificationError && error.kind === 'no-table') || read >= READS) throw error;
    }
    await sleep(150 * read);
  }
}

/** Tables whose commit the catalog did not apply; throws where a commit replaced another writer's snapshot. */
async function lostCommits(catalog: IcebergRestCatalog, commits: readonly TableCommit[]): Promise<string[]> {
  const lost: string[] = [];
  for (const commit of commits) {
    const judge = (state: CatalogTable) => commitOutcome(commit.before, commit.manifestLists, state);
    const outcome = judge(await readTable(catalog, commit.table, (state) => judge(state).kind !== 'landed'));
    if (outcome.kind === 'lost') lost.push(commit.table);
    if (outcome.kind === 'replaced') {
      throw new CommitVerificationError(
        'mismatch',
        `${commit.table}: the commit landed on sequence number ${outcome.parent?.sequence_number ?? 'none'}, and sequence number ${commit.before?.sequence_number ?? 'none'}, ` +
          `current before it, is no longer on the table's branch: another writer's commit was replaced`,
      );
    }
  }
  return lost;
}

/** How long a lock whose holder stopped refreshing it is honoured. */
export const STALE_MS = 15_000;

/** Takes the state directory's lake write lock, waiting as long as other writers hold it. */
export async function acquireLakeLock(config: StackConfig): Promise<() => Promise<void>> {
  mkdirSync(config.paths.run, { recursive: true });
  const target = join(config.paths.run, 'lake-writes');
  closeSync(openSync(target, 'a'));
  return lockfile.lock(target, {
    stale: STALE_MS,
    update: STALE_MS / 3,
    retries: { retries: 100_000, minTimeout: 50, maxTimeout: 500, factor: 1.5 },
    realpath: false,
  });
}
