import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GPU_TASK_QUEUE, TASK_QUEUE } from '../workflows/names.ts';

/** Service name of the worker polling `queue`. */
export const workerServiceName = (queue: string): string => (queue === GPU_TASK_QUEUE ? 'gpu-worker' : 'worker');

export const WORKER_QUEUES: readonly string[] = [TASK_QUEUE, GPU_TASK_QUEUE];

const readyFile = (runDir: string, queue: string) => join(runDir, `${workerServiceName(queue)}.ready`);

/** Called by a worker once it polls: records its pid, so `status` can tell it is up. */
export function markWorkerReady(runDir: string, queue: string): () => void {
  mkdirSync(runDir, { recursive: true });
  const file = readyFile(runDir, queue);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
  };
}

/** The pid of a live worker on `queue`, per its ready file. */
export function readyWorkerPid(runDir: string, queue: string): number | null {
  const file = readyFile(runDir, queue);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}
