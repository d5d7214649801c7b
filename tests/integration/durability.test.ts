import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { connectTemporal } from '../../infra/temporal-client.ts';
import type { IngestBatchResult } from '../../workflows/ingest-batch.ts';
import { config, dougpt, sqlRows } from './stack.ts';
import { sample } from './samples.ts';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';

const workerPid = (): number => Number(readFileSync(join(config.paths.run, 'worker.pid'), 'utf8').trim());

describe('durability', () => {
  it('a worker SIGKILLed mid-batch is replaced and the batch ends with exactly the rows of a clean run', async () => {
    const vods = await Promise.all([sample(21, 60_000), sample(22, 60_000), sample(23, 60_000)]);
    const { client, connection } = await connectTemporal(config);
    try {
      const id = `it-durability-${Date.now()}`;
      const handle = await client.workflow.start('ingestBatch', {
        taskQueue: 'dougpt',
        workflowId: id,
        args: [{ vods: vods.map((v) => ({ video: v.files.video, chat: v.files.chat })), concurrency: 1 }],
      });
      // Wait until the first VOD is being staged, then kill the worker without warning.
      for (let i = 0; i < 240; i++) {
        const progress = (await handle.query('progress')) as { running: string[] };
        if (progress.running.length > 0) break;
        await sleep(250);
      }
      const killed = workerPid();
      process.kill(killed, 'SIGKILL');
      await sleep(1_000);
      const restarted = await dougpt(['up']);
      expect(restarted.stderr).toMatch(/worker: started/);
      expect(workerPid()).not.toBe(killed);

      const result = (await handle.result()) as IngestBatchResult;
      expect(result.failed).toEqual([]);
      expect(result.succeeded).toHaveLength(3);
      for (const vod of vods) {
        const vodId = await identifyVod({ video: vod.files.video });
        const done = result.succeeded.find((s) => s.vod_id === vodId);
        const [row] = await sqlRows(
          `select (select count(*) from bronze.vod_manifest where vod_id = '${vodId}') m,
                  (select count(*) from silver.audio where vod_id = '${vodId}') a,
                  (select count(*) from silver.chat_messages where vod_id = '${vodId}') c,
                  (select count(*) from silver.chat_rejects where vod_id = '${vodId}') r,
                  (select count(distinct message_id) from silver.chat_messages where vod_id = '${vodId}') d`,
        );
        // What a clean run holds: one manifest and audio row, every accepted message once.
        expect(Number(row?.m)).toBe(1);
        expect(Number(row?.a)).toBe(1);
        expect(Number(row?.c)).toBe(done?.chat_messages);
        expect(Number(row?.d)).toBe(done?.chat_messages);
        expect(Number(row?.r)).toBe(done?.chat_rejects);
        expect(Number(row?.c) + Number(row?.r)).toBe(vod.messages);
      }
    } finally {
      await connection.close();
    }
  });
});
