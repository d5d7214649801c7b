import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { queryLake } from '../../catalog/query-lake.ts';
import { createObjectStore } from '../../catalog/object-store.ts';
import { auditLake } from '../../infra/audit-lake.ts';
import { up } from '../../infra/stack.ts';
import { runningPid } from '../../infra/supervisor.ts';
import { connectTemporal } from '../../infra/temporal-client.ts';
import { readyWorkerPid } from '../../infra/worker-ready.ts';
import type { IngestVodResult } from '../../workflows/ingest-vod.ts';
import { ingestVodWorkflowId, TASK_QUEUE, WORKFLOW_TYPES } from '../../workflows/names.ts';
import { config } from './stack.ts';
import { sample } from './samples.ts';

/**
 * Crashes the stack's processes at named points of an ingest, and the worker at 5 random (seeded)
 * moments, and checks that every VOD still ends
 * with exactly the rows of a clean run. Extends durability.test.ts (one worker kill mid-batch) to
 * several points, to MinIO and to the Iceberg REST catalog. Faults run one at a time; each VOD's
 * recovery (an activity lost with its worker is retried after its 30 s heartbeat timeout) overlaps
 * the next VOD's run, which keeps the suite to a few minutes.
 */

type Fault = 'kill-worker' | 'crash-minio' | 'crash-catalog';

interface Scenario {
  name: string;
  fault: Fault;
  /** Whether the VOD's ingest is at the point where the fault should strike. */
  reached: (handle: WorkflowHandle) => Promise<boolean>;
}

// temporal.api.enums.v1.PendingActivityState: the activity is running on a worker.
const PENDING_ACTIVITY_STATE_STARTED = 2;

async function running(handle: WorkflowHandle, activity: string): Promise<boolean> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? []).some((a) => a.activityType?.name === activity && a.state === PENDING_ACTIVITY_STATE_STARTED);
}

/** Activities the history records as completed (a started activity is only written down when it ends). */
async function completed(handle: WorkflowHandle): Promise<Set<string>> {
  const history = await handle.fetchHistory();
  const names = new Map<string, string>();
  const done = new Set<string>();
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name) names.set(String(event.eventId), scheduled.activityType.name);
    const finished = event.activityTaskCompletedEventAttributes;
    if (finished) done.add(names.get(String(finished.scheduledEventId)) ?? '');
  }
  return done;
}

const staged = (stage: string) => async (handle: WorkflowHandle) => {
  const done = await completed(handle);
  return done.has(stage) && !done.has('commitVod');
};

/** Reached `delayMs` after its first check (right after the workflow starts). */
const after = (delayMs: number) => {
  let since: number | null = null;
  return async () => {
    since ??= Date.now();
    return Date.now() - since >= delayMs;
  };
};

// Random points too: whatever the batch is doing then (this VOD's stages, or an earlier one's still
// running). The seed is printed; DOUGPT_FAULT_SEED replays a failing run.
const SEED = Number(process.env.DOUGPT_FAULT_SEED ?? Date.now() % 1_000_000);
let state = SEED;
const random = () => {
  state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
  return state / 2 ** 32;
};
const RANDOM_KILLS: Scenario[] = Array.from({ length: 5 }, (_, k) => {
  const delay = Math.round(random() * 8_000);
  return { name: `worker SIGKILLed ${delay} ms after the workflow starts (random point ${k + 1}, seed ${SEED})`, fault: 'kill-worker', reached: after(delay) };
});

const SCENARIOS: Scenario[] = [
  { name: 'worker SIGKILLed right after the workflow starts', fault: 'kill-worker', reached: async () => true },
  { name: 'worker SIGKILLed while stageMedia runs', fault: 'kill-worker', reached: (h) => running(h, 'stageMedia') },
  { name: 'worker SIGKILLed once the media is staged', fault: 'kill-worker', reached: staged('stageMedia') },
  { name: 'worker SIGKILLed once the chat is staged', fault: 'kill-worker', reached: staged('stageChat') },
  { name: 'worker SIGKILLed while commitVod runs', fault: 'kill-worker', reached: (h) => running(h, 'commitVod') },
  { name: 'MinIO SIGKILLed and restarted while stageMedia runs', fault: 'crash-minio', reached: (h) => running(h, 'stageMedia') },
  { name: 'the Iceberg REST catalog SIGKILLed and restarted while commitVod runs', fault: 'crash-catalog', reached: (h) => running(h, 'commitVod') },
  ...RANDOM_KILLS,
];

const dirs = { logs: config.paths.logs, run: config.paths.run };

async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`pid ${pid} outlived SIGKILL`);
}

/** Crashes one process of the stack, then brings the stack back with `up`, as a user would. */
async function inject(fault: Fault): Promise<void> {
  const pid = fault === 'kill-worker' ? readyWorkerPid(config.paths.run, TASK_QUEUE) : runningPid(dirs, fault === 'crash-minio' ? 'minio' : 'catalog');
  if (pid === null) throw new Error(`${fault}: nothing to crash`);
  await killAndWait(pid);
  const events: string[] = [];
  await up(config, { onEvent: (service, state) => events.push(`${service}: ${state}`) });
  const restarted = { 'kill-worker': 'worker', 'crash-minio': 'minio', 'crash-catalog': 'catalog' }[fault];
  expect(events).toContain(`${restarted}: started`);
}

const sql = (query: string) => queryLake({ ...config, credentials: config.readerCredentials }, query);

describe('faults during ingest', () => {
  it('every VOD ends with exactly the rows of a clean run, whatever crashed and when', { timeout: 600_000 }, async () => {
    const base = 5_000 + (Date.now() % 100_000) * 10;
    const vods = await Promise.all(SCENARIOS.map((_, i) => sample(base + i, 12_000)));
    const { client, connection } = await connectTemporal(config);
    const started = Date.now();
    try {
      const handles: WorkflowHandle[] = [];
      const struck: string[] = [];
      for (const [i, scenario] of SCENARIOS.entries()) {
        const vod = vods[i];
        if (!vod) throw new Error('missing sample');
        const handle = await client.workflow.start(WORKFLOW_TYPES.ingestVod, {
          taskQueue: TASK_QUEUE,
          workflowId: ingestVodWorkflowId(vod.vod_id),
          args: [{ vod_id: vod.vod_id, video: vod.files.video, chat: vod.files.chat, process: false }],
        });
        handles.push(handle);
        const deadline = Date.now() + 120_000;
        while (!(await scenario.reached(handle))) {
          if (Date.now() > deadline) throw new Error(`${scenario.name}: the point was never reached`);
          await sleep(150);
        }
        await inject(scenario.fault);
        struck.push(`${scenario.name} (+${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
      const results = (await Promise.all(handles.map((h) => h.result()))) as IngestVodResult[];
      process.stderr.write(`[faults] ${struck.join('; ')}; all done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      expect(struck).toHaveLength(SCENARIOS.length);

      const ids = vods.map((v) => `('${v.vod_id}')`).join(', ');
      const rows = await sql(
        `select v.vod_id,
                (select count(*) from bronze.vod_manifest t where t.vod_id = v.vod_id) manifests,
                (select count(*) from silver.audio t where t.vod_id = v.vod_id) audio,
                (select count(*) from silver.chat_messages t where t.vod_id = v.vod_id) messages,
                (select count(distinct message_id) from silver.chat_messages t where t.vod_id = v.vod_id) distinct_messages,
                (select count(*) from silver.chat_rejects t where t.vod_id = v.vod_id) rejects
           from (values ${ids}) v(vod_id)`,
      );
      const store = createObjectStore(config);
      for (const [i, vod] of vods.entries()) {
        const result = results[i];
        const row = rows.find((r) => r.vod_id === vod.vod_id);
        const what = SCENARIOS[i]?.name;
        expect(result?.vod_id, what).toBe(vod.vod_id);
        // A clean run's rows: one manifest and audio row, every message once, accepted + rejected = the file's.
        expect(Number(row?.manifests), what).toBe(1);
        expect(Number(row?.audio), what).toBe(1);
        expect(Number(row?.messages), what).toBe(result?.chat_messages);
        expect(Number(row?.distinct_messages), what).toBe(result?.chat_messages);
        expect(Number(row?.rejects), what).toBe(result?.chat_rejects);
        expect(Number(row?.messages) + Number(row?.rejects), what).toBe(vod.messages);
        for (const prefix of ['bronze/vods/', 'bronze/chat/', 'silver/audio/']) {
          expect(await store.listKeys(`${prefix}${vod.vod_id}/`), `${what}: ${prefix}`).toHaveLength(1);
        }
      }
      // The REST catalog (read by iceberg-js) and DuckDB agree on every table after the crashes.
      expect((await auditLake({ ...config, credentials: config.readerCredentials })).filter((a) => !a.agree)).toEqual([]);
    } finally {
      await connection.close();
    }
  });
});
