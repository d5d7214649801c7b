import type { StackConfig } from '../infra/config.ts';
import { connectTemporal } from '../infra/temporal-client.ts';
import { stableHash } from '../functions/dataset/dataset-config.ts';
import type { TrainAdapterInput } from '../functions/train/train-adapter.ts';
import type { TrainAdapterResult } from '../workflows/train-adapter.ts';
import { trainWorkflowId, withGpuQueue, WORKFLOW_TYPES } from '../workflows/names.ts';
import { UserError } from './errors.ts';

export type TrainAdapterRequest = TrainAdapterInput & { evaluate?: boolean; eval_limit?: number; eval_ranking_candidates?: number };

/**
 * Starts `trainAdapter` as `temporal workflow start --type trainAdapter` would and waits for it, reporting
 * the training step from the activity's heartbeats. The workflow id is a hash of the request, so a
 * second identical request started while the first runs joins it.
 */
export async function runTrainAdapter(
  config: StackConfig,
  input: TrainAdapterRequest,
  hooks: { onProgress?: (line: string) => void } = {},
): Promise<{ workflow_id: string; result: TrainAdapterResult }> {
  const { client, connection } = await connectTemporal(config).catch((error: unknown) => {
    throw new UserError(`Temporal is unreachable at ${config.temporalAddress} (${(error as Error).message}); run \`dougpt up\`, or train from a dataset folder`);
  });
  try {
    const workflowId = trainWorkflowId(`${stableHash(input, 12)}-${Date.now().toString(36)}`);
    const handle = await client.workflow.start(WORKFLOW_TYPES.trainAdapter, { taskQueue: config.taskQueue, workflowId, args: [withGpuQueue(input, config.gpuTaskQueue)] });
    hooks.onProgress?.(`workflow ${workflowId}`);
    let lastLine = '';
    const poll = hooks.onProgress
      ? setInterval(() => {
          handle
            .describe()
            .then(async (d) => {
              const pending = d.raw.pendingActivities?.[0];
              const name = pending?.activityType?.name ?? null;
              const { defaultPayloadConverter } = await import('@temporalio/common');
              const payload = pending?.heartbeatDetails?.payloads?.[0];
              const details = payload ? (defaultPayloadConverter.fromPayload(payload as never) as Record<string, unknown>) : {};
              const line = name === 'trainAdapter' ? `training: step ${String(details.step ?? 0)}${details.loss ? `, loss ${Number(details.loss).toFixed(3)}` : ''}` : name ? `${name} …` : '';
              if (line && line !== lastLine) hooks.onProgress?.((lastLine = line));
            })
            .catch(() => undefined);
        }, 2_000)
      : null;
    try {
      return { workflow_id: workflowId, result: (await handle.result()) as TrainAdapterResult };
    } catch (error) {
      let cause = (error as { cause?: unknown }).cause as { message?: string; type?: string; cause?: unknown } | undefined;
      while (cause?.cause && !cause.type) cause = cause.cause as typeof cause;
      if (cause?.message) throw new UserError(cause.message, cause.type === 'BadInput' || cause.type === 'RunnerBadInput' ? 2 : 1);
      throw error;
    } finally {
      if (poll) clearInterval(poll);
    }
  } finally {
    await connection.close();
  }
}
