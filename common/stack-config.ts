import { z } from 'zod';
import type { StatePaths } from './paths.ts';

// The shape of the stack configuration, below every layer: activities and the catalog receive a
// StackConfig, infra/config.ts builds one (loadConfig) from the environment and <home>/config.json.

export const Port = z.coerce.number({ error: 'expected a port number' }).int('expected a whole port number').min(1, 'expected a port from 1 to 65535').max(65_535, 'expected a port from 1 to 65535');

/** Ports of the local stack; each can be set by an environment variable or in `<home>/config.json`. */
export const PortsConfig = z.object({
  temporal: Port.default(7233),
  temporalUi: Port.default(8233),
  minio: Port.default(9000),
  minioConsole: Port.default(9001),
  catalog: Port.default(8181),
});
export type PortsConfig = z.infer<typeof PortsConfig>;

// MinIO's own limits on access keys and secrets.
export const AccessKeyId = z.string().min(3, 'expected at least 3 characters');
export const SecretAccessKey = z.string().min(8, 'expected at least 8 characters');

export const Credentials = z.object({ accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey });
export type Credentials = z.infer<typeof Credentials>;

/** Everything a process needs to reach the stack. Plain data: safe to pass around (not to print: it holds secrets). */
export interface StackConfig {
  paths: StatePaths;
  cache: string;
  ports: PortsConfig;
  /** Address the local services listen on and are reached at. */
  host: string;
  bucket: string;
  region: string;
  /** Root (read-write) credentials of the object store. */
  credentials: Credentials;
  /** Credentials of the read-only lake user `dougpt sql` queries with (GetObject, ListBucket on the bucket). */
  readerCredentials: Credentials;
  temporalAddress: string;
  temporalNamespace: string;
  /** Task queue of the `dougpt` worker (workflows, lake activities); CLI starts use it. */
  taskQueue: string;
  /** Task queue of the `dougpt-gpu` worker (Python jobs); workflows get it in their input's `gpu_queue`. */
  gpuTaskQueue: string;
  s3Endpoint: string;
  catalogUri: string;
  warehouse: string;
  /** Which services `dougpt up` starts here; false where an environment variable points at another host's. */
  managed: { minio: boolean; catalog: boolean; temporal: boolean };
}
