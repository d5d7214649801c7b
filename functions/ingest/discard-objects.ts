import { z } from 'zod';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { qualifiedName, audio, vodManifest } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';

export const DiscardObjectsInput = z.object({ keys: z.array(z.string()) });
export type DiscardObjectsInput = z.infer<typeof DiscardObjectsInput>;

/**
 * The undo step of a failed ingest: deletes objects a stage wrote, except those a committed row
 * already refers to (content-addressed keys can be shared with an earlier, successful ingest).
 */
export async function discardObjects(raw: DiscardObjectsInput, deps: LakeDeps): Promise<{ deleted: string[] }> {
  const { keys } = DiscardObjectsInput.parse(raw);
  if (keys.length === 0) return { deleted: [] };
  const lake = await deps.openLake();
  let referenced: Set<string>;
  try {
    const list = keys.map(sqlString).join(', ');
    const rows = await lake.all(
      `SELECT video_key k FROM ${LAKE}.${qualifiedName(vodManifest)} WHERE video_key IN (${list}) ` +
        `UNION SELECT chat_key FROM ${LAKE}.${qualifiedName(vodManifest)} WHERE chat_key IN (${list}) ` +
        `UNION SELECT "key" FROM ${LAKE}.${qualifiedName(audio)} WHERE "key" IN (${list})`,
    );
    referenced = new Set(rows.map((row) => String(row.k)));
  } finally {
    lake.close();
  }
  const deleted = keys.filter((key) => !referenced.has(key));
  for (const key of deleted) await deps.store.remove(key);
  return { deleted };
}
