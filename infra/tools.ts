import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cacheDir } from './paths.ts';

/** Binaries `make setup` builds into the cache; one already on PATH wins. */
export type ToolName = 'temporal' | 'minio';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `name` on PATH, or null. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The cache folder that holds the binaries `make setup` built. */
export const cacheBinDir = (env: NodeJS.ProcessEnv = process.env): string => join(cacheDir(env), 'bin');

/** Resolves a stack binary: PATH first, then the setup cache; null when neither has it. */
export function findTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string | null {
  const onPath = which(name, env);
  if (onPath) return onPath;
  const cached = join(cacheBinDir(env), name);
  return isExecutable(cached) ? cached : null;
}

/** The Java classpath of the Iceberg REST catalog server, resolved by `make setup` with Maven. */
export function icebergClasspath(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = join(cacheDir(env), 'iceberg-rest.classpath');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/** Folder of DuckDB extensions installed by `make setup` (DuckDB's own layout: v<version>/<platform>/). */
export const duckdbExtensionDir = (env: NodeJS.ProcessEnv = process.env): string =>
  join(cacheDir(env), 'duckdb-extensions');
