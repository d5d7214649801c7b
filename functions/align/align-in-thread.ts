import { Worker } from 'node:worker_threads';
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
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: job });
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => {
      finish(() => reject(signal?.reason));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: unknown) => {
      const parsed = AlignFilesResult.safeParse(message);
      finish(() => (parsed.success ? resolve(parsed.data) : reject(new Error(`align thread: unexpected result (${parsed.error.issues[0]?.message})`))));
    });
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) => finish(() => reject(new Error(`align thread exited with code ${code} before its result`))));
  });
}
