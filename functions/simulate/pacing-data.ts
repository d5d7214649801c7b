import { z } from 'zod';
import { buildPhraseIndex } from '../align/phrases.ts';
import { contentTokens } from '../align/tokens.ts';
import type { Transcript } from '../transcribe/transcript.ts';
import type { LagSegment, PacingPhrase } from './pacing-model.ts';

/** The fields of a `dougpt align` output file the pacing fit reads (older files lack the target fields). */
export const AlignFileForPacing = z.object({
  vod_id: z.string().min(1),
  offsets: z.array(z.object({ from_ms: z.number(), to_ms: z.number(), lag_ms: z.number() })).default([]),
  pairs: z.array(
    z.object({
      offset_ms: z.number(),
      reply_text: z.string(),
      context_start_ms: z.number(),
      context_end_ms: z.number(),
      context_text: z.string(),
      lag_ms: z.number(),
      label: z.enum(['reaction', 'background']),
      target_start_ms: z.number().optional(),
      target_end_ms: z.number().optional(),
    }),
  ),
  rejects: z.array(z.object({ offset_ms: z.number(), reason: z.string() })).default([]),
});
export type AlignFileForPacing = z.infer<typeof AlignFileForPacing>;

/** Rejected messages that are not the audience speaking: bots, commands, system notices, deleted lines. */
const NOT_CHAT = new Set(['bot', 'command', 'system', 'deleted']);

/** One VOD as the pacing fit sees it. */
export interface PacingVod {
  vod_id: string;
  duration_ms: number;
  /** Offsets (chat timeline) of the audience's messages, ascending. */
  messages: number[];
  /** Lines of speech chat paired messages to, by end (streamer timeline). */
  phrases: PacingPhrase[];
  /** Per phrase: messages reacting to it, and per token how many of them repeat it. */
  reactions: number[];
  echoes: Map<string, number>[];
  lag: LagSegment[];
  /** Used where no segment says: the median lag of the VOD's reactions, else 5 s. */
  lag_ms: number;
}

/** Words of a pair's target line: the context's tail, in proportion to the line's share of the context's time. */
function targetTokens(pair: AlignFileForPacing['pairs'][number]): string[] {
  const words = pair.context_text.split(/\s+/u).filter((w) => w.length > 0);
  const span = pair.context_end_ms - pair.context_start_ms;
  let take = Math.min(8, words.length);
  if (pair.target_start_ms !== undefined && span > 0) {
    const share = (pair.context_end_ms - pair.target_start_ms) / span;
    take = Math.max(1, Math.min(words.length, Math.round(words.length * share)));
  }
  return contentTokens(words.slice(words.length - take).join(' '));
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * An align file's timeline for the pacing fit: every audience message's offset, the lines chat paired
 * messages to (a line's end is its pairs' `target_end_ms`, else `context_end_ms`), the reactions each
 * drew and the words they echoed, and the lag segments.
 *
 * Only lines some message was paired to are known from an align file: with sparse chat, lines
 * nobody answered are missing, so the fit slightly overstates chat's answer to an average line.
 *
 * @example
 * const vod = pacingVodFromAlign(AlignFileForPacing.parse(JSON.parse(text)));
 * vod.messages.length / (vod.duration_ms / 1000); // messages per second
 */
export function pacingVodFromAlign(file: AlignFileForPacing): PacingVod {
  const messages: number[] = [];
  for (const p of file.pairs) messages.push(p.offset_ms);
  for (const r of file.rejects) if (!NOT_CHAT.has(r.reason)) messages.push(r.offset_ms);
  messages.sort((a, b) => a - b);

  const byEnd = new Map<number, { tokens: string[]; reactions: number; echoes: Map<string, number> }>();
  for (const p of file.pairs) {
    const end = p.target_end_ms ?? p.context_end_ms;
    let phrase = byEnd.get(end);
    if (!phrase) byEnd.set(end, (phrase = { tokens: targetTokens(p), reactions: 0, echoes: new Map() }));
    if (p.label !== 'reaction') continue;
    phrase.reactions++;
    const said = new Set(contentTokens(p.reply_text));
    for (const t of phrase.tokens) if (said.has(t)) phrase.echoes.set(t, (phrase.echoes.get(t) ?? 0) + 1);
  }
  const ends = [...byEnd.keys()].sort((a, b) => a - b);
  const lag = file.offsets.map((o) => ({ from_ms: o.from_ms, to_ms: o.to_ms, lag_ms: o.lag_ms })).sort((a, b) => a.from_ms - b.from_ms);
  const lagMs = median(file.pairs.filter((p) => p.label === 'reaction').map((p) => p.lag_ms)) ?? 5000;
  let duration = 1;
  for (const o of lag) duration = Math.max(duration, o.to_ms);
  if (messages.length) duration = Math.max(duration, (messages[messages.length - 1] as number) + 1);
  if (ends.length) duration = Math.max(duration, (ends[ends.length - 1] as number) + lagMs + 1);
  return {
    vod_id: file.vod_id,
    duration_ms: Math.ceil(duration),
    messages,
    phrases: ends.map((end) => ({ end_ms: end, tokens: byEnd.get(end)!.tokens })),
    reactions: ends.map((end) => byEnd.get(end)!.reactions),
    echoes: ends.map((end) => byEnd.get(end)!.echoes),
    lag,
    lag_ms: Math.round(lagMs),
  };
}

/** An align file cut to the messages before `cutMs` (the fit span of a held-out evaluation). */
export function alignBefore(file: AlignFileForPacing, cutMs: number): AlignFileForPacing {
  return { ...file, pairs: file.pairs.filter((p) => p.offset_ms < cutMs), rejects: file.rejects.filter((r) => r.offset_ms < cutMs) };
}

/**
 * Every phrase of a transcript (the aligner's phrase index), as the speech model reads the streamer:
 * unlike an align file's lines, it includes the lines nobody answered.
 *
 * @example
 * phrasesOfTranscript({ words, segments })[0]; // { end_ms: 2140, tokens: ['boss', 'fight'] }
 */
export function phrasesOfTranscript(transcript: Pick<Transcript, 'words' | 'segments'>): PacingPhrase[] {
  return buildPhraseIndex(transcript.words, transcript.segments).phrases.map((p) => ({ end_ms: p.end_ms, tokens: [...p.tokens] }));
}
