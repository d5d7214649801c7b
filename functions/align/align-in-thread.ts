import { runInThread } from '../run-in-thread.ts';
import { AlignFilesResult, type AlignFilesJob } from './align-files.ts';

const ENTRY = new URL('./align-thread.mjs', import.meta.url);

/**
 * Runs `alignFiles` in a worker thread, so a long alignment leaves this thread's event loop free for
 * heartbeats and the worker's other activities. Inputs and outputs travel as file paths; only counts
 * come back. Aborting `signal` terminates the thread.
 *
 * @example
 * const counts = await alignInThread(job, { signal: ctx.signal });
 */
export function alignInThread(job: AlignFilesJob, options: { signal?: AbortSignal } = {}): Promise<AlignFilesResult> {
  return runInThread(ENTRY, job, AlignFilesResult, 'align', options.signal);
}
