import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LAKE, sqlString } from '../../catalog/lake.ts';
import { datasets, qualifiedName } from '../../catalog/tables.ts';
import type { LakeDeps, RunContext } from '../deps.ts';
import { adapterPrefix } from '../train/train-adapter.ts';
import { chatEvents } from './chat-events.ts';
import type { RunPacingVod } from './fit-run-pacing.ts';
import { fitRunPacingInThread } from './fit-run-pacing-in-thread.ts';
import { HawkesPacingModel, type PacingEvaluation } from './hawkes-pacing.ts';
import { alignmentForPacing, alignmentInputs, chatMessagesOf, transcriptOfRun } from './lake-inputs.ts';
import { phrasesOfTranscript } from './pacing-data.ts';
import { PACING_FILE } from './simulate-inputs.ts';

export const SaveLakeRunPacingInput = z.object({
  run_id: z.string().regex(/^[0-9a-f]{16}$/, 'a 16-hex run id'),
  dataset_id: z.string().min(1),
});
export type SaveLakeRunPacingInput = z.infer<typeof SaveLakeRunPacingInput>;

export type SaveLakeRunPacingResult =
  | { key: string; created: boolean; vods: number; evaluation: PacingEvaluation | null }
  | { skipped: string };

const Sources = z.array(z.object({ kind: z.string(), id: z.string(), vod_id: z.string() }));

/**
 * After a run trained from a lake dataset: fits the `dougpt-pacing/2` model (fit-run-pacing.ts) to
 * the VODs the dataset was built from (gold.datasets `sources`: one align_id per VOD) — chat's
 * self-excitation from the VOD's chat messages (the chat file the alignment used), the speech
 * background from its alignment and transcript — with its held-out evaluation against the constant
 * rates, and stores it beside the adapter as `gold/adapters/<run_id>/pacing.json`, which
 * `simulateChat` and `dougpt simulate --adapter <run_id>` read. Written once: a re-run finds the
 * object, writes nothing and returns the stored model's VOD count and held-out figures. A dataset
 * whose VODs have no chat to learn from is skipped, with the reason, and never fails the training it
 * follows.
 *
 * @example
 * await saveLakeRunPacing({ run_id: '0123456789abcdef', dataset_id: 'ds-…' }, deps);
 * // { key: 'gold/adapters/0123456789abcdef/pacing.json', created: true, vods: 2, evaluation: { model: {…}, constant: {…}, … } }
 */
export async function saveLakeRunPacing(raw: SaveLakeRunPacingInput, deps: LakeDeps, ctx: RunContext = {}): Promise<SaveLakeRunPacingResult> {
  const input = SaveLakeRunPacingInput.parse(raw);
  const key = `${adapterPrefix(input.run_id)}${PACING_FILE}`;
  const dir = join(deps.workDir, 'run-pacing', `${input.run_id}-${process.pid}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  try {
    if (await deps.store.exists(key)) return { key, created: false, ...(await storedFigures(deps, key, join(dir, PACING_FILE))) };
    ctx.progress?.({ stage: 'read' });
    const vods: RunPacingVod[] = [];
    const lake = await deps.openLake();
    try {
      const [row] = await lake.all(`SELECT sources FROM ${LAKE}.${qualifiedName(datasets)} WHERE dataset_id = ${sqlString(input.dataset_id)} LIMIT 1`);
      if (!row) return { skipped: `${input.dataset_id}: not in gold.datasets` };
      for (const source of Sources.parse(JSON.parse(String(row.sources)))) {
        if (source.kind !== 'lake') continue;
        const made = await alignmentInputs(lake, source.vod_id, source.id);
        if (!made) continue;
        const { events, spread } = chatEvents(await chatMessagesOf(lake, source.vod_id, made.chat_sha256, join(dir, `chat-${vods.length}.jsonl`)));
        if (events.length < 2) continue;
        const align = await alignmentForPacing(lake, source.vod_id, source.id);
        const phrases = phrasesOfTranscript(await transcriptOfRun(lake, source.vod_id, made.asr_run_id));
        vods.push({ vod_id: source.vod_id, align_id: source.id, chat_sha256: made.chat_sha256, events, spread, align, phrases });
      }
    } finally {
      lake.close();
    }
    if (vods.length === 0) return { skipped: `${input.dataset_id}: none of its VODs has aligned chat in the lake to learn the pace from` };
    ctx.progress?.({ stage: 'fit', vods: vods.length });
    const model = await fitRunPacingInThread(vods, ctx.signal ? { signal: ctx.signal } : {});
    const path = join(dir, PACING_FILE);
    await writeFile(path, `${JSON.stringify(model, null, 2)}\n`);
    ctx.progress?.({ stage: 'upload' });
    const created = await deps.store.putFileOnce(key, path, 'application/json');
    return { key, created, vods: vods.length, evaluation: model.evaluation ?? null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The VODs and held-out figures of a stored pacing model (a v1 model, which has no such figures: none). */
async function storedFigures(deps: LakeDeps, key: string, path: string): Promise<{ vods: number; evaluation: PacingEvaluation | null }> {
  await deps.store.getToFile(key, path);
  const parsed = HawkesPacingModel.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) return { vods: 0, evaluation: null };
  return { vods: new Set(parsed.data.sources.map((s) => s.vod_id ?? s.path)).size, evaluation: parsed.data.evaluation ?? null };
}
