import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startWorkflowTestEnv, withStubWorker, type WorkflowTestEnv } from './test-env.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestActivities } from '../../functions/activities.ts';
import type { GpuActivities } from '../../infra/gpu-activities.ts';
import type { AdapterRegistryState, PromotedAdapter } from '../../workflows/adapter-registry.ts';
import type { TrainAdapterResult } from '../../workflows/train-adapter.ts';

type Stubs = Partial<IngestActivities> & Partial<GpuActivities>;

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let testEnv: WorkflowTestEnv;

beforeAll(async () => {
  testEnv = await startWorkflowTestEnv();
  ({ env, bundle } = testEnv);
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** Runs `body` with a worker whose activities are the given stubs. */
const withWorker = <T>(stubs: Stubs, body: (taskQueue: string) => Promise<T>): Promise<T> => withStubWorker(testEnv, stubs, body);

/** Lake stubs of the registry's activities: runs a and b passed their gates, c failed, d was never evaluated. */
function registryStubs(recorded: Array<Record<string, unknown>>): Stubs {
  const verdicts: Record<string, { eval_id: string; passed: boolean; failures: string[]; report_key: string | null } | null> = {
    aaaaaaaa: { eval_id: 'eval-a', passed: true, failures: [], report_key: null },
    bbbbbbbb: { eval_id: 'eval-b', passed: true, failures: [], report_key: null },
    cccccccc: { eval_id: 'eval-c', passed: false, failures: ['perplexity 9.1 > 0.8 × base 10.0'], report_key: null },
    dddddddd: null,
  };
  return {
    latestEvalVerdict: async ({ run_id }) => verdicts[run_id] ?? null,
    trainingRunExists: async ({ run_id }) => run_id in verdicts,
    recordPromotion: async (row) => {
      recorded.push(row);
      return { promotion_id: `adapters/${row.decision}`, rows_written: 1, at: `2026-01-01T00:00:0${row.decision}Z` };
    },
  };
}

async function settle(handle: { query: <T>(name: string) => Promise<T> }, decisions: number): Promise<AdapterRegistryState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query<AdapterRegistryState>('state');
    if (state.decisions >= decisions) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`registry did not reach ${decisions} decisions`);
}

describe('adapterRegistry', () => {
  it('refuses a verdict that is not on the full test split against the adapter promoted now, naming why', async () => {
    const recorded: Array<Record<string, unknown>> = [];
    const asked: Array<{ run_id: string; promoted_run_id?: string | null }> = [];
    const stubs = registryStubs(recorded);
    stubs.latestEvalVerdict = async (input: { run_id: string; promoted_run_id?: string | null }) => {
      asked.push(input);
      if (input.run_id !== 'ffffffff') return { eval_id: 'eval-a', passed: true, failures: [], report_key: null, disqualified: null };
      return { eval_id: 'eval-f', passed: true, failures: [], report_key: null, disqualified: 'no verdict on the full test split against the adapter promoted now: eval-f scored 40 of the 53 test examples (a --limit)' };
    };
    stubs.trainingRunExists = async () => true;
    await withWorker(stubs, async (taskQueue) => {
      const handle = await env.client.workflow.start('adapterRegistry', { taskQueue, workflowId: `adapters-${randomUUID()}`, args: [] });
      await handle.signal('promote', { run_id: 'aaaaaaaa' });
      await handle.signal('promote', { run_id: 'ffffffff' });
      let state = await settle(handle, 2);
      expect(state.last).toMatchObject({ action: 'refused', run_id: 'ffffffff' });
      expect(state.last?.reason).toContain('40 of the 53 test examples');
      expect(state.current?.run_id).toBe('aaaaaaaa');
      await handle.signal('promote', { run_id: 'ffffffff', force: true });
      state = await settle(handle, 3);
      expect(state.current).toMatchObject({ run_id: 'ffffffff', forced: true });
      await handle.terminate();
    });
    // The registry asks for the verdict against what is promoted at that moment.
    expect(asked.map((a) => a.promoted_run_id)).toEqual([null, 'aaaaaaaa', 'aaaaaaaa']);
  });

  it('promotes a passing run, refuses a failing one unless forced, rolls back, answers `current`', async () => {
    const recorded: Array<Record<string, unknown>> = [];
    await withWorker(registryStubs(recorded), async (taskQueue) => {
      const handle = await env.client.workflow.start('adapterRegistry', { taskQueue, workflowId: `adapters-${randomUUID()}`, args: [] });
      expect(await handle.query<PromotedAdapter | null>('current')).toBeNull();

      await handle.signal('promote', { run_id: 'aaaaaaaa', note: 'first' });
      let state = await settle(handle, 1);
      expect(state.current).toMatchObject({ run_id: 'aaaaaaaa', adapter_key: 'gold/adapters/aaaaaaaa/', forced: false, promoted_at: '2026-01-01T00:00:00Z' });

      await handle.signal('promote', { run_id: 'cccccccc' });
      state = await settle(handle, 2);
      expect(state.last).toMatchObject({ action: 'refused', run_id: 'cccccccc' });
      expect(state.last?.reason).toContain('perplexity 9.1');
      expect(state.current?.run_id).toBe('aaaaaaaa');

      await handle.signal('promote', { run_id: 'dddddddd' });
      state = await settle(handle, 3);
      expect(state.last?.reason).toContain('no evaluation');

      await handle.signal('promote', { run_id: 'eeeeeeee', force: true });
      state = await settle(handle, 4);
      expect(state.last?.reason).toContain('not in gold.training_runs');

      await handle.signal('promote', { run_id: 'cccccccc', force: true, note: 'on purpose' });
      state = await settle(handle, 5);
      expect(state.current).toMatchObject({ run_id: 'cccccccc', forced: true });

      await handle.signal('promote', { run_id: 'bbbbbbbb' });
      await handle.signal('rollback', { note: 'b is worse' });
      state = await settle(handle, 7);
      expect((await handle.query<PromotedAdapter | null>('current'))?.run_id).toBe('cccccccc');
      await handle.signal('rollback', {});
      await handle.signal('rollback', {});
      state = await settle(handle, 9);
      expect(state.current).toBeNull();
      await handle.signal('rollback', {});
      state = await settle(handle, 10);
      expect(state.last).toMatchObject({ action: 'refused', reason: 'rollback: nothing is promoted' });
      await handle.terminate();
    });
    expect(recorded.map((r) => r.action)).toEqual(['promote', 'refused', 'refused', 'refused', 'promote', 'promote', 'rollback', 'rollback', 'rollback', 'refused']);
    expect(recorded[4]).toMatchObject({ forced: true, gates_passed: false, note: 'on purpose' });
    expect(recorded.map((r) => r.decision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('trainAdapter', () => {
  it('trains on the GPU queue, records the run, evaluates against the promoted run and asks to promote when gates pass', async () => {
    const calls: string[] = [];
    const registry = `adapters`;
    let promoted: unknown = null;
    const gpuQueue = 'dougpt-gpu';
    const gpuWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: gpuQueue,
      workflowBundle: bundle,
      activities: {
        trainAdapter: async (input: { dataset_id: string }) => {
          calls.push(`train:${input.dataset_id}`);
          return { run_id: '0123456789abcdef', dataset_id: input.dataset_id, adapter_key: 'gold/adapters/0123456789abcdef/', preset: 'cpu-smoke', steps: 20, loss_first: 6.1, loss_last: 2.9, tokens_per_s: 800, reused: false, resumed_from_step: null };
        },
        evaluateRun: async (input: { run_id: string; promoted_run_id: string | null; judgments_key?: string }) => {
          calls.push(`eval:${input.run_id}:${input.promoted_run_id}:${input.judgments_key}`);
          return { eval_id: 'eval-000000000001', run_id: input.run_id, passed: true, failures: [], eval_key: 'k/eval.json', report_key: 'k/report.html', n_examples: 40 };
        },
      },
    });
    const result = await gpuWorker.runUntil(
      withWorker(
        {
          commitTrainingRun: async (input) => (calls.push(`commit-run:${input.run_id}`), { rows_written: 1 }),
          saveRunPacing: async (input) => (calls.push(`pacing:${input.run_id}:${input.dataset_id}`), { key: `gold/adapters/${input.run_id}/pacing.json`, created: true, vods: 1, evaluation: null }),
          currentPromotedRun: async () => 'fedcba9876543210',
          stageRunJudgments: async (input) => (calls.push(`judgments:${input.run_id}`), { key: `gold/adapters/${input.run_id}/judgments/ab12.jsonl`, judgments: 3 }),
          commitEvalResults: async (input) => (calls.push(`commit-eval:${input.eval_key}`), { rows_written: 4 }),
          latestEvalVerdict: async () => ({ eval_id: 'eval-000000000001', passed: true, failures: [], report_key: null }),
          trainingRunExists: async () => true,
          recordPromotion: async (row) => ((promoted = row), { promotion_id: 'x', rows_written: 1, at: '2026-01-01T00:00:00Z' }),
        },
        async (taskQueue) => {
          const reg = await env.client.workflow.start('adapterRegistry', { taskQueue, workflowId: registry, args: [] });
          const r = await env.client.workflow.execute('trainAdapter', {
            taskQueue,
            workflowId: `train/${randomUUID()}`,
            args: [{ dataset_id: 'ds-0123abcd', preset: 'cpu-smoke', promote: 'if-gates-pass' }],
          });
          await settle(reg, 1);
          await reg.terminate();
          return r as TrainAdapterResult;
        },
      ),
    );
    expect(calls).toEqual(['train:ds-0123abcd', 'commit-run:0123456789abcdef', 'pacing:0123456789abcdef:ds-0123abcd', 'judgments:0123456789abcdef',
      'eval:0123456789abcdef:fedcba9876543210:gold/adapters/0123456789abcdef/judgments/ab12.jsonl', 'commit-eval:k/eval.json']);
    expect(result).toMatchObject({ run_id: '0123456789abcdef', eval: { passed: true }, promotion_requested: true, pacing: { key: 'gold/adapters/0123456789abcdef/pacing.json' } });
    expect(promoted).toMatchObject({ action: 'promote', run_id: '0123456789abcdef', who: 'trainAdapter' });
  });
});
