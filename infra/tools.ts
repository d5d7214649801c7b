import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../common/paths.ts';
import { isExecutable, which } from '../common/which.ts';

/** Binaries `make setup` builds into the cache; one already on PATH wins. */
export type ToolName = 'temporal' | 'minio';

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
