import { createHash } from 'node:crypto';
import type { StackConfig } from '../infra/config.ts';
import { connectTemporal } from '../infra/temporal-client.ts';
import type { IngestBatchInput, IngestBatchResult } from '../workflows/ingest-batch.ts';
import { TASK_QUEUE, WORKFLOW_TYPES } from '../workflows/names.ts';
import { UserError } from './errors.ts';

/** A batch workflow id: readable, unique per start. */
export function batchWorkflowId(input: IngestBatchInput): string {
  const digest = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 12);
  return `ingest-batch/${digest}-${Date.now().toString(36)}`;
}

/**
 * Starts ingestBatch exactly as `temporal workflow start --type ingestBatch` would, optionally
 * waiting for its result.
 */
export async function runIngestBatch(
  config: StackConfig,
  input: IngestBatchInput,
  options: { wait?: boolean } = { wait: true },
): Promise<{ workflow_id: string; run_id: string; result: IngestBatchResult }> {
  const { client, connection } = await connectTemporal(config).catch((error: unknown) => {
    throw new UserError(`Temporal is unreachable at ${config.temporalAddress} (${(error as Error).message}); run \`dougpt up\``);
  });
  try {
    const workflowId = batchWorkflowId(input);
    const handle = await client.workflow.start(WORKFLOW_TYPES.ingestBatch, { taskQueue: TASK_QUEUE, workflowId, args: [input] });
    const result = options.wait === false ? { succeeded: [], failed: [] } : ((await handle.result()) as IngestBatchResult);
    return { workflow_id: workflowId, run_id: handle.firstExecutionRunId, result };
  } finally {
    await connection.close();
  }
}
