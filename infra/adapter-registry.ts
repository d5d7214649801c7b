import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { StackConfig } from './config.ts';
import { connectTemporal } from './temporal-client.ts';
import type { PromotedAdapter } from '../workflows/adapter-registry.ts';
import { ADAPTER_REGISTRY_ID, WORKFLOW_TYPES } from '../workflows/names.ts';

/**
 * Starts the long-running `adapterRegistry` workflow (id `adapters`) unless it runs already.
 * Returns whether this call started it.
 */
export async function ensureAdapterRegistry(config: StackConfig): Promise<boolean> {
  const { client, connection } = await connectTemporal(config);
  try {
    await client.workflow.start(WORKFLOW_TYPES.adapterRegistry, { taskQueue: config.taskQueue, workflowId: ADAPTER_REGISTRY_ID, args: [] });
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw error;
  } finally {
    await connection.close();
  }
}

/** The registry's `current` query: the promoted adapter, or null. */
export async function queryPromotedAdapter(config: StackConfig): Promise<PromotedAdapter | null> {
  const { client, connection } = await connectTemporal(config);
  try {
    return await client.workflow.getHandle(ADAPTER_REGISTRY_ID).query<PromotedAdapter | null>('current');
  } finally {
    await connection.close();
  }
}
