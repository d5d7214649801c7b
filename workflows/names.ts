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
} as const;

/** Workflow id of one VOD's ingestion: a business key, so a second start joins the first. */
export const ingestVodWorkflowId = (vodId: string): string => `ingest/${vodId}`;

/** Workflow id of one VOD's transcription and alignment. */
export const processVodWorkflowId = (vodId: string): string => `process/${vodId}`;
