import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createObjectStore } from '../catalog/object-store.ts';
import { resolveAdapter, type AdapterSource } from '../functions/reply/adapter-source.ts';
import type { AdapterRef } from '../functions/reply/reply-engine.ts';
import { queryPromotedAdapter } from './adapter-registry.ts';
import type { StackConfig } from './config.ts';

/** Fetches a run's serving files (adapter.gguf, run.json) from the lake into `<home>/adapters/<run_id>/` once. */
export async function fetchServingAdapter(config: StackConfig, runId: string): Promise<string> {
  const dir = join(config.paths.home, 'adapters', runId);
  if (existsSync(join(dir, 'adapter.gguf')) && existsSync(join(dir, 'run.json'))) return dir;
  const temp = `${dir}.part-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  const store = createObjectStore(config);
  for (const name of ['adapter.gguf', 'run.json']) await store.getToFile(`gold/adapters/${runId}/${name}`, join(temp, name));
  // An adapter trained with a voice memory is served with it (resolveAdapter checks its hash).
  const memoryFile = (JSON.parse(await readFile(join(temp, 'run.json'), 'utf8')) as { memory?: { file?: string } | null }).memory?.file;
  if (memoryFile) await store.getToFile(`gold/adapters/${runId}/${basename(memoryFile)}`, join(temp, basename(memoryFile)));
  await rm(dir, { recursive: true, force: true });
  await rename(temp, dir);
  return dir;
}

/** How a registry-backed source names itself (the server flushes its log to the lake only with one). */
export const registrySourceDescription = (config: StackConfig) => `the adapters workflow at ${config.temporalAddress}`;

/**
 * The adapter the `adapters` workflow has promoted (its `current` query), polled every `pollMs`; the
 * adapter's GGUF LoRA comes from the lake. A promote or rollback reaches the server without a restart.
 * While Temporal is unreachable the last known adapter stays in use.
 */
export function registryAdapterSource(config: StackConfig, options: { pollMs?: number } = {}): AdapterSource {
  let known: { run_id: string | null; ref: AdapterRef | null } | null = null;
  const read = async (): Promise<AdapterRef | null> => {
    try {
      const current = await queryPromotedAdapter(config);
      const runId = current?.run_id ?? null;
      if (known && known.run_id === runId) return known.ref;
      const ref = runId ? resolveAdapter(await fetchServingAdapter(config, runId), runId) : null;
      known = { run_id: runId, ref };
      return ref;
    } catch (error) {
      if (known) return known.ref;
      throw error;
    }
  };
  return {
    describe: registrySourceDescription(config),
    current: read,
    watch(onChange) {
      let last = known?.run_id ?? null;
      const timer = setInterval(() => {
        void read()
          .then(() => {
            const now = known?.run_id ?? null;
            if (now !== last) {
              last = now;
              onChange();
            }
          })
          .catch(() => undefined);
      }, options.pollMs ?? 2_000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/**
 * The registry's adapter source when the local stack answers (its `current` query within a few
 * seconds), else null: callers then fall back to `promoted.json` (file mode, no server).
 */
export async function registrySourceIfRunning(config: StackConfig): Promise<AdapterSource | null> {
  try {
    await Promise.race([
      queryPromotedAdapter(config),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3_000).unref()),
    ]);
  } catch {
    return null;
  }
  return registryAdapterSource(config);
}
