import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { emoteNameSet } from '../chat/chat-flags.ts';
import { writeMemoryIndex } from '../memory/write-memory-index.ts';
import type { LoadedPromptSpec } from '../prompt/prompt-spec.ts';
import { emptySplitReason } from './block-split.ts';
import { SPLIT_RULE_VERSION, stableHash, type DatasetConfig } from './dataset-config.ts';
import { renderDatasetCard, type DatasetSummary } from './dataset-card.ts';
import { exportExamples, withFreshDir, writeJson } from './export-dataset.ts';
import { nameRules } from './scrub-names.ts';
import { selectExamples } from './select-examples.ts';
import type { SqlSession } from './sql-session.ts';

export interface AssembleInput {
  config: DatasetConfig;
  spec: LoadedPromptSpec;
  optOut: readonly string[];
  sources: DatasetSummary['sources'];
  builtFrom: DatasetSummary['built_from'];
  /** Folds into the dataset id whatever else decides membership (e.g. the reviews read). */
  extraIdentity?: unknown;
  /** Final folder of the export; written beside it first and renamed into place. */
  out: string;
  onStage?: (stage: string) => void;
}

export class DatasetInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatasetInputError';
  }
}

/** The id of a dataset version: everything that decides its rows, hashed. */
export function datasetIdOf(input: Pick<AssembleInput, 'config' | 'spec' | 'optOut' | 'sources' | 'extraIdentity'>): string {
  return `ds-${stableHash({
    rule: SPLIT_RULE_VERSION,
    config: input.config,
    prompt_spec: input.spec.sha256,
    sources: input.sources.map((s) => `${s.kind}:${s.vod_id}:${s.id}`).sort(),
    opt_out: [...new Set(input.optOut.map((l) => l.toLowerCase()))].sort(),
    extra: input.extraIdentity ?? null,
  })}`;
}

/**
 * From a session holding the source table `src` (see select-examples.ts) to a dataset folder:
 * selection in DuckDB, then the streamed export, viewers' salted hashes, the prompt spec's copy,
 * `dataset.json` and the card. Returns the summary (small, JSON-safe).
 */
export async function assembleDataset(session: SqlSession, input: AssembleInput): Promise<DatasetSummary> {
  const datasetId = datasetIdOf(input);
  const salt = createHash('sha256').update(`dougpt-viewers|${datasetId}`).digest('hex').slice(0, 16);
  input.onStage?.('select');
  const maxReplyChars = input.config.max_reply_chars ?? input.spec.spec.reply.max_chars;
  const counts = await selectExamples(session, input.config, { maxReplyChars, optOut: input.optOut, salt });
  if (counts.splits.train + counts.splits.validation + counts.splits.test === 0) {
    const reasons = Object.entries({ ...counts.filtered, ...counts.capped }).map(([k, n]) => `${k} ${n}`).join(', ');
    throw new DatasetInputError(`no example survives the filters (${reasons || 'no pairs in the input'})`);
  }
  // Evaluation needs both held-out splits: fail here, not after training.
  const blockMs = input.config.block_s * 1000;
  const vodBlocks = (await session.all(`SELECT coalesce(max(context_end_ms // ${blockMs}) + 1, 0) AS n FROM src GROUP BY vod_id`)).map((r) => Number(r.n));
  const emptySplit = emptySplitReason({
    splitBy: input.config.split_by,
    blockS: input.config.block_s,
    vodBlocks,
    splits: { train: counts.splits.train ?? 0, validation: counts.splits.validation ?? 0, test: counts.splits.test ?? 0 },
  });
  if (emptySplit) throw new DatasetInputError(emptySplit);
  const logins = (await session.all(`SELECT DISTINCT lower(author_login) AS login FROM src WHERE author_login IS NOT NULL`)).map((r) => String(r.login));
  const vodIds = (await session.all(`SELECT DISTINCT vod_id FROM examples ORDER BY 1`)).map((r) => String(r.vod_id));
  const names = nameRules(logins, {
    placeholder: input.spec.spec.viewer_placeholder,
    streamerNames: input.spec.spec.streamer_names,
    emoteNames: emoteNameSet(),
  });

  input.onStage?.('export');
  const summary: DatasetSummary = {
    dataset_id: datasetId,
    split_by: input.config.split_by,
    split_rule: SPLIT_RULE_VERSION,
    splits: { train: counts.splits.train ?? 0, validation: counts.splits.validation ?? 0, test: counts.splits.test ?? 0 },
    dpo_splits: { train: counts.dpo.train ?? 0, validation: counts.dpo.validation ?? 0, test: counts.dpo.test ?? 0 },
    dpo_negatives: counts.dpo_negatives,
    vods: counts.vods,
    vod_ids: vodIds,
    filtered: counts.filtered,
    capped: counts.capped,
    prompt_spec: { version: input.spec.spec.version, sha256: input.spec.sha256 },
    config: input.config,
    sources: input.sources,
    opt_out: { logins: new Set(input.optOut.map((l) => l.toLowerCase())).size, removed: counts.filtered['opt-out'] ?? 0 },
    scrubbed: { viewer_logins: logins.length },
    built_from: input.builtFrom,
  };
  await withFreshDir(input.out, async (dir) => {
    await exportExamples(session, { dir, datasetId, spec: input.spec, names });
    // The voice memory over the exported train split (functions/memory): beside the export, named in dataset.json.
    summary.memory = await writeMemoryIndex(dir, datasetId);
    await writeFile(join(dir, 'prompt_spec.json'), input.spec.text);
    const hashes = logins.map((l) => createHash('sha256').update(salt + l).digest('hex')).sort();
    await writeJson(join(dir, 'viewers.json'), { salt, sha256: hashes });
    await writeJson(join(dir, 'dataset.json'), summary);
    await writeFile(join(dir, 'README.md'), renderDatasetCard(summary));
  });
  return summary;
}
