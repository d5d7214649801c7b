import type { ChatMessage } from '../../functions/chat/chat-message.ts';
import type { Transcript, TranscriptWord } from '../../functions/transcribe/transcript.ts';
import { align } from '../../functions/align/align.ts';
import type { AlignResult } from '../../functions/align/pair.ts';
import type { GroundTruth, LagStep, Utterance } from '../../functions/sample/ground-truth.ts';

/**
 * Scoring shared by the accuracy benchmark and its small regression tests. A reaction is paired
 * "right" when the context a method hands on spans at most 30 s, starts before the end of the line
 * reacted to and ends within 2.5 s of it (before or after).
 */
export const RIGHT_WITHIN_MS = 2_500;
export const MAX_CONTEXT_MS = 30_000;

/** What a method claims for one message: the context it hands on (or none) and the lag. */
export interface Claim {
  contextStart: number | null;
  contextEnd: number | null;
  lag: number;
  rejected: boolean;
}

export interface Figures {
  medianLagErrorMs: number;
  reactionsRight: number;
  /** Share of reactions whose context ends after the line reacted to by more than RIGHT_WITHIN_MS (speech the viewer had not heard). */
  futureContext: number;
  botsCommandsRejected: number;
}

export function score(truth: GroundTruth, claims: Map<string, Claim>): Figures {
  const utterances = new Map<number, Utterance>(truth.utterances.map((u) => [u.id, u]));
  const errors: number[] = [];
  let reactions = 0;
  let right = 0;
  let future = 0;
  let noise = 0;
  let noiseRejected = 0;
  for (const m of truth.messages) {
    const claim = claims.get(m.message_id);
    if (m.category === 'reaction') {
      reactions++;
      const end = (utterances.get(m.reacts_to as number) as Utterance).end_ms;
      if (claim && !claim.rejected && claim.contextStart !== null && claim.contextEnd !== null) {
        const ok = claim.contextEnd - claim.contextStart <= MAX_CONTEXT_MS && claim.contextStart <= end && Math.abs(claim.contextEnd - end) <= RIGHT_WITHIN_MS;
        if (ok) right++;
        if (claim.contextEnd > end + RIGHT_WITHIN_MS) future++;
      }
      errors.push(claim ? Math.abs(claim.lag - (m.lag_ms as number)) : Infinity);
    } else if (m.category === 'bot' || m.category === 'command') {
      noise++;
      if (claim?.rejected) noiseRejected++;
    }
  }
  errors.sort((a, b) => a - b);
  return {
    medianLagErrorMs: errors[Math.floor(errors.length / 2)] ?? NaN,
    reactionsRight: right / Math.max(1, reactions),
    futureContext: future / Math.max(1, reactions),
    botsCommandsRejected: noiseRejected / Math.max(1, noise),
  };
}

/** Our claims, read off an align result. */
export function ourClaims(result: AlignResult): Map<string, Claim> {
  const claims = new Map<string, Claim>();
  const segmentLag = (offset: number) => (result.offsets.find((o) => offset >= o.from_ms && offset < o.to_ms) ?? result.offsets[0])?.lag_ms ?? 0;
  for (const p of result.pairs) claims.set(p.message_id, { contextStart: p.context_start_ms, contextEnd: p.context_end_ms, lag: p.lag_ms, rejected: false });
  for (const r of result.rejects) {
    claims.set(r.message_id, { contextStart: null, contextEnd: null, lag: segmentLag(r.offset_ms), rejected: true });
  }
  return claims;
}

/** Baseline 1: the speech in [offset − 10 s, offset − 2 s] is the context. */
export function fixedWindowClaims(messages: readonly ChatMessage[], words: readonly TranscriptWord[]): Map<string, Claim> {
  const ends = words.map((w) => w.end_ms).sort((a, b) => a - b);
  const out = new Map<string, Claim>();
  for (const m of messages) {
    const last = lastAtOrBefore(ends, m.offset_ms - 2_000);
    const end = last !== null && last >= m.offset_ms - 10_000 ? last : null;
    out.set(m.message_id, { contextStart: end === null ? null : m.offset_ms - 10_000, contextEnd: end, lag: end === null ? 6_000 : m.offset_ms - end, rejected: m.is_bot || m.is_command });
  }
  return out;
}

/**
 * Baseline 2: one lag for the whole VOD, the peak of the cross-correlation of the chat rate with
 * line ends (word ends followed by a pause of 250 ms or more, or segment ends); the context is the
 * 20 s of speech up to the last word end before offset − lag.
 */
export function globalXcorrClaims(messages: readonly ChatMessage[], transcript: Transcript): { lag: number; claims: Map<string, Claim> } {
  const words = transcript.words.slice().sort((a, b) => a.start_ms - b.start_ms);
  const lineEnds: number[] = transcript.segments.map((s) => s.end_ms);
  for (let i = 0; i < words.length; i++) {
    const next = words[i + 1];
    if (!next || next.start_ms - (words[i] as TranscriptWord).end_ms >= 250) lineEnds.push((words[i] as TranscriptWord).end_ms);
  }
  const bin = 100;
  const end = Math.max(1, ...messages.map((m) => m.offset_ms), ...words.map((w) => w.end_ms)) + 1;
  const n = Math.ceil(end / bin);
  const rate = new Float64Array(n);
  for (const m of messages) rate[Math.floor(m.offset_ms / bin)] += 1;
  const speech = new Float64Array(n);
  for (const e of new Set(lineEnds)) speech[Math.floor(e / bin)] += 1;
  let best = 0;
  let bestLag = 5_000;
  for (let k = 0; k <= 30_000 / bin; k++) {
    let s = 0;
    for (let i = 0; i + k < n; i++) s += (speech[i] as number) * (rate[i + k] as number);
    if (s > best) {
      best = s;
      bestLag = k * bin;
    }
  }
  const ends = words.map((w) => w.end_ms).sort((a, b) => a - b);
  const claims = new Map<string, Claim>();
  for (const m of messages) {
    const last = lastAtOrBefore(ends, m.offset_ms - bestLag);
    claims.set(m.message_id, { contextStart: last === null ? null : last - 20_000, contextEnd: last, lag: last === null ? bestLag : m.offset_ms - last, rejected: m.is_bot || m.is_command });
  }
  return { lag: bestLag, claims };
}

function lastAtOrBefore(sorted: readonly number[], value: number): number | null {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? (sorted[lo - 1] as number) : null;
}

/**
 * Where chat starts showing each lag change (line end of the change + new lag), and how far the
 * nearest estimated segment boundary is from it; null when the estimate has no boundary there.
 */
export function changeErrors(schedule: readonly LagStep[], result: AlignResult): Array<number | null> {
  const bounds = result.offsets.slice(1).map((o) => o.from_ms);
  return schedule.slice(1).map((step) => {
    const shows = step.from_ms + step.lag_ms;
    const nearest = bounds.reduce<number | null>((b, x) => (b === null || Math.abs(x - shows) < Math.abs(b - shows) ? x : b), null);
    return nearest === null ? null : Math.abs(nearest - shows);
  });
}

export interface CaseResult {
  ours: Figures;
  fixed: Figures;
  xcorr: Figures;
  xcorrLag: number;
  result: AlignResult;
  changeErrorsMs: Array<number | null>;
  alignMs: number;
}

/** Aligns one stream's chat with one transcript and scores ours and both baselines. */
export function runCase(truth: GroundTruth, messages: readonly ChatMessage[], transcript: Transcript, vodId: string): CaseResult {
  const started = performance.now();
  const result = align(messages, transcript.words, { vodId, segments: transcript.segments });
  const alignMs = performance.now() - started;
  const xcorr = globalXcorrClaims(messages, transcript);
  return {
    ours: score(truth, ourClaims(result)),
    fixed: score(truth, fixedWindowClaims(messages, transcript.words)),
    xcorr: score(truth, xcorr.claims),
    xcorrLag: xcorr.lag,
    result,
    changeErrorsMs: changeErrors(truth.lag_schedule, result),
    alignMs,
  };
}
