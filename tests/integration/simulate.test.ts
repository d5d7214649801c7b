import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../catalog/object-store.ts';
import { runIngestBatch } from '../../cli/run-ingest-batch.ts';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { resolveBaseModel } from '../../functions/reply/base-model.ts';
import { PacingModel } from '../../functions/simulate/pacing-model.ts';
import { connectTemporal } from '../../infra/temporal-client.ts';
import type { SimulateChatResult } from '../../workflows/simulate-chat.ts';
import { config, dougpt } from './stack.ts';
import { sample } from './samples.ts';

/**
 * `dougpt pacing fit`, `dougpt simulate` and the `simulateChat` workflow on the real embedded model
 * (SmolLM2-135M GGUF through node-llama-cpp) and the real stack: a seed reproduces the chat byte for
 * byte, the project's chat normaliser reads it back with no reject, and a repeated workflow writes
 * nothing new to the lake.
 */
const base = await resolveBaseModel();
if (!base) process.stderr.write('simulate test: skipped: no base model GGUF (run `make setup`)\n');

interface Summary {
  messages: number;
  planned: number;
  dropped: number;
  normalized: { accepted: number; rejected: number; format: string };
  adapter: { run_id: string | null; base: string };
  pacing: { source: string };
  files: { chat: string; records: string };
}

describe.skipIf(!base)('chat simulation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dougpt-simulate-it-'));
  let vod: Awaited<ReturnType<typeof sample>>;
  let vodId: string;
  const align = join(dir, 'sample.align.json');
  const pacing = join(dir, 'pacing.json');

  beforeAll(async () => {
    vod = await sample(61, 60_000);
    await dougpt(['align', '--transcript', vod.files.transcript, '--chat', vod.files.chat, '--out', align]);
  });

  it('fits the pacing model from an align file and stores pacing.json', async () => {
    const { stdout } = await dougpt(['pacing', 'fit', '--pairs', align, '--out', pacing, '--json']);
    const printed = JSON.parse(stdout) as { base_rate_per_s: number; training: { loglik_per_bin: number; constant_loglik_per_bin: number } };
    const model = PacingModel.parse(JSON.parse(readFileSync(pacing, 'utf8')));
    expect(printed.base_rate_per_s).toBe(model.base_rate_per_s);
    expect(model.base_rate_per_s).toBeGreaterThan(0);
    expect(model.training.loglik_per_bin).toBeGreaterThan(model.training.constant_loglik_per_bin);
  });

  it('simulates the same chat for the same seed on the real model, and the normaliser reads it with zero rejects', async () => {
    const simulate = async (name: string, seed: number) => {
      const out = join(dir, name, 'chat.json');
      const { stdout } = await dougpt(['simulate', '--transcript', vod.files.transcript, '--pacing', pacing, '--seed', String(seed), '--max-messages', '24', '--out', out, '--json']);
      const summary = JSON.parse(stdout) as Summary;
      return { summary, chat: readFileSync(out, 'utf8'), records: readFileSync(summary.files.records, 'utf8') };
    };
    const a = await simulate('a', 4);
    const b = await simulate('b', 4);
    const c = await simulate('c', 5);
    expect(b.chat).toBe(a.chat);
    expect(b.records).toBe(a.records);
    expect(c.chat).not.toBe(a.chat);
    expect(a.summary.adapter).toMatchObject({ run_id: null, base: 'smollm2-135m' });
    expect(a.summary.planned).toBe(24);
    expect(a.summary.messages).toBeGreaterThan(0);
    expect(a.summary.normalized).toEqual({ accepted: a.summary.messages, rejected: 0, format: 'twitchdownloader' });

    const { stdout } = await dougpt(['chat', 'normalize', join(dir, 'a', 'chat.json'), '--out', join(dir, 'a', 'again.jsonl'), '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ format: 'twitchdownloader', accepted: a.summary.messages, rejected: 0 });
    for (const line of a.records.trim().split('\n')) {
      const record = JSON.parse(line) as { text: string; offset_ms: number };
      expect(record.text.length).toBeGreaterThan(0);
      expect(record.text.length).toBeLessThanOrEqual(200);
    }
  });

  it('refuses bad input with one line and exit code 2', async () => {
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, 'hello');
    const bad = await dougpt(['simulate', '--transcript', notJson, '--pacing', pacing, '--out', join(dir, 'x.json')], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^dougpt: .*not\.json: not JSON/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const neither = await dougpt(['simulate', '--out', join(dir, 'x.json')], { reject: false });
    expect(neither.exitCode).toBe(2);
    const noPace = await dougpt(['simulate', '--transcript', vod.files.transcript, '--out', join(dir, 'x.json')], { reject: false });
    expect(noPace.exitCode).toBe(2);
    expect(noPace.stderr).toContain('no pacing model');
    const badPairs = await dougpt(['pacing', 'fit', '--pairs', notJson], { reject: false });
    expect(badPairs.exitCode).toBe(2);
  });

  describe('from the lake', () => {
    beforeAll(async () => {
      vodId = await identifyVod({ video: vod.files.video });
      const { result } = await runIngestBatch(config, { vods: [{ video: vod.files.video, chat: vod.files.chat, vod_id: vodId }] });
      expect(result.failed).toEqual([]);
    });

    it('dougpt simulate --vod reads the newest transcript and fits the pace from the VOD\'s alignment', async () => {
      const out = join(dir, 'lake', 'chat.json');
      const { stdout } = await dougpt(['simulate', '--vod', vodId, '--max-messages', '8', '--out', out, '--json']);
      const summary = JSON.parse(stdout) as Summary;
      expect(summary.pacing.source).toBe(`fit from the newest alignment of ${vodId}`);
      expect(summary.planned).toBe(8);
      expect(summary.normalized.rejected).toBe(0);
    });

    it('simulateChat writes chat.json, records and the summary under gold/simulations/<sim_id>/ once', async () => {
      const store = createObjectStore(config);
      const { client, connection } = await connectTemporal(config);
      const input = { vod_id: vodId, run_id: null, rate_scale: 1, seed: 2, max_messages: 10 };
      try {
        const first = (await client.workflow.execute('simulateChat', { taskQueue: 'dougpt', workflowId: `simulate/it-${Date.now().toString(36)}`, args: [input] })) as SimulateChatResult;
        expect(first.created).toBe(true);
        expect(first.prefix).toBe(`gold/simulations/${first.sim_id}/`);
        const keys = (await store.listKeys(first.prefix)).sort();
        expect(keys.map((k) => k.slice(first.prefix.length))).toEqual(['chat.json', 'pacing.json', 'records.jsonl', 'simulation.json', 'transcript.json']);
        expect(first.rejected_by_normalizer).toBe(0);
        expect(first.messages).toBeGreaterThan(0);

        const second = (await client.workflow.execute('simulateChat', { taskQueue: 'dougpt', workflowId: `simulate/it-${Date.now().toString(36)}-2`, args: [input] })) as SimulateChatResult;
        expect(second.sim_id).toBe(first.sim_id);
        expect(second.created).toBe(false);
        expect((await store.listKeys(first.prefix)).sort()).toEqual(keys);

        const local = join(dir, 'lake-chat.json');
        await store.getToFile(first.chat_key, local);
        const { stdout } = await dougpt(['chat', 'normalize', local, '--out', join(dir, 'lake-chat.jsonl'), '--json']);
        expect(JSON.parse(stdout)).toMatchObject({ accepted: first.messages, rejected: 0 });
      } finally {
        await connection.close();
      }
    });
  });
});
