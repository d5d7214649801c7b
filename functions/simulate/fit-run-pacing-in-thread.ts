import { runInThread } from '../run-in-thread.ts';
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
  return runInThread(ENTRY, { vods, now: (options.now ?? new Date()).toISOString() }, HawkesPacingModel, 'pacing', options.signal);
}
