import { z } from 'zod';

/**
 * Rows of the alignment stage (DESIGN.md "Pair", `silver.chat_offsets`, `gold.pairs`). Flat and
 * JSON-safe so the lake writer can insert them as they are.
 */

export const OFFSET_METHODS = ['echo', 'rate', 'default'] as const;
export const LAG_REASONS = ['rate-only', 'estimators-disagree', 'weak-evidence', 'no-evidence'] as const;
export type LagReason = (typeof LAG_REASONS)[number];

/** The chat lag in force over [from_ms, to_ms) of the VOD timeline. Segments cover the whole VOD. */
export const ChatOffset = z.object({
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  lag_ms: z.number().int(),
  confidence: z.number().min(0).max(1),
  /** echo: chat repeating the streamer's words; rate: chat bursts after speech; default: no evidence. */
  method: z.enum(OFFSET_METHODS),
  /**
   * Why the lag is weak or unmeasured, null when the evidence is good: 'rate-only' (no echoes; lag
   * from chat bursts alone), 'estimators-disagree', 'weak-evidence', 'no-evidence' (lag copied from
   * a neighbouring segment or the default, confidence 0).
   */
  reason: z.enum(LAG_REASONS).nullable().default(null),
});
export type ChatOffset = z.infer<typeof ChatOffset>;

/** `reaction`: the message answers a moment of speech. `background`: chatter about nothing said (see pair-messages.ts). */
export const PairLabel = z.enum(['reaction', 'background']);
export type PairLabel = z.infer<typeof PairLabel>;

/**
 * A streamer context → chat message pair.
 *
 * @example
 * Pair.parse(JSON.parse(line)).tier; // 0 | 1 | 2
 */
export const Pair = z.object({
  pair_id: z.string(),
  vod_id: z.string(),
  message_id: z.string(),
  reply_text: z.string(),
  /** The streamer's words leading up to the moment reacted to (at most 30 s). */
  context_start_ms: z.number().int(),
  context_end_ms: z.number().int(),
  context_text: z.string(),
  /** Message offset − end of the speech it reacts to. */
  lag_ms: z.number().int(),
  /** 0..1: how likely the pairing is right and the message is a reaction. */
  score: z.number().min(0).max(1),
  tier: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  label: PairLabel,
  /** The line reacted to: the tail of the context. */
  target_start_ms: z.number().int(),
  target_end_ms: z.number().int(),
  /** Score parts, for review: echoed words (idf-weighted, 0..1), learnt word association (0..1), time prior (0..1). */
  lexical: z.number().min(0).max(1),
  association: z.number().min(0).max(1),
  time_prior: z.number().min(0).max(1),
  offset_ms: z.number().int(),
  author_login: z.string().nullable(),
  /** Emote wave (emote-waves.ts): the onset's message id and the wave's size; null outside waves (and in files of echo-lag/1). */
  wave_id: z.string().nullable().default(null),
  wave_size: z.number().int().nullable().default(null),
  method: z.string(),
  offset_segment: z.number().int(),
  transcript_sha256: z.string().nullable(),
  chat_sha256: z.string().nullable(),
});
export type Pair = z.infer<typeof Pair>;

export const REJECT_REASONS = [
  'deleted',
  'bot',
  'command',
  'system',
  'empty',
  'copypasta',
  'no-speech-in-range',
  'low-score',
  'ambiguous',
] as const;
export const AlignRejectReason = z.enum(REJECT_REASONS);
export type AlignRejectReason = z.infer<typeof AlignRejectReason>;

export const AlignReject = z.object({
  vod_id: z.string(),
  message_id: z.string(),
  reason: AlignRejectReason,
  offset_ms: z.number().int(),
});
export type AlignReject = z.infer<typeof AlignReject>;

export const AlignStats = z.object({
  messages: z.number().int(),
  words: z.number().int(),
  phrases: z.number().int(),
  pairs: z.number().int(),
  rejects: z.number().int(),
  tiers: z.object({ 0: z.number().int(), 1: z.number().int(), 2: z.number().int() }),
  labels: z.record(z.string(), z.number().int()),
  reject_reasons: z.record(z.string(), z.number().int()),
  /** Chat offsets found to be whole seconds: message times are taken at the middle of their second. */
  offset_quantum_ms: z.number().int(),
  segments: z.number().int(),
  median_lag_ms: z.number().int().nullable(),
  echo_votes: z.number().int(),
});
export type AlignStats = z.infer<typeof AlignStats>;

export const AlignResult = z.object({
  vod_id: z.string(),
  method: z.string(),
  offsets: z.array(ChatOffset),
  pairs: z.array(Pair),
  rejects: z.array(AlignReject),
  stats: AlignStats,
});
export type AlignResult = z.infer<typeof AlignResult>;
