import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLake, type Lake } from '../../catalog/lake.ts';
import { withConflictRetry } from '../../catalog/migrate.ts';
import { acquireLakeLock, writeLake } from '../../catalog/write-lake.ts';
import type { StackConfig } from '../../infra/config.ts';
import { config } from './stack.ts';

/**
 * Two hosts writing one lake: the same REST catalog and object store, but each its own state
 * directory, so each its own lake write lock. Each host commits keyed batches into one table while
 * the other does; the lock keeps each host's commits one at a time, nothing keeps them apart.
 */
const secondHost: StackConfig = { ...config, paths: { ...config.paths, run: mkdtempSync(join(tmpdir(), 'dougpt-host2-')) } };
const HOSTS = [config, secondHost];
const BATCHES_PER_HOST = 12;
const ROWS_PER_BATCH = 20;

type Writer = (host: StackConfig, work: (lake: Lake) => Promise<void>) => Promise<void>;

/** The lake writer without the catalog check: its state directory's lock and one transaction. */
const lockedOnly: Writer = async (host, work) => {
  const release = await acquireLakeLock(host);
  try {
    await withConflictRetry(async () => {
      const lake = await openLake(host);
      try {
        await lake.transaction(() => work(lake));
      } finally {
        lake.close();
      }
    });
  } finally {
    await release();
  }
};

const checked: Writer = (host, work) => writeLake({ config: host, openLake: () => openLake(host) }, work);

/** Both hosts write all their batches at once; returns the rows each batch has in the table afterwards. */
async function race(writer: Writer): Promise<{ rows: Map<number, number>; seconds: number }> {
  const table = `lake.meta.hosts_${Date.now()}`;
  await checked(config, (lake) => lake.run(`CREATE TABLE ${table} (batch INTEGER, i INTEGER)`));
  const started = Date.now();
  await Promise.all(
    HOSTS.flatMap((host, h) =>
      Array.from({ length: BATCHES_PER_HOST }, (_, i) => {
        const batch = h * BATCHES_PER_HOST + i;
        return writer(host, (lake) =>
          lake.run(`INSERT INTO ${table} SELECT ${batch}, range FROM range(${ROWS_PER_BATCH}) WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE batch = ${batch})`),
        );
      }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;
  const reader = await openLake(config, { readOnly: true });
  try {
    const counted = await reader.all(`SELECT batch, count(*) n FROM ${table} GROUP BY batch`);
    return { rows: new Map(counted.map((r) => [Number(r.batch), Number(r.n)])), seconds };
  } finally {
    reader.close();
  }
}

const ALL_BATCHES = Array.from({ length: HOSTS.length * BATCHES_PER_HOST }, (_, b) => b);

describe('two hosts writing one lake', () => {
  it('without the catalog check, every batch that landed is whole (and some may be lost)', async () => {
    const { rows, seconds } = await race(lockedOnly);
    const lost = ALL_BATCHES.filter((b) => !rows.has(b));
    process.stderr.write(`[multi-host] lock only: ${lost.length} of ${ALL_BATCHES.length} reported batches missing (${lost.join(' ')}) in ${seconds.toFixed(1)} s\n`);
    for (const n of rows.values()) expect(n).toBe(ROWS_PER_BATCH);
  });

  it('with the catalog check, every batch of both hosts is in the table exactly once', async () => {
    const { rows, seconds } = await race(checked);
    process.stderr.write(`[multi-host] checked: ${rows.size} of ${ALL_BATCHES.length} batches in ${seconds.toFixed(1)} s\n`);
    expect(ALL_BATCHES.map((b) => rows.get(b) ?? 0)).toEqual(ALL_BATCHES.map(() => ROWS_PER_BATCH));
  });
});
