import { z } from 'zod';
import { lowerBound } from '../align/phrases.ts';
import { predictRate } from './poisson-regression.ts';

/**
 * The pacing model: how fast chat speaks, as a function of the streamer's speech.
 *
 * Time is cut into 1-second bins of the chat (VOD) timeline. For a bin at time t and each phrase p
 * the streamer finished, u_p = t − lag(t) − end_p is how long ago (in streamer time) the phrase ended
 * as chat sees it; u_p < 0 for a phrase chat has not yet seen. The message rate in the bin is
 *
 *   λ(t) = base_rate × bin × exp(β₀ + β·x(t))
 *
 * with the features x below: kernels of u summed over the recent phrases (a Hawkes-style
 * excitation by the streamer's phrases), two of them weighted by how salient the phrase is. Poisson
 * regression, log link; fit in fit-pacing.ts. `base_rate` is the VOD's mean rate, so β₀ ≈ 0 and the
 * slopes say how speech moves chat around its own mean. The lag estimate is a median, so reactions
 * spread on both sides of u = 0: the reaction kernel is a bump around it, not a step.
 */
export const PACING_VERSION = 'dougpt-pacing/1';
export const BIN_MS = 1000;

/** Shapes of the kernels, in seconds of streamer time. */
export const KERNELS = { react_width_s: 1.5, linger_s: 8, density_window_s: 30 } as const;

export const FEATURES = [
  { name: 'react', description: 'Σ over phrases of exp(−u² / 2·1.5²): chat answers a phrase right after it ends (plus the lag)' },
  { name: 'linger', description: 'Σ over phrases of exp(−u / 8 s) for u > 0: and keeps talking about it for a while' },
  { name: 'burst_lift', description: "Σ over phrases of lift × the react kernel: log ratio of the reactions that phrases sharing the phrase's most reacted-to word drew to an average phrase (learned per word, shrunk to 0)" },
  { name: 'echo', description: 'Σ over phrases of echo share × the react kernel: how often chat repeats the phrase\'s words (learned per word)' },
  { name: 'density', description: 'phrases finished in the last 30 s, / 10: a talkative stretch against a quiet one' },
] as const;
export type FeatureName = (typeof FEATURES)[number]['name'];

/** A line of speech on the streamer's timeline and its distinct content tokens. */
export interface PacingPhrase {
  end_ms: number;
  tokens: readonly string[];
}

/** A lag segment of `silver.chat_offsets` / an align file's `offsets`. */
export interface LagSegment {
  from_ms: number;
  to_ms: number;
  lag_ms: number;
}

/** Per word: [burst lift, echo share]. */
export type Lexicon = ReadonlyMap<string, readonly [number, number]>;

const Figures = z.object({
  /** 10-second windows compared. */
  windows: z.number().int(),
  /** Pearson correlation of predicted and real messages per 10 s (null when undefined: a constant). */
  corr: z.number().nullable(),
  /** Mean absolute error, messages per 10 s. */
  mae: z.number(),
  /** Poisson log-likelihood per 1-s bin (without log y!). */
  loglik_per_bin: z.number(),
});
export type Figures = z.infer<typeof Figures>;

/** `pacing.json`: everything simulation needs, and how well the model did. */
export const PacingModel = z.object({
  version: z.literal(PACING_VERSION),
  model: z.literal('poisson-log-linear'),
  bin_ms: z.number().int(),
  kernels: z.object({ react_width_s: z.number(), linger_s: z.number(), density_window_s: z.number() }),
  features: z.array(z.object({ name: z.string(), description: z.string() })),
  /** intercept and one slope per feature, by name. */
  coefficients: z.record(z.string(), z.number()),
  /** Messages per second over the training VODs (duration-weighted mean): the simulation's base rate. */
  base_rate_per_s: z.number().nonnegative(),
  /** Chat lag applied when simulating: the training VODs' duration-weighted median lag. */
  lag_ms: z.number().int(),
  lexicon: z.object({
    /** Pseudo-phrases of average reactions each word's figures are shrunk toward. */
    prior_phrases: z.number(),
    mean_reactions_per_phrase: z.number(),
    mean_echo_share: z.number(),
    /** word → [burst lift, echo share]. */
    words: z.record(z.string(), z.tuple([z.number(), z.number()])),
  }),
  training: z.object({
    vods: z.array(z.object({ vod_id: z.string(), duration_ms: z.number().int(), messages: z.number().int(), phrases: z.number().int(), base_rate_per_s: z.number(), lag_ms: z.number().int() })),
    bins: z.number().int(),
    iterations: z.number().int(),
    converged: z.boolean(),
    /** In-sample Poisson log-likelihood per bin: the model against the constant (base-rate-only) model. */
    loglik_per_bin: z.number(),
    constant_loglik_per_bin: z.number(),
  }),
  evaluation: z
    .object({
      holdout: z.string(),
      model: Figures,
      constant: Figures,
    })
    .nullable(),
  /** Align files (path, sha256) or, for a run trained from the lake, the alignment (align_id). */
  sources: z.array(z.object({ path: z.string().nullable(), sha256: z.string().nullable(), vod_id: z.string(), align_id: z.string().optional() })),
  created_at: z.string(),
});
export type PacingModel = z.infer<typeof PacingModel>;

/** The lag in force at chat time t: the segment holding t, else the nearest one, else `fallback`. */
export function lagAt(segments: readonly LagSegment[], t: number, fallback: number): number {
  let best: LagSegment | null = null;
  let bestDistance = Infinity;
  for (const s of segments) {
    const d = t < s.from_ms ? s.from_ms - t : t >= s.to_ms ? t - s.to_ms + 1 : 0;
    if (d < bestDistance) {
      best = s;
      bestDistance = d;
      if (d === 0) break;
    }
  }
  return best ? best.lag_ms : fallback;
}

/** The phrase's salience from a lexicon: its most reacted-to word's lift and its most echoed word's share. */
export function phraseSalience(tokens: readonly string[], lookup: (token: string) => readonly [number, number] | undefined): [number, number] {
  let lift = 0;
  let echo = 0;
  let seen = false;
  for (const t of tokens) {
    const entry = lookup(t);
    if (!entry) continue;
    lift = seen ? Math.max(lift, entry[0]) : entry[0];
    echo = Math.max(echo, entry[1]);
    seen = true;
  }
  return [lift, echo];
}

/**
 * The feature rows of a timeline: one per bin of [0, durationMs), in FEATURES' order.
 * `salience[i]` belongs to `phrases[i]`, which must be sorted by end.
 */
export function featureRows(phrases: readonly PacingPhrase[], salience: readonly (readonly [number, number])[], lag: (t: number) => number, durationMs: number): number[][] {
  const ends = Float64Array.from(phrases, (p) => p.end_ms);
  const rows: number[][] = [];
  const bins = Math.ceil(durationMs / BIN_MS);
  for (let b = 0; b < bins; b++) {
    const t = b * BIN_MS + BIN_MS / 2;
    const tau = t - lag(t);
    rows.push(featuresAt(ends, salience, tau));
  }
  return rows;
}

/** Phrases further back than this (seconds) no longer move the rate. */
const REACH_BACK_S = 60;
/** The react kernel is cut off this far before u = 0 (3 widths). */
const REACH_AHEAD_S = 3 * KERNELS.react_width_s;

/** The features at streamer time τ (ms). */
export function featuresAt(ends: Float64Array, salience: readonly (readonly [number, number])[], tau: number): number[] {
  const from = lowerBound(ends, tau - REACH_BACK_S * 1000);
  // Phrase ends are whole milliseconds: the ends ≤ x are those < floor(x) + 1.
  const to = lowerBound(ends, Math.floor(tau + REACH_AHEAD_S * 1000) + 1);
  const x = [0, 0, 0, 0, 0];
  for (let p = from; p < to; p++) {
    const u = (tau - (ends[p] as number)) / 1000;
    const react = Math.exp(-(u * u) / (2 * KERNELS.react_width_s ** 2));
    const [lift, echo] = salience[p] ?? [0, 0];
    x[0]! += react;
    if (u > 0) x[1]! += Math.exp(-u / KERNELS.linger_s);
    x[2]! += lift * react;
    x[3]! += echo * react;
    if (u > 0 && u <= KERNELS.density_window_s) x[4]! += 0.1;
  }
  return x;
}

/** Slopes in FEATURES' order, intercept first, from a model's named coefficients. */
export function betaOf(model: Pick<PacingModel, 'coefficients'>): number[] {
  return [model.coefficients.intercept ?? 0, ...FEATURES.map((f) => model.coefficients[f.name] ?? 0)];
}

/**
 * Messages per bin the model expects over a transcript's phrases.
 *
 * @example
 * const rates = expectedRates(model, phrases, 600_000, { rateScale: 1 });
 * rates.reduce((a, b) => a + b, 0); // expected messages in 10 minutes
 */
export function expectedRates(model: PacingModel, phrases: readonly PacingPhrase[], durationMs: number, options: { rateScale?: number; lagMs?: number } = {}): number[] {
  const words = model.lexicon.words;
  const salience = phrases.map((p) => phraseSalience(p.tokens, (t) => (Object.hasOwn(words, t) ? words[t] : undefined)));
  const lagMs = options.lagMs ?? model.lag_ms;
  const rows = featureRows(phrases, salience, () => lagMs, durationMs);
  const beta = betaOf(model);
  const offset = Math.log(Math.max(model.base_rate_per_s * (options.rateScale ?? 1) * (model.bin_ms / 1000), 1e-12));
  return rows.map((row) => predictRate(beta, row, offset));
}
