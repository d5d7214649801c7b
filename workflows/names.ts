/**
 * Names shared by workflows, workers, the CLI and tests: task queues, workflow types, signals.
 * Pure constants, safe to import from workflow code.
 */
export const TASK_QUEUE = 'dougpt';
export const GPU_TASK_QUEUE = 'dougpt-gpu';

export const WORKFLOW_TYPES = {
  ingestBatch: 'ingestBatch',
  ingestVod: 'ingestVod',
  processVod: 'processVod',
  buildDataset: 'buildDataset',
  trainAdapter: 'trainAdapter',
  adapterRegistry: 'adapterRegistry',
} as const;

/** The one long-running adapter registry (signals promote/rollback, query current). */
export const ADAPTER_REGISTRY_ID = 'adapters';

/** Workflow id of a training run request: a business key, so a second identical start joins the first. */
export const trainWorkflowId = (key: string): string => `train/${key}`;

/** Workflow id of one VOD's ingestion: a business key, so a second start joins the first. */
export const ingestVodWorkflowId = (vodId: string): string => `ingest/${vodId}`;

/** Workflow id of one VOD's transcription and alignment. */
export const processVodWorkflowId = (vodId: string): string => `process/${vodId}`;
