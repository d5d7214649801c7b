import { NativeConnection, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { createObjectStore } from '../catalog/object-store.ts';
import { openLake } from '../catalog/lake.ts';
import { createActivities } from '../functions/activities.ts';
import type { LakeDeps } from '../functions/deps.ts';
import { GPU_TASK_QUEUE, TASK_QUEUE } from '../workflows/names.ts';
import { createGpuActivities } from './gpu-activities.ts';
import { createSimulationActivities } from '../functions/simulate/simulation-activities.ts';
import type { StackConfig } from './config.ts';
import { REPO_ROOT } from './paths.ts';
import { markWorkerReady } from './worker-ready.ts';

/** The clients a worker injects into its activities. */
export function lakeDeps(config: StackConfig): LakeDeps {
  return {
    config,
    store: createObjectStore(config),
    openLake: () => openLake(config),
    workDir: config.paths.work,
  };
}

/**
 * Runs a worker on `queue` until SIGINT/SIGTERM. The `dougpt` queue runs every workflow and the
 * lake activities; the `dougpt-gpu` queue runs the Python jobs (transcription) one at a time.
 *
 * @example
 * await runWorker(loadConfig(), 'dougpt');
 */
export async function runWorker(config: StackConfig, queue: string): Promise<void> {
  if (queue !== TASK_QUEUE && queue !== GPU_TASK_QUEUE) throw new Error(`unknown task queue ${queue} (use ${TASK_QUEUE} or ${GPU_TASK_QUEUE})`);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const deps = lakeDeps(config);
    const worker = await Worker.create(
      queue === TASK_QUEUE
        ? {
            connection,
            namespace: config.temporalNamespace,
            taskQueue: queue,
            workflowsPath: join(REPO_ROOT, 'workflows', 'index.ts'),
            activities: createActivities(deps),
            maxConcurrentActivityTaskExecutions: 4,
          }
        : {
            // One GPU job at a time: a job takes the whole GPU (or, on CPU, every core).
            connection,
            namespace: config.temporalNamespace,
            taskQueue: queue,
            activities: {
              ...createGpuActivities({ store: deps.store, workDir: deps.workDir, mode: process.env.DOUGPT_GPU_MODE === 'container' ? 'container' : 'process' }),
              ...createSimulationActivities({ store: deps.store, workDir: deps.workDir }),
            },
            maxConcurrentActivityTaskExecutions: 1,
            // Heartbeat details name the newest checkpoint in the lake: send them within seconds, not
            // at the SDK's default of 80% of the heartbeat timeout, so a killed worker loses little.
            maxHeartbeatThrottleInterval: '5 seconds',
            defaultHeartbeatThrottleInterval: '5 seconds',
          },
    );
    const unmark = markWorkerReady(config.paths.run, queue);
    try {
      await worker.run();
    } finally {
      unmark();
    }
  } finally {
    await connection.close();
  }
}
