// Entry of the alignment worker thread (see align-in-thread.ts). A thread starts without the parent's
// TypeScript loader, so it registers tsx itself before importing the TypeScript code.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { alignFiles } = await import('./align-files.ts');
parentPort.postMessage(await alignFiles(workerData));
