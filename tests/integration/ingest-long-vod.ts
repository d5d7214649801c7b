/**
 * Child process of ingest-memory.test.ts: ingests one VOD through the stages themselves (no Temporal),
 * so the test can read this process's peak RSS. Prints one JSON line.
 *
 *   node --import tsx tests/integration/ingest-long-vod.ts <video> <chat>
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLake } from '../../catalog/lake.ts';
import { createObjectStore } from '../../catalog/object-store.ts';
import type { LakeDeps } from '../../functions/deps.ts';
import { commitVod } from '../../functions/ingest/commit-vod.ts';
import { discardObjects } from '../../functions/ingest/discard-objects.ts';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { stageChat } from '../../functions/ingest/stage-chat.ts';
import { stageMedia } from '../../functions/ingest/stage-media.ts';
import { loadConfig } from '../../infra/config.ts';

const [video, chatPath] = process.argv.slice(2);
if (!video || !chatPath) throw new Error('usage: ingest-long-vod.ts <video> <chat>');
const config = loadConfig();
const deps: LakeDeps = {
  config,
  store: createObjectStore(config),
  openLake: () => openLake(config),
  workDir: mkdtempSync(join(tmpdir(), 'dougpt-long-vod-')),
};
const started = performance.now();
const vod_id = await identifyVod({ video });
const [media, chat] = await Promise.all([stageMedia({ vod_id, video }, deps), stageChat({ vod_id, chat: chatPath }, deps)]);
const committed = await commitVod({ media, chat }, deps);
await discardObjects({ keys: [chat.messages_key, chat.rejects_key] }, deps);
process.stdout.write(
  `${JSON.stringify({ vod_id, duration_ms: media.duration_ms, rows_written: committed.rows_written, seconds: Math.round((performance.now() - started) / 1000) })}\n`,
);
