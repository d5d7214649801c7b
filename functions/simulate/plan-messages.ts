import { buildPhraseIndex, type PhraseIndex } from '../align/phrases.ts';
import { createRng, type Rng } from '../sample/prng.ts';
import type { Transcript } from '../transcribe/transcript.ts';
import { hawkesParamsOf, speechBaseline, type HawkesPacingModel } from './hawkes-pacing.ts';
import { shapeIntegral, simulateHawkes } from './hawkes-process.ts';
import { BIN_MS, expectedRates, type PacingModel, type PacingPhrase } from './pacing-model.ts';

/** A pacing model of either version: speech only (`dougpt-pacing/1`) or chat exciting itself (`dougpt-pacing/2`). */
export type SimulationPacing = PacingModel | HawkesPacingModel;

/** Seconds of speech before the end of the phrase reacted to that make a message's context (the aligner's default). */
export const CONTEXT_MS = 20_000;
/** Chat keeps going this long after the streamer's last word (plus the lag). */
const TAIL_MS = 10_000;
/** Above this mean, a Poisson count is drawn from its normal approximation (Knuth's method underflows). */
const KNUTH_LIMIT = 30;

export interface PlannedMessage {
  /** Position on the VOD (chat) timeline. */
  offset_ms: number;
  /** The phrase reacted to (index into the transcript's phrases), -1 before the streamer said anything. */
  phrase: number;
}

export interface MessagePlan {
  messages: PlannedMessage[];
  /** Streamer context of each phrase: its words over the CONTEXT_MS before its end. */
  contexts: string[];
  phraseEnds: number[];
  duration_ms: number;
  lag_ms: number;
  /** Messages the model expects over the timeline (before the cap). */
  expected: number;
  /** Messages drawn before `maxMessages` cut them. */
  drawn: number;
}

export interface PlanOptions {
  seed: number;
  rateScale?: number;
  maxMessages?: number;
  /** Length of the timeline; default: the last word's end + lag + 10 s. */
  durationMs?: number;
}

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < KNUTH_LIMIT) return rng.poisson(mean);
  // Box–Muller from the same stream keeps the draw deterministic in the seed.
  const u1 = Math.max(rng.next(), 1e-12);
  const u2 = rng.next();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
}

function contextOf(index: PhraseIndex, phrase: number): string {
  const p = index.phrases[phrase]!;
  let first = p.endWord;
  while (first > 0 && index.words[first - 1]!.start_ms >= p.end_ms - CONTEXT_MS) first--;
  return index.words
    .slice(first, p.endWord)
    .map((w) => w.word.trim())
    .join(' ');
}

/**
 * When chat speaks over a transcript, and to which phrase. `dougpt-pacing/1`: the speech model's rate
 * per second (lag applied) sampled as Poisson counts with the seed, each message placed uniformly in
 * its second. `dougpt-pacing/2`: arrivals drawn by Ogata thinning from the self-exciting process
 * (speech background where the model has one), every drawn message exciting the ones after it.
 * Either way each message gets the phrase the streamer last finished before it (lag taken off).
 * Pure: same inputs, same plan.
 *
 * @example
 * const plan = planMessages(transcript, model, { seed: 1 });
 * plan.messages[0]; // { offset_ms: 7421, phrase: 0 }
 */
export function planMessages(transcript: Pick<Transcript, 'words' | 'segments'>, model: SimulationPacing, options: PlanOptions): MessagePlan {
  const index = buildPhraseIndex(transcript.words, transcript.segments);
  const lag = model.lag_ms;
  const lastWord = index.words.reduce((max, w) => Math.max(max, w.end_ms), 0);
  const duration = options.durationMs ?? lastWord + Math.max(0, lag) + TAIL_MS;
  const phrases = index.phrases.map((p) => ({ end_ms: p.end_ms, tokens: [...p.tokens] }));
  const rng = createRng(options.seed, 'simulate-times');
  const ends = phrases.map((p) => p.end_ms);
  const { times, expected } = model.version === 'dougpt-pacing/2' ? hawkesTimes(model, phrases, duration, rng, options.rateScale ?? 1) : poissonTimes(model, phrases, duration, rng, options.rateScale ?? 1);
  const drawnAll: PlannedMessage[] = [];
  let phrase = -1;
  for (const t of times) {
    if (t >= duration) continue;
    while (phrase + 1 < ends.length && (ends[phrase + 1] as number) <= t - lag) phrase++;
    drawnAll.push({ offset_ms: t, phrase });
  }
  const max = options.maxMessages ?? Infinity;
  return {
    messages: drawnAll.slice(0, max),
    contexts: index.phrases.map((_, i) => contextOf(index, i)),
    phraseEnds: ends,
    duration_ms: Math.round(duration),
    lag_ms: lag,
    expected,
    drawn: drawnAll.length,
  };
}

/** Message times (ms, ascending) of the speech-only model: Poisson counts per second, uniform within it. */
function poissonTimes(model: PacingModel, phrases: PacingPhrase[], duration: number, rng: Rng, rateScale: number): { times: number[]; expected: number } {
  const rates = expectedRates(model, phrases, duration, { rateScale });
  const times: number[] = [];
  rates.forEach((rate, bin) => {
    const count = poisson(rng, rate);
    times.push(...Array.from({ length: count }, () => bin * BIN_MS + Math.floor(rng.next() * BIN_MS)).sort((a, b) => a - b));
  });
  return { times, expected: rates.reduce((s, r) => s + r, 0) };
}

/**
 * Message times (ms) of the self-exciting model: a bigger audience (rate scale) scales the background,
 * so the stationary rate μ·s / (1 − n) scales with it. Expected: the stationary count over the timeline.
 */
function hawkesTimes(model: HawkesPacingModel, phrases: PacingPhrase[], duration: number, rng: Rng, rateScale: number): { times: number[]; expected: number } {
  const params = hawkesParamsOf(model);
  const baseline = model.baseline.kind === 'speech' ? speechBaseline(model.baseline.pacing, phrases, duration) : null;
  const events = simulateHawkes({ ...params, mu: params.mu * rateScale }, { from: 0, to: duration / 1000, rng, shares: model.mark_shares, baseline });
  const expected = (params.mu * rateScale * shapeIntegral(baseline, 0, duration / 1000)) / (1 - model.branching_ratio);
  return { times: events.map((e) => Math.floor(e.t * 1000)), expected };
}
