import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore } from '../../catalog/object-store.ts';
import { runIngestBatch } from '../../cli/run-ingest-batch.ts';
import { flushInferenceLog } from '../../functions/inference/flush-inference-log.ts';
import { identifyVod } from '../../functions/ingest/identify-vod.ts';
import { jsonlLogSink, type InferenceLogRecord } from '../../functions/reply/inference-log.ts';
import { HawkesPacingModel } from '../../functions/simulate/hawkes-pacing.ts';
import { saveLakeRunPacing } from '../../functions/simulate/save-lake-run-pacing.ts';
import { connectTemporal } from '../../infra/temporal-client.ts';
import { lakeDeps } from '../../infra/worker.ts';
import type { TrainAdapterResult } from '../../workflows/train-adapter.ts';
import { config, dougpt, sqlRows } from './stack.ts';
import { sample } from './samples.ts';

const gpuWorkerPid = (): number => Number(readFileSync(join(config.paths.run, 'gpu-worker.pid'), 'utf8').trim());

/** The training activity's last heartbeat details, as the server holds them. */
async function trainingHeartbeat(workflowId: string): Promise<{ step: number; checkpoint_step: number | null } | null> {
  const { client, connection } = await connectTemporal(config);
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    const pending = description.raw.pendingActivities?.find((a) => a.activityType?.name === 'trainAdapter');
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    return payload ? (defaultPayloadConverter.fromPayload(payload as never) as { step: number; checkpoint_step: number | null }) : null;
  } finally {
    await connection.close();
  }
}

describe('model layer on the real stack: train → evaluate → promote → rollback', () => {
  let datasetId: string;
  let vodId: string;
  let runId: string;
  let trained: TrainAdapterResult;
  const scratch = mkdtempSync(join(tmpdir(), 'dougpt-model-it-'));

  beforeAll(async () => {
    const vod = await sample(51, 90_000);
    vodId = await identifyVod({ video: vod.files.video });
    const { result } = await runIngestBatch(config, { vods: [{ video: vod.files.video, chat: vod.files.chat, vod_id: vodId }] });
    expect(result.failed).toEqual([]);
    // A 90-second VOD: cycles of three 30-second blocks give it a train, a validation and a test block.
    const cfg = join(scratch, 'dataset.json');
    writeFileSync(cfg, JSON.stringify({ cycle_blocks: 3 }));
    const built = JSON.parse((await dougpt(['dataset', 'build', '--vod', vodId, '--config', cfg, '--json'])).stdout) as { dataset_id: string; splits: Record<string, number> };
    expect(built.splits.test).toBeGreaterThan(0);
    datasetId = built.dataset_id;
  });

  it('trains through Temporal, survives a SIGKILLed GPU worker and resumes from the checkpoint in the lake', async () => {
    const { client, connection } = await connectTemporal(config);
    const workflowId = `train/it-${Date.now().toString(36)}`;
    try {
      const handle = await client.workflow.start('trainAdapter', {
        taskQueue: 'dougpt',
        workflowId,
        args: [{ dataset_id: datasetId, preset: 'cpu-smoke', overrides: { optim: { max_steps: 12, warmup_steps: 1 }, checkpoint: { every_steps: 4, keep_last: 2 } }, eval_limit: 8 }],
      });
      let beat: Awaited<ReturnType<typeof trainingHeartbeat>> = null;
      for (let i = 0; i < 1200 && !(beat?.checkpoint_step && beat.checkpoint_step >= 4); i++) {
        await sleep(500);
        beat = await trainingHeartbeat(workflowId);
      }
      expect(beat?.checkpoint_step).toBeGreaterThanOrEqual(4);
      const killed = gpuWorkerPid();
      process.kill(killed, 'SIGKILL');
      await sleep(1_000);
      const restarted = await dougpt(['up']);
      expect(restarted.stderr).toMatch(/gpu-worker: started/);
      trained = (await handle.result()) as TrainAdapterResult;
    } finally {
      await connection.close();
    }
    runId = trained.run_id;
    expect(trained.steps).toBe(12);
    expect(trained.resumed_from_step).toBeGreaterThanOrEqual(4);
    const [row] = await sqlRows(`select dataset_id, steps, resumed_from_step, loss_first, loss_last, adapter_key from gold.training_runs where run_id = '${runId}'`);
    expect(row).toMatchObject({ dataset_id: datasetId, adapter_key: `gold/adapters/${runId}/` });
    expect(Number(row?.resumed_from_step)).toBeGreaterThanOrEqual(4);
    const keys = await createObjectStore(config).listKeys(`gold/adapters/${runId}/`);
    expect(keys).toEqual(expect.arrayContaining([`gold/adapters/${runId}/adapter.gguf`, `gold/adapters/${runId}/run.json`, `gold/adapters/${runId}/adapter/adapter_model.safetensors`]));
    expect(trained.eval).not.toBeNull();
    expect(keys).toContain(trained.eval?.report_key);
  }, 1_800_000);

  it('stores the pacing model of the dataset\'s VODs beside the adapter, once', async () => {
    const key = `gold/adapters/${runId}/pacing.json`;
    expect(trained.pacing).toMatchObject({ key, created: true, vods: 1 });
    const path = join(scratch, 'pacing.json');
    await createObjectStore(config).getToFile(key, path);
    const model = HawkesPacingModel.parse(JSON.parse(readFileSync(path, 'utf8')));
    const [dataset] = await sqlRows(`select sources from gold.datasets where dataset_id = '${datasetId}'`);
    const [source] = JSON.parse(String(dataset?.sources)) as { id: string; vod_id: string }[];
    const [chat] = await sqlRows(`select chat_sha256 from gold.pairs where align_id = '${source?.id}' limit 1`);
    expect(model.version).toBe('dougpt-pacing/2');
    expect(model.sources).toEqual([{ path: 'silver.chat_messages', sha256: chat?.chat_sha256, vod_id: source?.vod_id, align_id: source?.id }]);
    expect(model.baseline.kind).toBe('speech');
    expect(model.training.messages).toBeGreaterThan(0);
    expect(model.evaluation?.seconds).toBeGreaterThanOrEqual(10);
    expect(trained.pacing).toMatchObject({ evaluation: model.evaluation });
    // A retried or replayed step finds the object and writes nothing.
    const again = await saveLakeRunPacing({ run_id: runId, dataset_id: datasetId }, lakeDeps(config));
    // It reports the stored model's figures, so a re-run demo still prints them.
    expect(again).toEqual({ key, created: false, vods: 1, evaluation: model.evaluation });
  });

  it('dougpt simulate --adapter <run_id> fetches the run from the lake and paces chat with its pacing model', async () => {
    const out = join(scratch, 'sim.json');
    const run = await dougpt(['simulate', '--vod', vodId, '--adapter', runId, '--max-messages', '4', '--parallel', '2', '--out', out, '--json']);
    const summary = JSON.parse(run.stdout) as { messages: number; adapter: { run_id: string | null }; pacing: { source: string }; normalized: { rejected: number } };
    expect(summary.adapter.run_id).toBe(runId);
    expect(summary.pacing.source).toMatch(new RegExp(`${runId}.*pacing\\.json$`));
    expect(summary.messages).toBe(4);
    expect(summary.normalized.rejected).toBe(0);
  }, 300_000);

  it('records the evaluation; promote obeys the gates (force overrides them), `current` follows, rollback returns', async () => {
    const results = await sqlRows(`select model, gates_passed, metrics from gold.eval_results where run_id = '${runId}' order by model`);
    expect(results.map((r) => r.model)).toEqual(expect.arrayContaining(['adapter', 'base', 'real']));
    const metrics = JSON.parse(String(results.find((r) => r.model === 'adapter')?.metrics)) as Record<string, number | null>;
    expect(metrics.perplexity).toBeGreaterThan(1);

    const first = await dougpt(['promote', runId, '--note', 'integration', '--json'], { reject: false });
    const decision = JSON.parse(first.stdout) as { decision: { action: string; reason: string | null }; current: { run_id: string } | null };
    const [split] = await sqlRows(`select n_examples, json_extract_string(d.counts, '$.splits.test')::BIGINT test_rows from gold.eval_results e join gold.datasets d using (dataset_id) where e.run_id = '${runId}' and e.model = 'adapter'`);
    const whole = Number(split?.n_examples) === Number(split?.test_rows);
    if (trained.eval?.passed && whole) {
      expect(decision.decision.action).toBe('promote');
    } else {
      // Failed gates, or a verdict on part of the test split (eval_limit): refused, with the reason.
      expect(first.exitCode).toBe(3);
      expect(decision.decision.action).toBe('refused');
      expect(decision.decision.reason).toMatch(whole ? /failed its gates/ : /of the \d+ test examples \(a --limit\)/);
      const forced = JSON.parse((await dougpt(['promote', runId, '--force', '--note', 'integration', '--json'])).stdout) as typeof decision;
      expect(forced.decision.action).toBe('promote');
    }
    const current = JSON.parse((await dougpt(['promoted', '--json'])).stdout) as { run_id: string } | null;
    expect(current?.run_id).toBe(runId);
    const again = await dougpt(['promote', runId, '--json'], { reject: false });
    expect(JSON.parse(again.stdout).decision.reason).toContain('already promoted');

    const back = JSON.parse((await dougpt(['rollback', '--note', 'integration', '--json'])).stdout) as typeof decision;
    expect(back.decision.action).toBe('rollback');
    const rows = await sqlRows(`select action, run_id from gold.promotions where run_id = '${runId}' or action = 'rollback' order by decided_at`);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['promote', 'rollback']));
  });

  it('flushes the reply log into gold.inference_log once, however often it runs', async () => {
    const dir = join(scratch, 'inference-log');
    const sink = jsonlLogSink({ dir, flushMs: 10 });
    const ids = [1, 2, 3].map((i) => `it-${Date.now().toString(36)}-${i}`);
    for (const id of ids) {
      const record: InferenceLogRecord = {
        id, at: new Date().toISOString(), endpoint: 'reply', client: null, context_sha256: 'c', prompt_spec: { version: 'dougpt-chat/1', sha256: 's' },
        prompt_hash: 'p', adapter: { run_id: runId ?? null, gguf: null }, base: { name: 'smollm2-135m' },
        params: { n: 1, seed: 1, seeded: true, temperature: 0.8, top_p: 0.95, max_tokens: 24 }, replies: ['LUL'], guardrail_actions: [],
        completion_tokens: 2, latency_ms: 80, status: 'ok',
      };
      sink.write(record);
    }
    await sink.close();
    const first = await flushInferenceLog(dir, lakeDeps(config));
    const second = await flushInferenceLog(dir, lakeDeps(config));
    expect(first).toMatchObject({ records: 3, invalid: 0 });
    expect(first.rows_written).toBe(3);
    expect(second.rows_written).toBe(0);
    const [count] = await sqlRows(`select count(*) n from gold.inference_log where request_id in (${ids.map((i) => `'${i}'`).join(', ')})`);
    expect(Number(count?.n)).toBe(3);
  });
});
