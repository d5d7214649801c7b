import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { GPU_TASK_QUEUE, TASK_QUEUE } from '../workflows/names.ts';
import { cacheDir, stateDir, statePaths } from '../common/paths.ts';
import { AccessKeyId, Credentials, Port, PortsConfig, SecretAccessKey, type StackConfig } from '../common/stack-config.ts';

export { Credentials, PortsConfig, type StackConfig };

export const FileConfig = z.object({ ports: PortsConfig.partial().default({}) }).partial();

/** A bad configuration value: one line naming the variable (or file field) and what it must be. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const PORT_ENV: Record<keyof PortsConfig, string> = {
  temporal: 'DOUGPT_TEMPORAL_PORT',
  temporalUi: 'DOUGPT_TEMPORAL_UI_PORT',
  minio: 'DOUGPT_MINIO_PORT',
  minioConsole: 'DOUGPT_MINIO_CONSOLE_PORT',
  catalog: 'DOUGPT_CATALOG_PORT',
};

const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).transform((url) => url.replace(/\/+$/, ''));

const TaskQueue = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'expected a task queue name (letters, digits, . _ -)');

/** Every other environment variable `loadConfig` reads, with what it must look like. */
export const ENV_SCHEMAS = {
  DOUGPT_HOST: z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or IP address'),
  DOUGPT_S3_ENDPOINT: HttpUrl,
  DOUGPT_CATALOG_URI: HttpUrl,
  DOUGPT_TEMPORAL_ADDRESS: z.string().regex(/^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port'),
  DOUGPT_TEMPORAL_NAMESPACE: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/, 'expected a Temporal namespace name (letters, digits, . _ -)'),
  DOUGPT_TASK_QUEUE: TaskQueue,
  DOUGPT_GPU_TASK_QUEUE: TaskQueue,
  DOUGPT_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 of a-z 0-9 . -)'),
  DOUGPT_S3_REGION: z.string().regex(/^[a-z0-9-]{2,32}$/, 'expected a region name such as us-east-1'),
  DOUGPT_S3_ACCESS_KEY_ID: AccessKeyId,
  DOUGPT_S3_SECRET_ACCESS_KEY: SecretAccessKey,
  DOUGPT_S3_READER_ACCESS_KEY_ID: AccessKeyId,
  DOUGPT_S3_READER_SECRET_ACCESS_KEY: SecretAccessKey,
} as const;
type EnvName = keyof typeof ENV_SCHEMAS;

/** The value of one variable, validated; undefined when unset or empty. */
function envValue<N extends EnvName>(env: NodeJS.ProcessEnv, name: N): z.output<(typeof ENV_SCHEMAS)[N]> | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const result = ENV_SCHEMAS[name].safeParse(raw);
  if (!result.success) throw new ConfigError(name, `${result.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(raw)})`);
  return result.data as z.output<(typeof ENV_SCHEMAS)[N]>;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

function parseFile<T extends z.ZodType>(path: string, schema: T): z.output<T> {
  const result = schema.safeParse(readJson(path));
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConfigError(`${path}${issue?.path.length ? ` ${issue.path.join('.')}` : ''}`, issue?.message ?? 'invalid');
}

/** Local credentials are made once per state directory, never hard-coded. */
function loadOrCreateCredentials(path: string, prefix: string): Credentials {
  if (existsSync(path)) return parseFile(path, Credentials);
  const credentials = {
    accessKeyId: `${prefix}-${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

/** A key pair from two variables, both or neither. */
function envCredentials(env: NodeJS.ProcessEnv, id: EnvName, secret: EnvName): Credentials | undefined {
  const accessKeyId = envValue(env, id);
  const secretAccessKey = envValue(env, secret);
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined) throw new ConfigError(id, `must be set together with ${secret}`);
  if (secretAccessKey === undefined) throw new ConfigError(secret, `must be set together with ${id}`);
  return { accessKeyId, secretAccessKey };
}

/**
 * Loads the stack configuration: defaults for one machine, `<home>/config.json` (ports), and
 * environment variables over both (the README's table lists them). A bad value throws a
 * `ConfigError` naming the variable. Setting `DOUGPT_S3_ENDPOINT`, `DOUGPT_CATALOG_URI` or
 * `DOUGPT_TEMPORAL_ADDRESS` points this process at another host's service, which `dougpt up`
 * then checks instead of starting.
 *
 * @example
 * const config = loadConfig(); // config.s3Endpoint === 'http://127.0.0.1:9000'
 * loadConfig({ DOUGPT_MINIO_PORT: 'x' }); // throws ConfigError('DOUGPT_MINIO_PORT: expected a port number (got "x")')
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const paths = statePaths(stateDir(env));
  mkdirSync(paths.home, { recursive: true });
  const file = parseFile(paths.config, FileConfig);
  const ports = { ...PortsConfig.parse(file.ports ?? {}) };
  for (const [key, name] of Object.entries(PORT_ENV) as [keyof PortsConfig, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const result = Port.safeParse(raw);
    if (!result.success) throw new ConfigError(name, `${result.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(raw)})`);
    ports[key] = result.data;
  }
  const host = envValue(env, 'DOUGPT_HOST') ?? '127.0.0.1';
  const bucket = envValue(env, 'DOUGPT_BUCKET') ?? 'dougpt-lake';
  const s3Endpoint = envValue(env, 'DOUGPT_S3_ENDPOINT');
  const catalogUri = envValue(env, 'DOUGPT_CATALOG_URI');
  const temporalAddress = envValue(env, 'DOUGPT_TEMPORAL_ADDRESS');
  const taskQueue = envValue(env, 'DOUGPT_TASK_QUEUE') ?? TASK_QUEUE;
  const gpuTaskQueue = envValue(env, 'DOUGPT_GPU_TASK_QUEUE') ?? GPU_TASK_QUEUE;
  // One queue for both would hand Python jobs to a worker without them, and workflows to the GPU worker.
  if (taskQueue === gpuTaskQueue) throw new ConfigError('DOUGPT_GPU_TASK_QUEUE', `must differ from DOUGPT_TASK_QUEUE (both ${JSON.stringify(taskQueue)})`);
  return {
    paths,
    cache: cacheDir(env),
    ports,
    host,
    bucket,
    region: envValue(env, 'DOUGPT_S3_REGION') ?? 'us-east-1',
    credentials:
      envCredentials(env, 'DOUGPT_S3_ACCESS_KEY_ID', 'DOUGPT_S3_SECRET_ACCESS_KEY') ?? loadOrCreateCredentials(paths.credentials, 'dougpt'),
    readerCredentials:
      envCredentials(env, 'DOUGPT_S3_READER_ACCESS_KEY_ID', 'DOUGPT_S3_READER_SECRET_ACCESS_KEY') ??
      loadOrCreateCredentials(join(paths.home, 'reader-credentials.json'), 'dougpt-reader'),
    temporalAddress: temporalAddress ?? `${host}:${ports.temporal}`,
    temporalNamespace: envValue(env, 'DOUGPT_TEMPORAL_NAMESPACE') ?? 'default',
    taskQueue,
    gpuTaskQueue,
    s3Endpoint: s3Endpoint ?? `http://${host}:${ports.minio}`,
    catalogUri: catalogUri ?? `http://${host}:${ports.catalog}`,
    warehouse: `s3://${bucket}/warehouse`,
    managed: { minio: s3Endpoint === undefined, catalog: catalogUri === undefined, temporal: temporalAddress === undefined },
  };
}
