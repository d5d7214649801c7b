import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GuardrailAction } from './reply-schemas.ts';

/**
 * One served request, as `gold.inference_log` will hold it. The streamer's context is kept as a
 * hash only; the replies are what was returned (null: dropped by the guardrails).
 */
export const InferenceLogRecord = z.object({
  id: z.string(),
  at: z.string(),
  endpoint: z.enum(['chat.completions', 'reply', 'cli', 'mcp']),
  /** sha256 of the client's address (or the CLI's user), never the address itself. */
  client: z.string().nullable(),
  context_sha256: z.string(),
  prompt_spec: z.object({ version: z.string(), sha256: z.string() }),
  prompt_hash: z.string(),
  adapter: z.object({ run_id: z.string().nullable(), gguf: z.string().nullable() }),
  base: z.object({ name: z.string() }),
  params: z.object({
    n: z.number().int(),
    seed: z.number().int(),
    seeded: z.boolean(),
    temperature: z.number(),
    top_p: z.number(),
    /** Optional: records written before it was logged have none. */
    top_k: z.number().int().optional(),
    max_tokens: z.number().int(),
    /** Only when the request set them. */
    presence_penalty: z.number().optional(),
    frequency_penalty: z.number().optional(),
    repeat_penalty: z.number().optional(),
  }),
  replies: z.array(z.string().nullable()),
  guardrail_actions: z.array(GuardrailAction),
  completion_tokens: z.number().int(),
  latency_ms: z.number(),
  status: z.enum(['ok', 'error']),
  /** With a memory index loaded: its version and the pair ids of the moments recalled into the prompt. */
  memory: z.object({ sha256: z.string(), pair_ids: z.array(z.string()) }).optional(),
  error: z.string().optional(),
});
export type InferenceLogRecord = z.infer<typeof InferenceLogRecord>;

/**
 * Where log records go. `write` never blocks or throws on the reply path; `flush` persists what is
 * buffered. The lake flusher (gold.inference_log) reads the JSONL files this writes.
 */
export interface InferenceLogSink {
  write(record: InferenceLogRecord): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A sink that keeps records in memory: for tests and for callers that forward them elsewhere. */
export function memoryLogSink(): InferenceLogSink & { records: InferenceLogRecord[] } {
  const records: InferenceLogRecord[] = [];
  return { records, write: (r) => void records.push(r), flush: async () => undefined, close: async () => undefined };
}

/**
 * Appends records to `<dir>/<YYYY-MM-DD>.jsonl` (UTC day of the write), batched: a write schedules
 * a flush `flushMs` later, so replies never wait on the disk. A failed append keeps the records
 * for the next try and is reported once through `onError`.
 *
 * @example
 * const sink = jsonlLogSink({ dir: join(home, 'inference-log') });
 * sink.write(record); await sink.close();
 */
export function jsonlLogSink(options: { dir: string; flushMs?: number; onError?: (error: unknown) => void }): InferenceLogSink {
  const flushMs = options.flushMs ?? 200;
  let buffer: InferenceLogRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let reported = false;
  let madeDir = false;

  const flushNow = async () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    const byDay = new Map<string, string[]>();
    for (const record of batch) {
      const day = record.at.slice(0, 10);
      byDay.set(day, [...(byDay.get(day) ?? []), JSON.stringify(record)]);
    }
    try {
      if (!madeDir) {
        await mkdir(options.dir, { recursive: true });
        madeDir = true;
      }
      for (const [day, lines] of byDay) await appendFile(join(options.dir, `${day}.jsonl`), `${lines.join('\n')}\n`);
    } catch (error) {
      buffer = [...batch, ...buffer];
      if (!reported) (options.onError ?? ((e) => process.stderr.write(`inference log: cannot append to ${options.dir}: ${String(e)}\n`)))(error);
      reported = true;
    }
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    flushing = flushing.then(flushNow);
    return flushing;
  };
  return {
    write(record) {
      buffer.push(record);
      if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
    close: flush,
  };
}
