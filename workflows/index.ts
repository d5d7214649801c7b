/** Every workflow the `dougpt` worker runs; the worker bundles this file. */
export { ingestBatch } from './ingest-batch.ts';
export { ingestVod } from './ingest-vod.ts';
export { processVod } from './process-vod.ts';
export { buildDataset } from './build-dataset.ts';
export { trainAdapter } from './train-adapter.ts';
export { adapterRegistry } from './adapter-registry.ts';
export { simulateChat } from './simulate-chat.ts';
