import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { AdapterRef } from './reply-engine.ts';

/**
 * `${DOUGPT_HOME}/promoted.json`, written by `dougpt promote` (file mode): the training run whose
 * adapter is served. `adapter` is the run folder (OUT of `dougpt train`) or its `adapter.gguf`;
 * a relative path is relative to the file's folder.
 *
 * @example
 * { "run_id": "run-2025-01-01-abc", "adapter": "/home/me/runs/abc", "promoted_at": "2025-01-01T00:00:00Z" }
 */
export const PromotedAdapter = z.object({
  run_id: z.string().min(1),
  adapter: z.string().min(1),
  promoted_at: z.string().optional(),
});
export type PromotedAdapter = z.infer<typeof PromotedAdapter>;

/** The part of a training run's `run.json` that serving reads. */
const RunJson = z.looseObject({
  run_id: z.string().min(1),
  base: z.looseObject({ name: z.string().optional(), sha256: z.string().nullish() }).optional(),
  /** The dataset's prompt spec the run trained with (null: a dataset that recorded none). */
  prompt_spec: z.looseObject({ version: z.string().optional(), sha256: z.string().optional() }).nullish(),
  chat_template: z.string().nullish(),
  memory: z.looseObject({ sha256: z.string(), file: z.string().optional() }).nullish(),
});

/** A bad adapter path or file, named in one line. */
export class AdapterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterError';
  }
}

/**
 * An adapter given as a training run folder (`OUT/adapter.gguf` + `OUT/run.json`) or as a GGUF LoRA
 * file (run id from a `run.json` beside it, else the file's name).
 *
 * @example
 * resolveAdapter('runs/abc') // { run_id: 'abc-…', gguf: '/…/runs/abc/adapter.gguf', base: { name: 'smollm2-135m', … }, prompt_spec: { version: 'dougpt-chat/1', sha256: '…' } }
 */
export function resolveAdapter(path: string, runId?: string): AdapterRef {
  const full = resolve(path);
  if (!existsSync(full)) throw new AdapterError(`${path}: no such adapter folder or file`);
  const isDir = statSync(full).isDirectory();
  const gguf = isDir ? join(full, 'adapter.gguf') : full;
  if (!existsSync(gguf)) throw new AdapterError(`${path}: no adapter.gguf in the run folder (has training finished?)`);
  if (!gguf.endsWith('.gguf')) throw new AdapterError(`${path}: not a .gguf LoRA file`);
  const runJsonPath = join(isDir ? full : dirname(full), 'run.json');
  let run: z.infer<typeof RunJson> | null = null;
  if (existsSync(runJsonPath)) {
    const parsed = RunJson.safeParse(JSON.parse(readFileSync(runJsonPath, 'utf8')));
    if (!parsed.success) throw new AdapterError(`${runJsonPath}: not a training run.json (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    run = parsed.data;
  }
  const base = run?.base ? { name: run.base.name, sha256: run.base.sha256 ?? undefined } : undefined;
  const memory = run?.memory?.file ? { sha256: run.memory.sha256, path: join(dirname(runJsonPath), run.memory.file) } : undefined;
  const promptSpec = run?.prompt_spec ? { version: run.prompt_spec.version, sha256: run.prompt_spec.sha256 } : undefined;
  return { run_id: runId ?? run?.run_id ?? basename(isDir ? full : dirname(full)), gguf, base, ...(promptSpec ? { prompt_spec: promptSpec } : {}), ...(run?.chat_template ? { chat_template: run.chat_template } : {}), ...(memory ? { memory } : {}) };
}

/**
 * Where the served adapter comes from: a fixed one (`--adapter`), the promoted file, or (later) the
 * `adapters` workflow's `current` query. The server asks `current()` at start and again whenever
 * `watch` reports a change.
 */
export interface AdapterSource {
  /** Human-readable origin, for logs. */
  readonly describe: string;
  /** null: serve the base model. */
  current(): Promise<AdapterRef | null>;
  /** Calls `onChange` when the adapter may have changed; returns the unsubscribe. */
  watch(onChange: () => void): () => void;
}

export function fixedAdapterSource(adapter: AdapterRef | null): AdapterSource {
  return { describe: adapter ? adapter.gguf : 'base model', current: async () => adapter, watch: () => () => undefined };
}

/** Reads promoted.json; null when there is none. */
export function readPromoted(path: string): AdapterRef | null {
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AdapterError(`${path}: not JSON`, { cause: error });
  }
  const parsed = PromotedAdapter.safeParse(value);
  if (!parsed.success) throw new AdapterError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return resolveAdapter(resolve(dirname(path), parsed.data.adapter), parsed.data.run_id);
}

/**
 * The adapter named by `promoted.json`, watched: a promotion (the file written, or renamed into
 * place) is reported within `debounceMs`. The folder is watched rather than the file, because an
 * atomic rename replaces the file's inode and a file watch would go deaf.
 */
export function promotedFileSource(path: string, options: { debounceMs?: number } = {}): AdapterSource {
  const file = resolve(path);
  const debounceMs = options.debounceMs ?? 100;
  return {
    describe: file,
    current: async () => readPromoted(file),
    watch(onChange) {
      let timer: NodeJS.Timeout | undefined;
      let last = fingerprint(file);
      const fire = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const now = fingerprint(file);
          if (now === last) return;
          last = now;
          onChange();
        }, debounceMs);
        timer.unref();
      };
      let watcher: FSWatcher | null = null;
      if (existsSync(dirname(file))) {
        watcher = watch(dirname(file), (_event, name) => {
          if (name === null || name === basename(file)) fire();
        });
        watcher.unref();
      }
      // Some file systems (network mounts, some containers) deliver no events: poll as well, slowly.
      const poll = setInterval(fire, 2000);
      poll.unref();
      return () => {
        clearTimeout(timer);
        clearInterval(poll);
        watcher?.close();
      };
    },
  };
}

function fingerprint(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'absent';
  }
}
