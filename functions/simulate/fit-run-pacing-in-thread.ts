import { Worker } from 'node:worker_threads';
import type { RunPacingVod } from './fit-run-pacing.ts';
import { HawkesPacingModel } from './hawkes-pacing.ts';

const ENTRY = new URL('./fit-run-pacing-thread.mjs', import.meta.url);

/**
 * Runs `fitRunPacing` in a worker thread: the EM fits (twice: held out, then on everything) take
 * seconds on the demo's five minutes of chat and grow with the messages, and this thread's event loop
 * must stay free for heartbeats and the worker's other activities. The model comes back checked against its schema; aborting `signal`
 * terminates the thread.
 *
 * @example
 * const model = await fitRunPacingInThread(vods, { signal: ctx.signal });
 */
export function fitRunPacingInThread(vods: readonly RunPacingVod[], options: { signal?: AbortSignal; now?: Date } = {}): Promise<HawkesPacingModel> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: { vods, now: (options.now ?? new Date()).toISOString() } });
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
      const parsed = HawkesPacingModel.safeParse(message);
      finish(() => (parsed.success ? resolve(parsed.data) : reject(new Error(`pacing thread: unexpected result (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`))));
    });
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) => finish(() => reject(new Error(`pacing thread exited with code ${code} before its result`))));
  });
}
