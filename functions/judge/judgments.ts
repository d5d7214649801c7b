import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { EvalFolderError } from './eval-folder.ts';

/** One line of judgments.jsonl, and one row of gold.eval_judgments. */
export const Judgment = z.object({
  judgment_id: z.string().regex(/^judgment-[0-9a-f]{24}$/),
  eval_id: z.string().min(1),
  /** The adapter's training run (eval.json's adapter_run_id); null for an adapter folder without one. */
  run_id: z.string().nullable(),
  pair_id: z.string().min(1),
  picked_real: z.boolean(),
  /** The generated reply, 1 (obviously a model) … 5 (could be chat). */
  rating: z.number().int().min(1).max(5),
  reviewer: z.string().min(1).max(200),
  /** ISO-8601 UTC. */
  judged_at: z.iso.datetime(),
});
export type Judgment = z.infer<typeof Judgment>;

/**
 * The id of one judgment: a hash of who judged which pair of which evaluation and when, so saving
 * the same judgment twice (a retried request, a re-sync to the lake) writes one row.
 *
 * @example
 * judgmentId({ eval_id: 'eval-0123456789ab', pair_id: 'pair-1', reviewer: 'ana', judged_at: '2025-01-01T00:00:00.000Z' }) // 'judgment-…'
 */
export function judgmentId(j: { eval_id: string; pair_id: string; reviewer: string; judged_at: string }): string {
  const digest = createHash('sha256').update(JSON.stringify([j.eval_id, j.pair_id, j.reviewer, j.judged_at])).digest('hex');
  return `judgment-${digest.slice(0, 24)}`;
}

/** Judgments of a judgments.jsonl, in file order; none when the file does not exist yet. */
export async function readJudgments(path: string): Promise<Judgment[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string } | null)?.code === 'ENOENT') return [];
    throw error;
  }
  const out: Judgment[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    // A line cut short by a crash mid-append can only be the last one: skip it rather than refuse the file.
    let value: unknown;
    try {
      value = JSON.parse(line) as unknown;
    } catch (error) {
      if (i === lines.length - 1) return;
      throw new EvalFolderError('invalid', `${path}:${i + 1}`, 'not JSON', { cause: error });
    }
    const parsed = Judgment.safeParse(value);
    if (!parsed.success) throw new EvalFolderError('invalid', `${path}:${i + 1}`, `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    out.push(parsed.data);
  });
  return out;
}

/** Appends one judgment as one line, written in one call so concurrent appenders never interleave. */
export async function appendJudgment(path: string, judgment: Judgment): Promise<void> {
  await appendFile(path, `${JSON.stringify(Judgment.parse(judgment))}\n`, { encoding: 'utf8', flag: 'a' });
}
