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

/** Which worker `queue` names: its role (`dougpt`, `dougpt-gpu`) or the queue configured for it. */
export function workerRole(config: StackConfig, queue: string): typeof TASK_QUEUE | typeof GPU_TASK_QUEUE {
  if (queue === config.taskQueue) return TASK_QUEUE;
  if (queue === config.gpuTaskQueue) return GPU_TASK_QUEUE;
  if (queue === TASK_QUEUE || queue === GPU_TASK_QUEUE) return queue;
  throw new Error(`unknown task queue ${queue} (use ${config.taskQueue} or ${config.gpuTaskQueue})`);
}

/**
 * Runs a worker until SIGINT/SIGTERM. The `dougpt` worker runs every workflow and the lake
 * activities; the `dougpt-gpu` worker runs the Python jobs (transcription) one at a time. Each polls
 * the task queue the configuration gives it (DOUGPT_TASK_QUEUE, DOUGPT_GPU_TASK_QUEUE; by default
 * its role's name).
 *
 * @example
 * await runWorker(loadConfig(), 'dougpt');
 */
export async function runWorker(config: StackConfig, queue: string): Promise<void> {
  const role = workerRole(config, queue);
  const taskQueue = role === TASK_QUEUE ? config.taskQueue : config.gpuTaskQueue;
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const deps = lakeDeps(config);
    const worker = await Worker.create(
      role === TASK_QUEUE
        ? {
            connection,
            namespace: config.temporalNamespace,
            taskQueue,
            workflowsPath: join(REPO_ROOT, 'workflows', 'index.ts'),
            activities: createActivities(deps),
            maxConcurrentActivityTaskExecutions: 4,
          }
        : {
            // One GPU job at a time: a job takes the whole GPU (or, on CPU, every core).
            connection,
            namespace: config.temporalNamespace,
            taskQueue,
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
    const unmark = markWorkerReady(config.paths.run, role);
    try {
      await worker.run();
    } finally {
      unmark();
    }
  } finally {
    await connection.close();
  }
}
