import { z } from 'zod';
import { ingestPrefixes } from '../../catalog/keys.ts';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { qualifiedName, audio, vodManifest } from '../../catalog/tables.ts';
import type { LakeDeps } from '../deps.ts';

export const DiscardObjectsInput = z.object({
  keys: z.array(z.string()),
  /** Also sweep every object under this VOD's ingest prefixes (a failed ingest's compensation). */
  vod_id: z.string().min(1).optional(),
});
export type DiscardObjectsInput = z.infer<typeof DiscardObjectsInput>;

/**
 * The undo step of a failed ingest: deletes the given objects and, with `vod_id`, every object under
 * the VOD's ingest prefixes (what an attempt killed mid-stage left too), except those a committed row
 * refers to (content-addressed keys can be shared with an earlier, successful ingest). Also removes
 * staged Parquet after a commit (no row refers to staging keys).
 *
 * @example
 * await discardObjects({ keys: [], vod_id: 'v1' }, deps); // the lake holds only v1's committed objects
 */
export async function discardObjects(raw: DiscardObjectsInput, deps: LakeDeps): Promise<{ deleted: string[] }> {
  const input = DiscardObjectsInput.parse(raw);
  const swept = input.vod_id ? await Promise.all(ingestPrefixes(input.vod_id).map((prefix) => deps.store.listKeys(prefix))) : [];
  const keys = [...new Set([...input.keys, ...swept.flat()])];
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
