import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in `<root>/common/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the local stack keeps its state: `DOUGPT_HOME`, else `<repo>/.dougpt`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DOUGPT_HOME ?? join(REPO_ROOT, '.dougpt'));
}

/**
 * Where `make setup` caches what it builds or downloads (Go binaries, the Iceberg REST classpath,
 * DuckDB extensions), outside the repository so a fresh clone reuses it.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DOUGPT_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dougpt'));
}

/** Fixed layout of the state directory. */
export function statePaths(home: string) {
  return {
    home,
    config: join(home, 'config.json'),
    credentials: join(home, 'credentials.json'),
    logs: join(home, 'logs'),
    run: join(home, 'run'),
    minioData: join(home, 'minio'),
    temporalDb: join(home, 'temporal.sqlite'),
    catalogDb: join(home, 'catalog.sqlite'),
    work: join(home, 'work'),
  };
}
export type StatePaths = ReturnType<typeof statePaths>;

/**
 * Folder of the DuckDB extensions `make setup` installs into the cache (DuckDB's own layout:
 * v<version>/<platform>/).
 *
 * @example
 * duckdbExtensionDir(config.cache) // '/home/me/.cache/dougpt/duckdb-extensions'
 */
export const duckdbExtensionDir = (cache: string): string => join(cache, 'duckdb-extensions');
