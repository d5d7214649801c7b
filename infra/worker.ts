import { NativeConnection, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { createObjectStore } from '../catalog/object-store.ts';
import { openLake } from '../catalog/lake.ts';
import { createActivities } from '../functions/activities.ts';
import type { LakeDeps } from '../functions/deps.ts';
import { TASK_QUEUE } from '../workflows/names.ts';
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
 * lake activities.
 *
 * @example
 * await runWorker(loadConfig(), 'dougpt');
 */
export async function runWorker(config: StackConfig, queue: string): Promise<void> {
  if (queue !== TASK_QUEUE) throw new Error(`unknown task queue ${queue}`);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: queue,
      workflowsPath: join(REPO_ROOT, 'workflows', 'index.ts'),
      activities: createActivities(lakeDeps(config)),
      maxConcurrentActivityTaskExecutions: 4,
    });
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
