import { Client, Connection } from '@temporalio/client';
import type { StackConfig } from './config.ts';

/**
 * A Temporal client for the configured namespace; close it with `connection.close()`.
 *
 * @example
 * const { client, connection } = await connectTemporal(config);
 */
export async function connectTemporal(config: StackConfig): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: '5s' });
  return { client: new Client({ connection, namespace: config.temporalNamespace }), connection };
}
