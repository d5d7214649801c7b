import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { buildMemoryIndex, memoryIndexText, parseMemoryIndex } from '../../functions/memory/memory-index.ts';
import { savePairReview } from '../../functions/review/save-pair-review.ts';
import { HawkesPacingModel } from '../../functions/simulate/hawkes-pacing.ts';
import { saveLakeRunPacing } from '../../functions/simulate/save-lake-run-pacing.ts';
import { openLake } from '../../catalog/lake.ts';
import { createObjectStore } from '../../catalog/object-store.ts';
import { runIngestBatch } from '../../cli/run-ingest-batch.ts';
import { connectTemporal } from '../../infra/temporal-client.ts';
import { lakeDeps } from '../../infra/worker.ts';
import { config, dougpt, sqlRows, temporal } from './stack.ts';
import { sample } from './samples.ts';

interface Summary {
  dataset_id: string;
  split_by: string;
  splits: Record<string, number>;
  vods: number;
  filtered: Record<string, number>;
  capped: Record<string, number>;
  prompt_spec: { version: string; sha256: string };
  out: string | null;
  export_key: string;
  created: boolean;
}

const build = async (args: string[]): Promise<Summary> => JSON.parse((await dougpt(['dataset', 'build', ...args, '--json'])).stdout) as Summary;
const membership = async (datasetId: string) =>
  new Map((await sqlRows(`select pair_id, split from gold.dataset_examples where dataset_id = '${datasetId}'`)).map((r) => [String(r.pair_id), String(r.split)]));

describe('dataset build from the lake', () => {
  let vodA: string;
  let vodB: string;
  let datasetA = '';
  const out = mkdtempSync(join(tmpdir(), 'dougpt-dataset-it-'));

  beforeAll(async () => {
    const [a, b] = await Promise.all([sample(41, 90_000), sample(42, 90_000)]);
    vodA = await identifyVod({ video: a.files.video });
    vodB = await identifyVod({ video: b.files.video });
    const { result } = await runIngestBatch(config, { vods: [{ video: a.files.video, chat: a.files.chat, vod_id: vodA }] });
    expect(result.failed).toEqual([]);
    void b;
  });

  it('builds one version twice: same id, one row, identical membership, objects in MinIO', async () => {
    const first = await build(['--vod', vodA, '--out', join(out, 'a1')]);
    datasetA = first.dataset_id;
    expect(first.created).toBe(true);
    expect(first.vods).toBe(1);
    expect(first.splits.train).toBeGreaterThan(0);
    const second = await build(['--vod', vodA]);
    expect(second.dataset_id).toBe(first.dataset_id);
    expect(second.created).toBe(false);
    const [versions] = await sqlRows(`select count(*) n from gold.datasets where dataset_id = '${first.dataset_id}'`);
    expect(Number(versions?.n)).toBe(1);
    const m = await membership(first.dataset_id);
    expect(m.size).toBe(first.splits.train + first.splits.validation + first.splits.test);
    const keys = await createObjectStore(config).listKeys(first.export_key);
    expect(keys).toEqual(expect.arrayContaining([`${first.export_key}README.md`, `${first.export_key}sft/train.jsonl`, `${first.export_key}dataset.json`]));
    const row = JSON.parse(readFileSync(join(out, 'a1', 'sft', 'train.jsonl'), 'utf8').split('\n')[0] as string);
    expect(row.align_id).toMatch(/^align-/);
    expect(row.asr_run_id).toBeTruthy();
    expect(row.manifest_version).not.toBeNull();
    // The voice memory is in the lake too: its entries, in index order, rebuild the exported index byte for byte.
    const exported = readFileSync(join(out, 'a1', 'memory.json'), 'utf8');
    const index = parseMemoryIndex(exported);
    const entries = await sqlRows(`select memory_sha256, rule, entry, pair_id, vod_id, offset_ms, context, reply from gold.memory_entries where dataset_id = '${first.dataset_id}' order by entry`);
    expect(entries.length).toBe(first.splits.train);
    expect(new Set(entries.map((e) => e.memory_sha256))).toEqual(new Set([index.sha256]));
    const { k, exclude_ms, k1, b } = index.file;
    const rebuilt = memoryIndexText(buildMemoryIndex(first.dataset_id, entries.map((e) => ({ pair_id: String(e.pair_id), vod_id: String(e.vod_id), offset_ms: Number(e.offset_ms), context: String(e.context), reply: String(e.reply) })), { k, excludeMs: exclude_ms, k1, b }));
    expect(rebuilt).toBe(exported);
    const [memoryRows] = await sqlRows(`select count(*) n from gold.memory_entries where dataset_id = '${first.dataset_id}'`);
    expect(Number(memoryRows?.n)).toBe(entries.length); // the second build added none
  });

  it('the pacing model of a run trained on it: chat from silver.chat_messages, speech from the alignment and transcript, stored once', async () => {
    const runId = randomBytes(8).toString('hex');
    const deps = lakeDeps(config);
    const saved = await saveLakeRunPacing({ run_id: runId, dataset_id: datasetA }, deps);
    expect(saved).toMatchObject({ key: `gold/adapters/${runId}/pacing.json`, created: true, vods: 1 });
    const path = join(out, 'pacing.json');
    await createObjectStore(config).getToFile(`gold/adapters/${runId}/pacing.json`, path);
    const model = HawkesPacingModel.parse(JSON.parse(readFileSync(path, 'utf8')));
    const [chat] = await sqlRows(`select chat_sha256, count(*) n from silver.chat_messages where vod_id = '${vodA}' group by chat_sha256`);
    expect(model.sources).toMatchObject([{ path: 'silver.chat_messages', sha256: chat?.chat_sha256, vod_id: vodA }]);
    expect(model.baseline.kind).toBe('speech');
    expect(model.training.messages).toBeGreaterThan(0);
    expect(model.training.messages).toBeLessThanOrEqual(Number(chat?.n));
    expect(model.evaluation?.seconds).toBeGreaterThanOrEqual(10);
    expect('evaluation' in saved && saved.evaluation).toEqual(model.evaluation);
    expect(await saveLakeRunPacing({ run_id: runId, dataset_id: datasetA }, deps)).toEqual({ key: `gold/adapters/${runId}/pacing.json`, created: false, vods: 1, evaluation: model.evaluation });
  });

  it('a reviewer reject removes a pair; an accept keeps a low-tier pair', async () => {
    const [low] = await sqlRows(`select pair_id from gold.pairs where vod_id = '${vodA}' and label = 'reaction' and tier = 0 and pair_id is not null limit 1`);
    const [kept] = await sqlRows(`select pair_id from gold.pairs where vod_id = '${vodA}' and tier = 2 and pair_id is not null order by pair_id limit 1`);
    const deps = { config, openLake: () => openLake(config), workDir: mkdtempSync(join(tmpdir(), 'dougpt-review-')) };
    await savePairReview({ vod_id: vodA, pair_id: String(kept?.pair_id), verdict: 'reject', reviewer: 'dataset-it' }, deps);
    if (low) await savePairReview({ vod_id: vodA, pair_id: String(low.pair_id), verdict: 'accept', reviewer: 'dataset-it' }, deps);
    const s = await build(['--vod', vodA]);
    expect(s.filtered['review-reject']).toBe(1);
    const m = await membership(s.dataset_id);
    expect(m.has(String(kept?.pair_id))).toBe(false);
    if (low) {
      // Accepted, so no tier filter; it may still fall to a split boundary or a cap, never to the tier rule.
      const [again] = await sqlRows(`select count(*) n from gold.dataset_examples where dataset_id = '${s.dataset_id}' and pair_id = '${low.pair_id}'`);
      expect(Number(again?.n) + (s.filtered['split-boundary'] ?? 0) + Object.values(s.capped).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    }
  });

  it('adding a VOD moves no existing example; the workflow takes plain JSON from the Temporal CLI', async () => {
    const before = await build(['--vod', vodA]);
    const b = await sample(42, 90_000);
    const { result } = await runIngestBatch(config, { vods: [{ video: b.files.video, chat: b.files.chat, vod_id: vodB }] });
    expect(result.failed).toEqual([]);
    const wf = `dataset-it-${Date.now().toString(36)}`;
    await temporal(['workflow', 'start', '--type', 'buildDataset', '--task-queue', 'dougpt', '--workflow-id', wf, '--input', JSON.stringify({ vod_ids: [vodA, vodB] })]);
    const { client, connection } = await connectTemporal(config);
    const after = await client.workflow
      .getHandle(wf)
      .result()
      .then((r: { summary: Summary }) => r.summary)
      .finally(() => connection.close());
    expect(after.vods).toBe(2);
    const [m1, m2] = await Promise.all([membership(before.dataset_id), membership(after.dataset_id)]);
    let moved = 0;
    for (const [pairId, split] of m1) if (m2.has(pairId) && m2.get(pairId) !== split) moved++;
    expect(moved).toBe(0);
    const diff = JSON.parse((await dougpt(['dataset', 'diff', join(out, 'a1'), join(out, 'a1'), '--json'])).stdout);
    expect(diff.moved).toBe(0);
  });

  it('fails with one line for a VOD without alignment', async () => {
    const r = await dougpt(['dataset', 'build', '--vod', 'no-such-vod'], { reject: false });
    expect(r.exitCode).toBe(2);
    // Progress lines may come first; the failure is one line, the last.
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('dougpt:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('no-such-vod');
  });
});
