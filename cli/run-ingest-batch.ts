import { createHash } from 'node:crypto';
import type { StackConfig } from '../infra/config.ts';
import { connectTemporal } from '../infra/temporal-client.ts';
import cliProgress from 'cli-progress';
import type { IngestBatchInput, IngestBatchProgress, IngestBatchResult } from '../workflows/ingest-batch.ts';
import { withGpuQueue, WORKFLOW_TYPES } from '../workflows/names.ts';
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
  options: { wait?: boolean; progress?: boolean } = { wait: true },
): Promise<{ workflow_id: string; run_id: string; result: IngestBatchResult }> {
  const { client, connection } = await connectTemporal(config).catch((error: unknown) => {
    throw new UserError(`Temporal is unreachable at ${config.temporalAddress} (${(error as Error).message}); run \`dougpt up\``);
  });
  try {
    const workflowId = batchWorkflowId(input);
    const handle = await client.workflow.start(WORKFLOW_TYPES.ingestBatch, { taskQueue: config.taskQueue, workflowId, args: [withGpuQueue(input, config.gpuTaskQueue)] });
    if (options.wait === false) return { workflow_id: workflowId, run_id: handle.firstExecutionRunId, result: { succeeded: [], failed: [] } };
    // A progress bar from the workflow's `progress` query while it runs (stderr, terminals only).
    const bar =
      options.progress !== false && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'ingest |{bar}| {value}/{total} VODs {running}', stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
    bar?.start(input.vods.length, 0, { running: '' });
    const poll = bar
      ? setInterval(() => {
          handle
            .query<IngestBatchProgress>('progress')
            .then((p) => bar.update(p.done, { running: p.running.length ? `(running: ${p.running.join(', ')})` : '' }))
            .catch(() => undefined);
        }, 1_000)
      : null;
    try {
      const result = (await handle.result()) as IngestBatchResult;
      bar?.update(input.vods.length, { running: '' });
      return { workflow_id: workflowId, run_id: handle.firstExecutionRunId, result };
    } finally {
      if (poll) clearInterval(poll);
      bar?.stop();
    }
  } finally {
    await connection.close();
  }
}
