import { Worker } from 'node:worker_threads';
import type { z } from 'zod';

/**
 * Runs a worker-thread entry with `workerData` and resolves with its one message, checked against `schema`, so
 * long pure work (alignment, pacing fits) leaves this thread's event loop free for heartbeats. Aborting `signal`
 * terminates the thread; a thread that errors or exits before its message rejects, named by `label`.
 *
 * @example
 * const counts = await runInThread(new URL('./align-thread.mjs', import.meta.url), job, AlignFilesResult, 'align', ctx.signal);
 */
export function runInThread<T>(entry: URL, workerData: unknown, schema: z.ZodType<T>, label: string, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData });
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
      const parsed = schema.safeParse(message);
      const issue = parsed.success ? undefined : parsed.error.issues[0];
      finish(() => (parsed.success ? resolve(parsed.data) : reject(new Error(`${label} thread: unexpected result (${issue?.path.join('.')}: ${issue?.message})`))));
    });
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) => finish(() => reject(new Error(`${label} thread exited with code ${code} before its result`))));
  });
}
