import { connect } from 'node:net';
import { join } from 'node:path';
import type { StackConfig } from '../config.ts';
import { REPO_ROOT } from '../paths.ts';
import { httpAnswers, type ServiceSpec } from '../supervisor.ts';
import { findTool, icebergClasspath } from '../tools.ts';

/** Thrown when a binary or classpath `make setup` provides is missing. */
export class MissingToolError extends Error {
  constructor(what: string) {
    super(`${what} is not installed: run \`make setup\``);
    this.name = 'MissingToolError';
  }
}

function tcpAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether the object store answers at `config.s3Endpoint`, local or not. */
export const minioHealthy = (config: StackConfig): Promise<boolean> => httpAnswers(`${config.s3Endpoint}/minio/health/live`);

/** Whether the Iceberg REST catalog answers at `config.catalogUri`. */
export const catalogHealthy = (config: StackConfig): Promise<boolean> => httpAnswers(`${config.catalogUri}/v1/config`);

/** Whether Temporal's frontend accepts connections at `config.temporalAddress`. */
export function temporalAnswers(config: StackConfig): Promise<boolean> {
  const cut = config.temporalAddress.lastIndexOf(':');
  return tcpAnswers(config.temporalAddress.slice(0, cut).replace(/^\[|\]$/g, ''), Number(config.temporalAddress.slice(cut + 1)));
}

export function minioSpec(config: StackConfig): ServiceSpec {
  const bin = findTool('minio');
  if (!bin) throw new MissingToolError('minio');
  const { host, ports } = config;
  return {
    name: 'minio',
    command: bin,
    args: ['server', config.paths.minioData, '--address', `${host}:${ports.minio}`, '--console-address', `${host}:${ports.minioConsole}`, '--quiet'],
    env: {
      MINIO_ROOT_USER: config.credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: config.credentials.secretAccessKey,
      MINIO_BROWSER: 'on',
    },
    healthy: () => minioHealthy(config),
    startTimeoutMs: 60_000,
  };
}

export function temporalSpec(config: StackConfig): ServiceSpec {
  const bin = findTool('temporal');
  if (!bin) throw new MissingToolError('temporal');
  const { host, ports } = config;
  return {
    name: 'temporal',
    command: bin,
    args: [
      'server', 'start-dev',
      '--ip', host,
      '--port', String(ports.temporal),
      '--ui-port', String(ports.temporalUi),
      '--db-filename', config.paths.temporalDb,
      '--namespace', config.temporalNamespace,
      '--log-level', 'warn',
    ],
    healthy: async () => (await temporalAnswers(config)) && (await httpAnswers(`http://${host}:${ports.temporalUi}/`)),
    startTimeoutMs: 90_000,
  };
}

export function catalogSpec(config: StackConfig): ServiceSpec {
  const classpath = icebergClasspath();
  if (!classpath) throw new MissingToolError('the Iceberg REST catalog classpath');
  return {
    name: 'catalog',
    command: 'java',
    args: ['-Xmx512m', '-cp', classpath, 'org.apache.iceberg.rest.RESTCatalogServer'],
    // RESTCatalogServer reads CATALOG_* variables as catalog properties ('__' → '-', '_' → '.') and logs
    // them all at start, so the S3 keys are not among them: S3FileIO takes AWS_* from the environment.
    env: {
      AWS_REGION: config.region,
      AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
      // WAL: a read the catalog leaves open (seen after a crash and restart: SQLITE_BUSY on every commit
      // until the server was restarted again) cannot block the next commit; busy_timeout waits out short locks.
      CATALOG_URI: `jdbc:sqlite:${config.paths.catalogDb}?journal_mode=WAL&busy_timeout=10000`,
      CATALOG_JDBC_SCHEMA__VERSION: 'V1',
      // One pooled SQLite connection: with the default two, one was seen reading an old snapshot under two
      // hosts' concurrent commits, then failing every commit with SQLITE_BUSY_SNAPSHOT until a restart.
      CATALOG_CLIENTS: '1',
      CATALOG_WAREHOUSE: config.warehouse,
      CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
      CATALOG_S3_ENDPOINT: config.s3Endpoint,
      CATALOG_S3_PATH__STYLE__ACCESS: 'true',
      CATALOG_CLIENT_REGION: config.region,
      CATALOG_REST_PORT: String(config.ports.catalog),
    },
    healthy: () => catalogHealthy(config),
    startTimeoutMs: 90_000,
  };
}

/** A Temporal worker of this project, run as `dougpt worker --queue <queue>`. */
export function workerSpec(config: StackConfig, queue: string, name: string, alive: () => Promise<boolean>): ServiceSpec {
  return {
    name,
    command: process.execPath,
    args: [join(REPO_ROOT, 'bin', 'dougpt.js'), 'worker', '--queue', queue],
    cwd: REPO_ROOT,
    env: { DOUGPT_HOME: config.paths.home },
    healthy: alive,
    startTimeoutMs: 120_000,
  };
}
