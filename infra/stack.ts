import { mkdirSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { migrate } from '../catalog/migrate.ts';
import { openLake } from '../catalog/lake.ts';
import { acquireLakeLock } from '../catalog/write-lake.ts';
import { createObjectStore, ObjectStoreError } from '../catalog/object-store.ts';
import type { StackConfig } from './config.ts';
import { ensureLakeReader } from './services/lake-reader.ts';
import { catalogHealthy, catalogSpec, minioHealthy, minioSpec, temporalAnswers, temporalSpec, workerSpec } from './services/specs.ts';
import { httpAnswers, logFileOf, ServiceStartError, startService, stopService, type ServiceDirs, type ServiceSpec } from './supervisor.ts';
import { findTool } from './tools.ts';
import { readyWorkerPid, WORKER_QUEUES, workerServiceName } from './worker-ready.ts';

export interface ServiceStatus {
  name: string;
  healthy: boolean;
  url?: string;
  ui_url?: string;
  queue?: string;
  pid?: number | null;
  /** True for a service of another host (an environment variable points at it): `up` checks it, never starts it. */
  external?: boolean;
  log: string;
}

export interface StackStatus {
  services: ServiceStatus[];
  bin: { temporal: string | null; minio: string | null };
  home: string;
}

const dirsOf = (config: StackConfig): ServiceDirs => ({ logs: config.paths.logs, run: config.paths.run });

/** Which parts `up` starts; tests start workers of their own. */
export interface UpOptions {
  workers?: boolean;
  onEvent?: (service: string, state: 'started' | 'reused' | 'ready') => void;
}

type ServiceName = keyof StackConfig['managed'];

/** The variable that points this process at another host's service. */
const EXTERNAL_VARIABLE: Record<ServiceName, string> = {
  minio: 'DOUGPT_S3_ENDPOINT',
  catalog: 'DOUGPT_CATALOG_URI',
  temporal: 'DOUGPT_TEMPORAL_ADDRESS',
};

/** Starts a service of this host, or checks that another host's answers. */
async function startOrCheck(
  config: StackConfig,
  name: ServiceName,
  spec: () => ServiceSpec,
  answers: () => Promise<boolean>,
): Promise<'started' | 'reused'> {
  const dirs = dirsOf(config);
  if (config.managed[name]) return startService(spec(), dirs);
  if (await answers()) return 'reused';
  throw new ServiceStartError(name, logFileOf(dirs, name), `nothing answers at the address ${EXTERNAL_VARIABLE[name]} gives, and \`dougpt up\` starts only this host's services`);
}

/**
 * Starts the local stack (MinIO, Iceberg REST catalog, Temporal dev server, workers), reusing what
 * already answers, then creates the bucket, the read-only lake user `dougpt sql` uses, and brings
 * the lake's tables to the newest schema. Services that environment variables place on another
 * host are checked, not started.
 *
 * @example
 * await up(loadConfig()); // then `dougpt status --json`
 */
export async function up(config: StackConfig, options: UpOptions = {}): Promise<StackStatus> {
  const dirs = dirsOf(config);
  const onEvent = options.onEvent ?? (() => undefined);
  mkdirSync(config.paths.minioData, { recursive: true });
  mkdirSync(config.paths.work, { recursive: true });

  onEvent('minio', await startOrCheck(config, 'minio', () => minioSpec(config), () => minioHealthy(config)));
  try {
    await createObjectStore(config).ensureBucket();
    // Another host's object store gets its read-only user from its operator (DOUGPT_S3_READER_*).
    if (config.managed.minio) await ensureLakeReader(config);
  } catch (error) {
    if (error instanceof ObjectStoreError && error.kind === 'denied') {
      throw new ServiceStartError('minio', logFileOf(dirs, 'minio'), `the MinIO answering at ${config.s3Endpoint} rejects this state directory's credentials (another DOUGPT_HOME's stack on that port?)`);
    }
    throw error;
  }
  onEvent('catalog', await startOrCheck(config, 'catalog', () => catalogSpec(config), () => catalogHealthy(config)));
  const release = await acquireLakeLock(config);
  try {
    const lake = await openLake(config);
    try {
      await migrate(lake);
    } finally {
      lake.close();
    }
  } finally {
    await release();
  }
  onEvent('lake', 'ready');
  onEvent('temporal', await startOrCheck(config, 'temporal', () => temporalSpec(config), () => temporalAnswers(config)));
  if (options.workers !== false) {
    for (const queue of WORKER_QUEUES) {
      const name = workerServiceName(queue);
      onEvent(name, await startService(workerSpec(config, queue, name, async () => readyWorkerPid(config.paths.run, queue) !== null), dirs));
    }
    // The adapter registry runs for ever once started; a restart of the stack finds it running.
    const { ensureAdapterRegistry } = await import('./adapter-registry.ts');
    onEvent('adapter-registry', (await ensureAdapterRegistry(config)) ? 'started' : 'reused');
  }
  return status(config);
}

/** Stops every service `up` started, workers first. */
export async function down(config: StackConfig): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of [...WORKER_QUEUES.map(workerServiceName), 'temporal', 'catalog', 'minio']) {
    if (await stopService(name, dirsOf(config))) stopped.push(name);
  }
  return stopped;
}

/** Health of each service, as `dougpt status --json` prints it. */
export async function status(config: StackConfig): Promise<StackStatus> {
  const dirs = dirsOf(config);
  const { host, ports } = config;
  const uiUrl = `http://${host}:${ports.temporalUi}`;
  const external = (name: ServiceName) => (config.managed[name] ? {} : { external: true });
  const services: ServiceStatus[] = [
    {
      name: 'temporal',
      healthy: (await temporalAnswers(config)) && (!config.managed.temporal || (await httpAnswers(`${uiUrl}/`))),
      url: config.temporalAddress,
      ...(config.managed.temporal ? { ui_url: uiUrl } : { external: true }),
      log: logFileOf(dirs, 'temporal'),
    },
    { name: 'minio', healthy: await minioHealthy(config), url: config.s3Endpoint, ...external('minio'), log: logFileOf(dirs, 'minio') },
    { name: 'catalog', healthy: await catalogHealthy(config), url: config.catalogUri, ...external('catalog'), log: logFileOf(dirs, 'catalog') },
    ...WORKER_QUEUES.map((queue) => {
      const pid = readyWorkerPid(config.paths.run, queue);
      const name = workerServiceName(queue);
      return { name, healthy: pid !== null, queue, pid, log: logFileOf(dirs, name) };
    }),
  ];
  return { services, bin: { temporal: findTool('temporal'), minio: findTool('minio') }, home: config.paths.home };
}

/** Environment that lets any tool reach the lake and Temporal (`dougpt env`). */
export function stackEnv(config: StackConfig, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const temporal = findTool('temporal', env);
  const path = [temporal ? dirname(temporal) : null, env.PATH ?? ''].filter(Boolean).join(delimiter);
  return {
    TEMPORAL_ADDRESS: config.temporalAddress,
    TEMPORAL_NAMESPACE: config.temporalNamespace,
    AWS_ENDPOINT_URL: config.s3Endpoint,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
    AWS_REGION: config.region,
    ICEBERG_REST_URI: config.catalogUri,
    DOUGPT_HOME: config.paths.home,
    DOUGPT_BUCKET: config.bucket,
    PATH: path,
  };
}
