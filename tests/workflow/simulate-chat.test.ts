import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSimulationInput, SimulateChatInput, SimulationResult, StagedSimulation } from '../../functions/simulate/simulate-vod.ts';
import { GPU_TASK_QUEUE } from '../../workflows/names.ts';
import type { SimulateChatResult } from '../../workflows/simulate-chat.ts';
import { startWorkflowTestEnv, withStubWorker, type WorkflowTestEnv } from './test-env.ts';

let t: WorkflowTestEnv;

beforeAll(async () => {
  t = await startWorkflowTestEnv();
}, 120_000);

afterAll(async () => {
  await t?.env.teardown();
});

const staged = (done: boolean): StagedSimulation => ({
  sim_id: 'sim-0123456789abcdef0123',
  prefix: 'gold/simulations/sim-0123456789abcdef0123/',
  done,
  transcript_key: 'gold/simulations/sim-0123456789abcdef0123/transcript.json',
  pacing_key: 'gold/simulations/sim-0123456789abcdef0123/pacing.json',
  pacing_source: 'fit from align-abc',
  asr_run_id: 'asr-1',
});

/** The GPU queue's stub: counts runs, writes "once" (a second run of a sim_id finds its summary). */
function gpuStubs(calls: string[]) {
  const written = new Set<string>();
  return {
    runSimulation: async (input: RunSimulationInput): Promise<SimulationResult> => {
      calls.push(`run:${input.sim_id}:${input.seed}:${input.rate_scale}:${input.run_id}:${input.transcript_key}`);
      const created = !written.has(input.sim_id);
      written.add(input.sim_id);
      const prefix = `gold/simulations/${input.sim_id}/`;
      return { sim_id: input.sim_id, vod_id: input.vod_id, chat_key: `${prefix}chat.json`, records_key: `${prefix}records.jsonl`, summary_key: `${prefix}simulation.json`, messages: 42, dropped: 1, duration_ms: 60_000, rejected_by_normalizer: 0, created };
    },
  };
}

async function run<T>(lakeStubs: object, calls: string[], body: (taskQueue: string) => Promise<T>, gpuQueue = GPU_TASK_QUEUE): Promise<T> {
  const gpu = await Worker.create({ connection: t.env.nativeConnection, taskQueue: gpuQueue, workflowBundle: t.bundle, activities: gpuStubs(calls) });
  return gpu.runUntil(withStubWorker(t, lakeStubs, body));
}

describe('simulateChat', () => {
  it('stages on the dougpt queue, simulates on the GPU queue, and a repeat writes nothing new', async () => {
    const calls: string[] = [];
    const input: SimulateChatInput = { vod_id: 'v1', run_id: null, rate_scale: 1.5, seed: 9 };
    let stagedOnce = false;
    const lake = {
      stageSimulation: async (i: SimulateChatInput) => {
        calls.push(`stage:${i.vod_id}:${i.seed}`);
        const s = staged(stagedOnce);
        stagedOnce = true;
        return s;
      },
    };
    const [first, second] = await run(lake, calls, async (taskQueue) => {
      const a = await t.env.client.workflow.execute('simulateChat', { taskQueue, workflowId: `simulate/${randomUUID()}`, args: [input] });
      const b = await t.env.client.workflow.execute('simulateChat', { taskQueue, workflowId: `simulate/${randomUUID()}`, args: [input] });
      return [a as SimulateChatResult, b as SimulateChatResult];
    });
    expect(calls).toEqual([
      'stage:v1:9',
      'run:sim-0123456789abcdef0123:9:1.5:null:gold/simulations/sim-0123456789abcdef0123/transcript.json',
      'stage:v1:9',
      'run:sim-0123456789abcdef0123:9:1.5:null:gold/simulations/sim-0123456789abcdef0123/transcript.json',
    ]);
    expect(first).toMatchObject({ sim_id: 'sim-0123456789abcdef0123', chat_key: 'gold/simulations/sim-0123456789abcdef0123/chat.json', messages: 42, created: true, pacing_source: 'fit from align-abc' });
    expect(second.created).toBe(false);
  });

  it('fails at once, naming the input, when the VOD has nothing to simulate', async () => {
    const calls: string[] = [];
    let attempts = 0;
    const lake = {
      stageSimulation: async () => {
        attempts++;
        throw ApplicationFailure.nonRetryable('v404: no transcript in silver.asr_runs (has the VOD been ingested and transcribed?)', 'BadInput');
      },
    };
    const error = await run(lake, calls, (taskQueue) =>
      t.env.client.workflow.execute('simulateChat', { taskQueue, workflowId: `simulate/${randomUUID()}`, args: [{ vod_id: 'v404' }] }).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.cause)).toContain('v404: no transcript');
    expect(attempts).toBe(1);
    expect(calls).toEqual([]);
  });

  it('sends the model job to the queue the input names (gpu_queue)', async () => {
    const calls: string[] = [];
    const gpuQueue = `gpu-elsewhere-${randomUUID()}`;
    const lake = { stageSimulation: async () => staged(false) };
    const result = await run(
      lake,
      calls,
      (taskQueue) =>
        t.env.client.workflow.execute('simulateChat', { taskQueue, workflowId: `simulate/${randomUUID()}`, args: [{ vod_id: 'v1', run_id: null, rate_scale: 1, seed: 3, gpu_queue: gpuQueue }] }),
      gpuQueue,
    );
    expect((result as SimulateChatResult).messages).toBe(42);
    expect(calls).toEqual(['run:sim-0123456789abcdef0123:3:1:null:gold/simulations/sim-0123456789abcdef0123/transcript.json']);
  });
});
