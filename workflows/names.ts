/**
 * Names shared by workflows, workers, the CLI and tests: task queues, workflow types, signals.
 * Pure constants, safe to import from workflow code.
 */
export const TASK_QUEUE = 'dougpt';
export const GPU_TASK_QUEUE = 'dougpt-gpu';

/**
 * Workflows that run Python jobs take the GPU task queue from their plain-JSON input, since
 * workflow code cannot read the environment; left out, it is `GPU_TASK_QUEUE`.
 */
export interface GpuQueueInput {
  gpu_queue?: string | null;
}

/** The GPU task queue a workflow input names. */
export const gpuQueueOf = (input: GpuQueueInput | undefined): string => input?.gpu_queue || GPU_TASK_QUEUE;

/**
 * `input` with `gpu_queue` set where `queue` is not the default, so default inputs (and the
 * workflow ids hashed from them) stay as they were.
 *
 * @example
 * withGpuQueue({ vods }, config.gpuTaskQueue); // { vods } unless DOUGPT_GPU_TASK_QUEUE is set
 */
export const withGpuQueue = <T extends object>(input: T, queue: string): T & GpuQueueInput => (queue === GPU_TASK_QUEUE ? input : { ...input, gpu_queue: queue });

/** `{ gpu_queue }` to pass on to a child workflow: empty where the input has none. */
export const passGpuQueue = (input: GpuQueueInput): GpuQueueInput => (input.gpu_queue ? { gpu_queue: input.gpu_queue } : {});

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
