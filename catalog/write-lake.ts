import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { StackConfig } from '../infra/config.ts';
import type { Lake } from './lake.ts';
import { withConflictRetry } from './migrate.ts';

/**
 * Runs `work` as one lake transaction while holding the lake's write lock.
 *
 * Why a lock: DuckDB's Iceberg writer and the local REST catalog do not reject a commit built on a
 * stale snapshot, so two concurrent commits to one table can silently drop the first one's rows
 * (seen in tests: three "successful" concurrent commits, one survived). Every lake write in DougPT
 * goes through here, one at a time per state directory; the session is opened inside the lock so it
 * reads the newest snapshots. A writer killed while holding the lock loses it after `STALE_MS`.
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
    return await withConflictRetry(async () => {
      const lake = await deps.openLake();
      try {
        return await lake.transaction(() => work(lake));
      } finally {
        lake.close();
      }
    });
  } finally {
    await release();
  }
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
