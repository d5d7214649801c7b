import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatMessage } from '../chat/chat-message.ts';
import { TranscriptSegment, type TranscriptWord } from '../transcribe/transcript.ts';
import { EchoMatcher } from './echo-matcher.ts';
import { DEFAULT_LAG_OPTIONS, estimateLag } from './estimate-lag.ts';
import { collectLagVotes, type VoteMessage } from './lag-votes.ts';
import { learnLagPrior } from './lag-prior.ts';
import { DEFAULT_PAIRING_OPTIONS, pairMessages, type PairingMessage } from './pair-messages.ts';
import { findWaves } from './emote-waves.ts';
import type { AlignReject, AlignResult, AlignStats, ChatOffset, Pair } from './pair.ts';
import { buildPhraseIndex, DEFAULT_PHRASE_OPTIONS, type PhraseIndex } from './phrases.ts';
import { screenMessages } from './screen-messages.ts';
import { contentTokens, isReactionToken, tokenize } from './tokens.ts';

/** Recorded on every pair and offset row; bump when results change for the same inputs. */
export const ALIGN_METHOD = 'echo-lag/2';

export const AlignOptions = z.object({
  vodId: z.string().min(1),
  /** How much of the streamer's speech before the moment reacted to goes into the context. */
  contextMs: z.number().int().min(1_000).max(30_000).default(20_000),
  minLagMs: z.number().int().min(-10_000).default(0),
  maxLagMs: z.number().int().max(120_000).default(30_000),
  /** Used where the VOD gives no evidence at all (confidence 0). */
  defaultLagMs: z.number().int().default(5_000),
  transcriptSha256: z.string().nullable().default(null),
  chatSha256: z.string().nullable().default(null),
  /** The recogniser's segments, if it gave any: phrases never cross them. */
  segments: z.array(TranscriptSegment).default([]),
});
export type AlignOptions = z.input<typeof AlignOptions>;

/** Share of offsets that must be whole seconds before the chat is treated as quantised. */
const QUANTISED_SHARE = 0.98;

/**
 * Estimates the chat lag of one VOD and pairs every message with the speech it reacts to, or
 * rejects it with a reason. Pure: same inputs, same result (pair ids included).
 *
 * @example
 * const result = align(messages, transcript.words, { vodId: '1987654321' });
 * result.offsets[0].lag_ms; // e.g. 6400
 * result.pairs.filter((p) => p.tier === 2).length;
 */
export function align(messages: readonly ChatMessage[], words: readonly TranscriptWord[], options: AlignOptions): AlignResult {
  const opts = AlignOptions.parse(options);
  if (opts.maxLagMs <= opts.minLagMs) throw new Error(`align: maxLagMs (${opts.maxLagMs}) must exceed minLagMs (${opts.minLagMs})`);
  const index = buildPhraseIndex(words, opts.segments, DEFAULT_PHRASE_OPTIONS);
  const matcher = EchoMatcher.build(index.postings.keys());
  const quantumMs = offsetQuantum(messages);
  const shift = quantumMs / 2;

  const screened = screenMessages(messages);
  const eligible: PairingMessage[] = [];
  messages.forEach((m, i) => {
    if (screened[i] !== null) return;
    const tokens = contentTokens(m.text);
    const allTokens = [...new Set(tokenize(m.text))];
    eligible.push({ index: i, t: m.offset_ms + shift, sentFrom: m.offset_ms, tokens, echoes: matcher.matchAll(tokens), allTokens, addressed: m.reply_to !== null || /^\s*@\w/.test(m.text) });
  });
  eligible.sort((a, b) => a.t - b.t || a.index - b.index);
  const waves = findWaves(
    eligible.map((e) => {
      const m = messages[e.index] as ChatMessage;
      const only = e.allTokens.length === 1 ? (e.allTokens[0] as string) : null;
      const key = only !== null && (isReactionToken(only) || m.is_emote_only) ? only : null;
      return { index: e.index, t: e.t, key, author: m.author_id ?? m.author_login ?? m.message_id };
    }),
  );
  const inWaveAfterOnset = (i: number) => (waves.get(i)?.onset ?? i) !== i;

  const lagOptions = { ...DEFAULT_LAG_OPTIONS, minLagMs: opts.minLagMs, maxLagMs: opts.maxLagMs, defaultLagMs: opts.defaultLagMs };
  const voters: VoteMessage[] = eligible.filter((m) => !m.addressed && !inWaveAfterOnset(m.index));
  const votes = collectLagVotes(index, voters, opts.minLagMs, opts.maxLagMs);
  let endMs = 1;
  for (const m of messages) endMs = Math.max(endMs, m.offset_ms + quantumMs + 1);
  for (const w of index.words) endMs = Math.max(endMs, w.end_ms + 1);
  const messageT = Float64Array.from(voters, (m) => m.t);
  const segments = estimateLag(votes, 0, endMs, lagOptions, { messageT, phraseEnds: index.ends });
  const prior = learnLagPrior(votes, segments, quantumMs);
  const decisions = pairMessages(index, eligible, segments, prior, {
    ...DEFAULT_PAIRING_OPTIONS,
    minLagMs: opts.minLagMs,
    maxLagMs: opts.maxLagMs,
  });

  const offsets: ChatOffset[] = segments.map((s) => ({
    from_ms: Math.round(s.from_ms),
    to_ms: Math.round(s.to_ms),
    lag_ms: Math.round(s.lag_ms),
    confidence: Math.round(s.confidence * 1000) / 1000,
    method: s.method,
    reason: s.reason,
  }));

  const pairs: Pair[] = [];
  const rejects: AlignReject[] = [];
  messages.forEach((m, i) => {
    const reason = screened[i];
    if (reason) rejects.push({ vod_id: opts.vodId, message_id: m.message_id, reason, offset_ms: m.offset_ms });
  });
  const contexts = new Map<number, { start: number; text: string }>();
  for (const own of decisions) {
    const m = messages[own.index] as ChatMessage;
    const wave = waves.get(own.index) ?? null;
    const d = wave && wave.onset !== own.index ? { ...own, score: Math.min(own.score, WAVE_MEMBER_MAX_SCORE) } : own;
    if (d.reject !== null) {
      rejects.push({ vod_id: opts.vodId, message_id: m.message_id, reason: d.reject, offset_ms: m.offset_ms });
      continue;
    }
    const phrase = index.phrases[d.phrase];
    if (!phrase) throw new Error(`align: decision for ${m.message_id} names no line`);
    let context = contexts.get(d.phrase);
    if (!context) contexts.set(d.phrase, (context = contextOf(index, d.phrase, opts.contextMs)));
    const score = round3(d.score);
    pairs.push({
      pair_id: pairId(opts.vodId, m.message_id, phrase.end_ms),
      vod_id: opts.vodId,
      message_id: m.message_id,
      reply_text: m.text,
      context_start_ms: context.start,
      context_end_ms: phrase.end_ms,
      context_text: context.text,
      lag_ms: d.lagMs,
      score,
      tier: tierOf(score, d.label),
      label: d.label,
      target_start_ms: phrase.start_ms,
      target_end_ms: phrase.end_ms,
      lexical: round3(d.lexical),
      association: round3(d.association),
      time_prior: round3(d.timePrior),
      offset_ms: m.offset_ms,
      author_login: m.author_login,
      wave_id: wave ? (messages[wave.onset] as ChatMessage).message_id : null,
      wave_size: wave ? wave.size : null,
      method: ALIGN_METHOD,
      offset_segment: d.segment,
      transcript_sha256: opts.transcriptSha256,
      chat_sha256: opts.chatSha256,
    });
  }
  pairs.sort((a, b) => a.offset_ms - b.offset_ms || (a.message_id < b.message_id ? -1 : 1));
  rejects.sort((a, b) => a.offset_ms - b.offset_ms || (a.message_id < b.message_id ? -1 : 1));

  return { vod_id: opts.vodId, method: ALIGN_METHOD, offsets, pairs, rejects, stats: statsOf(messages, index, pairs, rejects, offsets, quantumMs, votes.echoT.length) };
}

/** Just under tier 2 (see tierOf). */
const WAVE_MEMBER_MAX_SCORE = 0.59;

/** Tier 2: confidently a reaction to this line; 1: probably; 0: weak or background. */
export function tierOf(score: number, label: Pair['label']): 0 | 1 | 2 {
  if (label === 'background') return 0;
  if (score >= 0.6) return 2;
  if (score >= 0.3) return 1;
  return 0;
}

/** 1000 when (almost) every offset is a whole second, else 0. */
export function offsetQuantum(messages: readonly ChatMessage[]): number {
  if (messages.length < 20) return messages.length > 0 && messages.every((m) => m.offset_ms % 1000 === 0) ? 1000 : 0;
  let whole = 0;
  for (const m of messages) if (m.offset_ms % 1000 === 0) whole++;
  return whole >= QUANTISED_SHARE * messages.length ? 1000 : 0;
}

/** The words in the `contextMs` before a line's end, up to and including the line. */
function contextOf(index: PhraseIndex, phrase: number, contextMs: number): { start: number; text: string } {
  const p = index.phrases[phrase] as PhraseIndex['phrases'][number];
  const from = p.end_ms - contextMs;
  let first = p.endWord;
  while (first > 0 && (index.words[first - 1] as TranscriptWord).start_ms >= from) first--;
  const ws = index.words.slice(first, p.endWord);
  return { start: ws[0]?.start_ms ?? p.start_ms, text: ws.map((w) => w.word.trim()).join(' ') };
}

function pairId(vodId: string, messageId: string, targetEndMs: number): string {
  return createHash('sha256').update(`${vodId}\u0000${messageId}\u0000${targetEndMs}\u0000${ALIGN_METHOD}`).digest('hex').slice(0, 32);
}

function round3(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;
}

function statsOf(
  messages: readonly ChatMessage[],
  index: PhraseIndex,
  pairs: readonly Pair[],
  rejects: readonly AlignReject[],
  offsets: readonly ChatOffset[],
  quantumMs: number,
  echoVotes: number,
): AlignStats {
  const tiers = { 0: 0, 1: 0, 2: 0 };
  const labels: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const lags: number[] = [];
  for (const p of pairs) {
    tiers[p.tier]++;
    labels[p.label] = (labels[p.label] ?? 0) + 1;
    if (p.label === 'reaction') lags.push(p.lag_ms);
  }
  for (const r of rejects) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
  lags.sort((a, b) => a - b);
  return {
    messages: messages.length,
    words: index.words.length,
    phrases: index.phrases.length,
    pairs: pairs.length,
    rejects: rejects.length,
    tiers,
    labels,
    reject_reasons: reasons,
    offset_quantum_ms: quantumMs,
    segments: offsets.length,
    median_lag_ms: lags.length > 0 ? (lags[Math.floor(lags.length / 2)] as number) : null,
    echo_votes: echoVotes,
  };
}
