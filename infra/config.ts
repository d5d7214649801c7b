import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { cacheDir, stateDir, statePaths, type StatePaths } from './paths.ts';

const Port = z.coerce.number().int().min(1).max(65_535);

/** Ports of the local stack; each can be set by an environment variable or in `<home>/config.json`. */
export const PortsConfig = z.object({
  temporal: Port.default(7233),
  temporalUi: Port.default(8233),
  minio: Port.default(9000),
  minioConsole: Port.default(9001),
  catalog: Port.default(8181),
});
export type PortsConfig = z.infer<typeof PortsConfig>;

export const FileConfig = z.object({ ports: PortsConfig.partial().default({}) }).partial();

export const Credentials = z.object({
  accessKeyId: z.string().min(3),
  secretAccessKey: z.string().min(8),
});
export type Credentials = z.infer<typeof Credentials>;

/** Everything a process needs to reach the local stack. Plain data: safe to pass around and print. */
export interface StackConfig {
  paths: StatePaths;
  cache: string;
  ports: PortsConfig;
  host: string;
  bucket: string;
  region: string;
  credentials: Credentials;
  temporalAddress: string;
  temporalNamespace: string;
  s3Endpoint: string;
  catalogUri: string;
  warehouse: string;
}

const PORT_ENV: Record<keyof PortsConfig, string> = {
  temporal: 'DOUGPT_TEMPORAL_PORT',
  temporalUi: 'DOUGPT_TEMPORAL_UI_PORT',
  minio: 'DOUGPT_MINIO_PORT',
  minioConsole: 'DOUGPT_MINIO_CONSOLE_PORT',
  catalog: 'DOUGPT_CATALOG_PORT',
};

function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
}

/** Local credentials are made once per state directory, never hard-coded. */
function loadOrCreateCredentials(path: string): Credentials {
  if (existsSync(path)) return Credentials.parse(readJson(path));
  const credentials = {
    accessKeyId: `dougpt-${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

/**
 * Loads the stack configuration: `<home>/config.json`, overridden by environment variables.
 *
 * @example
 * const config = loadConfig(); // config.s3Endpoint === 'http://127.0.0.1:9000'
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const paths = statePaths(stateDir(env));
  mkdirSync(paths.home, { recursive: true });
  const file = FileConfig.parse(readJson(paths.config));
  const fromEnv = Object.fromEntries(
    Object.entries(PORT_ENV).flatMap(([key, name]) => (env[name] ? [[key, env[name]]] : [])),
  );
  const ports = PortsConfig.parse({ ...file.ports, ...fromEnv });
  const host = '127.0.0.1';
  const bucket = env.DOUGPT_BUCKET ?? 'dougpt-lake';
  return {
    paths,
    cache: cacheDir(env),
    ports,
    host,
    bucket,
    region: 'us-east-1',
    credentials: loadOrCreateCredentials(paths.credentials),
    temporalAddress: `${host}:${ports.temporal}`,
    temporalNamespace: env.DOUGPT_TEMPORAL_NAMESPACE ?? 'default',
    s3Endpoint: `http://${host}:${ports.minio}`,
    catalogUri: `http://${host}:${ports.catalog}`,
    warehouse: `s3://${bucket}/warehouse`,
  };
}
