import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LAKE, sqlString, type Lake } from '../../catalog/lake.ts';
import { asrRuns, audio, chatMessages, chatOffsets, pairReviews, pairs, qualifiedName, transcriptWords } from '../../catalog/tables.ts';
import { PairLabel } from '../align/pair.ts';
import { LatestReview, type ReviewItem } from './review-item.ts';
import { samplePairs } from './sample-pairs.ts';
import { transcriptWindow, type TimedWord } from './transcript-window.ts';

export const LoadReviewSetInput = z.object({
  vod_id: z.string().min(1),
  /** Default: the VOD's newest alignment (that of the newest transcription run). */
  align_id: z.string().min(1).optional(),
  /** Pairs to sample, stratified by tier; as many rejected messages, stratified by reason. */
  sample: z.number().int().min(1).max(100_000).default(200),
});
export type LoadReviewSetInput = z.input<typeof LoadReviewSetInput>;

export interface ReviewTotals {
  pairs: number;
  rejects: number;
  tiers: Record<string, number>;
  labels: Record<string, number>;
  reasons: Record<string, number>;
}

export interface ReviewAudio {
  key: string;
  sha256: string;
  duration_ms: number;
}

/** What the review page works on: a sample of one alignment, held in memory by the server. */
export interface ReviewSet {
  vod_id: string;
  align_id: string;
  audio: ReviewAudio | null;
  totals: ReviewTotals;
  /** Sampled pairs then sampled rejects, each in VOD time order; `review` filled by the caller. */
  items: ReviewItem[];
  /** Every pair id of the alignment: a review may name any of them, sampled or not. */
  pairIds: ReadonlySet<string>;
}

export class ReviewSetError extends Error {
  constructor(
    readonly kind: 'no-alignment' | 'no-such-alignment',
    message: string,
  ) {
    super(message);
    this.name = 'ReviewSetError';
  }
}

/** Used for rejected messages, which have no context of their own: the aligner's default. */
export const REJECT_CONTEXT_MS = 20_000;

const num = z.coerce.number();
const numOrNull = z.preprocess((v) => (v === null || v === undefined ? null : v), z.coerce.number().nullable());
const LightRow = z.object({
  pair_id: z.string().nullable(),
  message_id: z.string(),
  tier: numOrNull,
  label: PairLabel.nullable(),
  reject_reason: z.string().nullable(),
});
const FullRow = LightRow.extend({
  offset_ms: num,
  reply_text: z.string().nullable(),
  message_text: z.string().nullable(),
  author_login: z.string().nullable(),
  message_author: z.string().nullable(),
  context_start_ms: numOrNull,
  context_end_ms: numOrNull,
  target_start_ms: numOrNull,
  target_end_ms: numOrNull,
  lag_ms: numOrNull,
  score: numOrNull,
  lexical: numOrNull,
  association: numOrNull,
  time_prior: numOrNull,
});
type FullRow = z.infer<typeof FullRow>;
const Offset = z.object({ from_ms: num, to_ms: num, lag_ms: num });
const Word = z.object({ word: z.string(), start_ms: num, end_ms: num });

const table = (t: Parameters<typeof qualifiedName>[0]) => `${LAKE}.${qualifiedName(t)}`;
const countBy = (values: (string | null)[]) => {
  const out: Record<string, number> = {};
  for (const v of values) if (v !== null) out[v] = (out[v] ?? 0) + 1;
  return out;
};

/** Item id of a rejected message (it has no pair id). */
export const rejectItemId = (messageId: string): string => `msg-${createHash('sha256').update(messageId).digest('hex').slice(0, 24)}`;

/**
 * The newest alignment of a VOD: the one made from its newest transcription run (ties: highest id).
 *
 * @example
 * await newestAlignId(lake, 'v123') // 'align-…' or null
 */
export async function newestAlignId(lake: Lake, vodId: string): Promise<string | null> {
  const [row] = await lake.all(
    `SELECT p.align_id FROM ${table(pairs)} p LEFT JOIN ${table(asrRuns)} r ON r.run_id = p.asr_run_id ` +
      `WHERE p.vod_id = ${sqlString(vodId)} GROUP BY p.align_id ORDER BY max(r.created_at) DESC NULLS LAST, p.align_id DESC LIMIT 1`,
  );
  return row ? String(row.align_id) : null;
}

/**
 * Latest verdict per pair of a VOD, by review time.
 *
 * @example
 * (await latestReviews(lake, 'v123')).get(pairId)?.verdict // 'accept'
 */
export async function latestReviews(lake: Lake, vodId: string): Promise<Map<string, LatestReview>> {
  const rows = await lake.all(
    `SELECT pair_id, review_id, verdict, note, reviewer, strftime(reviewed_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS reviewed_at ` +
      `FROM ${table(pairReviews)} WHERE vod_id = ${sqlString(vodId)} ` +
      `QUALIFY row_number() OVER (PARTITION BY pair_id ORDER BY reviewed_at DESC, review_id DESC) = 1`,
  );
  return new Map(rows.map((row) => [String(row.pair_id), LatestReview.parse(row)]));
}

/**
 * Loads a deterministic sample of one alignment of a VOD for review: pairs stratified by tier,
 * rejected messages stratified by reason, each with its transcript window.
 *
 * @example
 * const set = await loadReviewSet({ vod_id: 'v123', sample: 200 }, { lake });
 * set.items.filter((i) => i.kind === 'pair').length // ≤ 200
 */
export async function loadReviewSet(raw: LoadReviewSetInput, deps: { lake: Lake }): Promise<ReviewSet> {
  const input = LoadReviewSetInput.parse(raw);
  const { lake } = deps;
  const vod = sqlString(input.vod_id);
  const alignId = input.align_id ?? (await newestAlignId(lake, input.vod_id));
  if (!alignId) throw new ReviewSetError('no-alignment', `${input.vod_id}: no alignment in gold.pairs (has the VOD been ingested and aligned?)`);
  const where = `vod_id = ${vod} AND align_id = ${sqlString(alignId)}`;

  const light = (await lake.all(`SELECT pair_id, message_id, tier, label, reject_reason FROM ${table(pairs)} WHERE ${where}`)).map((r) => LightRow.parse(r));
  if (light.length === 0) throw new ReviewSetError('no-such-alignment', `${alignId}: no rows of VOD ${input.vod_id} in gold.pairs`);
  const paired = light.filter((r) => r.reject_reason === null && r.pair_id !== null);
  const rejected = light.filter((r) => r.reject_reason !== null);
  const chosen = [
    ...samplePairs(paired, input.sample, { keyOf: (r) => r.pair_id ?? r.message_id, stratumOf: (r) => String(r.tier) }),
    ...samplePairs(rejected, input.sample, { keyOf: (r) => r.message_id, stratumOf: (r) => r.reject_reason ?? '' }),
  ];

  const ids = chosen.map((r) => sqlString(r.message_id)).join(', ');
  const full = chosen.length
    ? (
        await lake.all(
          `SELECT p.pair_id, p.message_id, p.tier, p.label, p.reject_reason, p.offset_ms, p.reply_text, p.author_login, ` +
            `p.context_start_ms, p.context_end_ms, p.target_start_ms, p.target_end_ms, p.lag_ms, p.score, p.lexical, p.association, p.time_prior, ` +
            `m.text AS message_text, m.author_login AS message_author ` +
            `FROM ${table(pairs)} p LEFT JOIN ${table(chatMessages)} m ON m.vod_id = p.vod_id AND m.chat_sha256 = p.chat_sha256 AND m.message_id = p.message_id ` +
            `WHERE p.vod_id = ${vod} AND p.align_id = ${sqlString(alignId)} AND p.message_id IN (${ids})`,
        )
      ).map((r) => FullRow.parse(r))
    : [];

  const [run] = await lake.all(`SELECT asr_run_id FROM ${table(pairs)} WHERE ${where} AND asr_run_id IS NOT NULL LIMIT 1`);
  const runId = run ? String(run.asr_run_id) : null;
  const words = runId
    ? (await lake.all(`SELECT word, start_ms, end_ms FROM ${table(transcriptWords)} WHERE run_id = ${sqlString(runId)} ORDER BY start_ms, idx`)).map((r) => Word.parse(r))
    : [];
  const offsets = (await lake.all(`SELECT from_ms, to_ms, lag_ms FROM ${table(chatOffsets)} WHERE align_id = ${sqlString(alignId)} ORDER BY from_ms`)).map((r) =>
    Offset.parse(r),
  );
  // The audio the transcription ran on; else the VOD's newest.
  const [audioRow] = await lake.all(
    `SELECT a."key", a.sha256, a.duration_ms FROM ${table(audio)} a ` +
      `LEFT JOIN ${table(asrRuns)} r ON r.audio_key = a."key" AND r.run_id = ${runId ? sqlString(runId) : 'NULL'} ` +
      `WHERE a.vod_id = ${vod} ORDER BY (r.run_id IS NOT NULL) DESC, a.created_at DESC LIMIT 1`,
  );

  const byTime = (a: FullRow, b: FullRow) => a.offset_ms - b.offset_ms || (a.message_id < b.message_id ? -1 : 1);
  const items = [
    ...full.filter((r) => r.reject_reason === null).sort(byTime).map((r) => toItem(r, words, offsets)),
    ...full.filter((r) => r.reject_reason !== null).sort(byTime).map((r) => toItem(r, words, offsets)),
  ];
  return {
    vod_id: input.vod_id,
    align_id: alignId,
    audio: audioRow ? { key: String(audioRow.key), sha256: String(audioRow.sha256), duration_ms: Number(audioRow.duration_ms) } : null,
    totals: {
      pairs: paired.length,
      rejects: rejected.length,
      tiers: countBy(paired.map((r) => (r.tier === null ? null : String(r.tier)))),
      labels: countBy(paired.map((r) => r.label)),
      reasons: countBy(rejected.map((r) => r.reject_reason)),
    },
    items,
    pairIds: new Set(paired.map((r) => r.pair_id as string)),
  };
}

/** Lag in force at a chat offset (segments span chat time, as in pair-messages.ts `segmentAt`). */
function lagAt(offsets: z.infer<typeof Offset>[], offsetMs: number): number {
  const seg = offsets.find((o) => offsetMs >= o.from_ms && offsetMs < o.to_ms) ?? offsets.at(offsetMs < (offsets[0]?.from_ms ?? 0) ? 0 : -1);
  return seg?.lag_ms ?? 0;
}

function toItem(r: FullRow, words: TimedWord[], offsets: z.infer<typeof Offset>[]): ReviewItem {
  const isPair = r.reject_reason === null && r.pair_id !== null;
  let start = r.context_start_ms;
  let end = r.context_end_ms;
  if (!isPair || start === null || end === null) {
    end = Math.max(0, r.offset_ms - lagAt(offsets, r.offset_ms));
    start = Math.max(0, end - REJECT_CONTEXT_MS);
  }
  return {
    item_id: isPair ? (r.pair_id as string) : rejectItemId(r.message_id),
    kind: isPair ? 'pair' : 'reject',
    pair_id: isPair ? r.pair_id : null,
    message_id: r.message_id,
    text: r.reply_text ?? r.message_text ?? '',
    author_login: r.author_login ?? r.message_author,
    offset_ms: r.offset_ms,
    context_start_ms: start,
    context_end_ms: end,
    target_start_ms: r.target_start_ms,
    target_end_ms: r.target_end_ms,
    lag_ms: r.lag_ms,
    score: r.score,
    tier: r.tier,
    label: r.label,
    reject_reason: r.reject_reason,
    lexical: r.lexical,
    association: r.association,
    time_prior: r.time_prior,
    transcript: transcriptWindow(words, { context_start_ms: start, context_end_ms: end, target_start_ms: r.target_start_ms, offset_ms: r.offset_ms }),
    review: null,
  };
}
