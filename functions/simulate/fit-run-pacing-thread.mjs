// Entry of the pacing-fit worker thread (see fit-run-pacing-in-thread.ts). A thread starts without the
// parent's TypeScript loader, so it registers tsx itself before importing the TypeScript code.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { fitRunPacing } = await import('./fit-run-pacing.ts');
parentPort.postMessage(fitRunPacing(workerData.vods, { now: () => new Date(workerData.now) }));
