import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { insertNew } from '../../catalog/insert-new.ts';
import { stageRows } from '../../catalog/stage-rows.ts';
import { inferenceLog } from '../../catalog/tables.ts';
import { writeLake } from '../../catalog/write-lake.ts';
import type { LakeDeps } from '../deps.ts';
import { InferenceLogRecord } from '../reply/inference-log.ts';

/** Bytes of each buffered file already in the lake; a file of a past day that is fully flushed is set aside. */
const LEDGER = '.flushed.json';
/** Lines handed to one lake commit. */
const BATCH_LINES = 20_000;

export interface FlushResult {
  files: number;
  records: number;
  rows_written: number;
  /** Lines that are not log records (counted, kept in the file, never lost). */
  invalid: number;
}

/** A log record as a `gold.inference_log` row. */
export function toInferenceRow(record: InferenceLogRecord): Record<string, unknown> {
  return {
    request_id: record.id,
    logged_at: record.at,
    endpoint: record.endpoint,
    context_sha256: record.context_sha256,
    prompt_spec_version: record.prompt_spec.version,
    prompt_spec_sha256: record.prompt_spec.sha256,
    prompt_sha256: record.prompt_hash,
    adapter_run_id: record.adapter.run_id,
    replies: JSON.stringify(record.replies),
    guardrail_actions: JSON.stringify(record.guardrail_actions),
    latency_ms: record.latency_ms,
    client: record.client,
  };
}

/**
 * Moves the reply server's buffered inference log (`<dir>/<day>.jsonl`) into `gold.inference_log`.
 * Safe at any time and under failure: rows are keyed by request id (a repeated flush adds nothing),
 * the ledger advances only after a commit, and a line still being written (no newline yet) waits for
 * the next flush. While the lake is down nothing is lost: the files keep growing and flush later.
 *
 * @example
 * await flushInferenceLog(join(config.paths.home, 'inference-log'), lakeDeps(config));
 */
export async function flushInferenceLog(dir: string, deps: LakeDeps): Promise<FlushResult> {
  const result: FlushResult = { files: 0, records: 0, rows_written: 0, invalid: 0 };
  if (!existsSync(dir)) return result;
  const ledgerPath = join(dir, LEDGER);
  const ledger: Record<string, number> = existsSync(ledgerPath) ? (JSON.parse(await readFile(ledgerPath, 'utf8')) as Record<string, number>) : {};
  const today = new Date().toISOString().slice(0, 10);
  for (const name of (await readdir(dir)).filter((n) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)).sort()) {
    const path = join(dir, name);
    const from = ledger[name] ?? 0;
    const handle = await open(path, 'r');
    let text: string;
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.max(0, size - from));
      await handle.read(buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    const complete = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, complete).split('\n').filter((l) => l.trim() !== '');
    result.files++;
    for (let i = 0; i < lines.length; i += BATCH_LINES) {
      const rows: Record<string, unknown>[] = [];
      for (const line of lines.slice(i, i + BATCH_LINES)) {
        let parsed: ReturnType<typeof InferenceLogRecord.safeParse>;
        try {
          parsed = InferenceLogRecord.safeParse(JSON.parse(line));
        } catch {
          result.invalid++;
          continue;
        }
        if (parsed.success) rows.push(toInferenceRow(parsed.data));
        else result.invalid++;
      }
      result.records += rows.length;
      if (rows.length === 0) continue;
      const staged = await stageRows(join(deps.workDir, 'inference-log', createHash('sha256').update(path).digest('hex').slice(0, 8)), rows, inferenceLog.columns);
      try {
        result.rows_written += await writeLake(deps, (lake) => insertNew(lake, inferenceLog, staged.sql));
      } finally {
        await staged.cleanup();
      }
    }
    ledger[name] = from + Buffer.byteLength(text.slice(0, complete));
    await writeFile(`${ledgerPath}.tmp`, JSON.stringify(ledger));
    await rename(`${ledgerPath}.tmp`, ledgerPath);
    if (name.slice(0, 10) < today && complete === text.length && result.invalid === 0) {
      // A past day's file is complete: set it aside so the next flush does not reread it.
      await rename(path, join(dir, `${name}.flushed`));
      delete ledger[name];
      await writeFile(`${ledgerPath}.tmp`, JSON.stringify(ledger));
      await rename(`${ledgerPath}.tmp`, ledgerPath);
    }
  }
  return result;
}
