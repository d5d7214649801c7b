import { createHash } from 'node:crypto';
import type { StackConfig } from '../infra/config.ts';
import { connectTemporal } from '../infra/temporal-client.ts';
import type { BuildLakeDatasetInput, BuildLakeDatasetOutput } from '../functions/dataset/build-lake-dataset.ts';
import { WORKFLOW_TYPES } from '../workflows/names.ts';
import { UserError } from './errors.ts';

/**
 * Starts the `buildDataset` workflow exactly as `temporal workflow start --type buildDataset` would and
 * waits for it. Local paths are made absolute: the worker may run elsewhere in the same file tree.
 */
export async function runBuildDataset(
  config: StackConfig,
  input: BuildLakeDatasetInput,
  hooks: { onStage?: (line: string) => void } = {},
): Promise<BuildLakeDatasetOutput & { workflow_id: string }> {
  const { resolve } = await import('node:path');
  const plain: BuildLakeDatasetInput = {
    ...input,
    ...(input.out ? { out: resolve(input.out) } : {}),
    ...(input.opt_out_file ? { opt_out_file: resolve(input.opt_out_file) } : {}),
    ...(input.config_file ? { config_file: resolve(input.config_file) } : {}),
  };
  const { client, connection } = await connectTemporal(config).catch((error: unknown) => {
    throw new UserError(`Temporal is unreachable at ${config.temporalAddress} (${(error as Error).message}); run \`dougpt up\`, or build from files with --pairs`);
  });
  try {
    const digest = createHash('sha256').update(JSON.stringify(plain)).digest('hex').slice(0, 12);
    const workflowId = `dataset/${digest}-${Date.now().toString(36)}`;
    hooks.onStage?.(`dataset: workflow ${workflowId} …`);
    const handle = await client.workflow.start(WORKFLOW_TYPES.buildDataset, { taskQueue: config.taskQueue, workflowId, args: [plain] });
    try {
      const result = (await handle.result()) as BuildLakeDatasetOutput;
      return { ...result, workflow_id: workflowId };
    } catch (error) {
      // WorkflowFailedError → ActivityFailure → ApplicationFailure: the innermost named failure is the reason.
      let cause = (error as { cause?: unknown }).cause as { message?: string; type?: string; cause?: unknown } | undefined;
      while (cause?.cause && !cause.type) cause = cause.cause as typeof cause;
      if (cause?.message) throw new UserError(cause.message, cause.type === 'BadInput' ? 2 : 1);
      throw error;
    }
  } finally {
    await connection.close();
  }
}
