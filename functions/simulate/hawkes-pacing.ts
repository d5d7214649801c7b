import { z } from 'zod';
import { MARKS } from './chat-events.ts';
import { pearson } from './fit-pacing.ts';
import {
  assertStationary,
  expectedWindowCounts,
  fitHawkesEm,
  hawkesLoglik,
  hawkesStats,
  type Baseline,
  type EventSequence,
  type HawkesParams,
} from './hawkes-process.ts';
import { expectedRates, PacingModel, type PacingPhrase } from './pacing-model.ts';

/**
 * Pacing, version 2: chat excites itself. A marked Hawkes process (hawkes-process.ts) over chat's
 * own messages, on top of a background rate that is constant, or follows the streamer's speech
 * (today's speech model, `dougpt-pacing/1`, as the baseline's shape). Everything below is a pure
 * function of its inputs; `pacing-chat-files.ts` reads and writes the files.
 */
export const PACING_V2_VERSION = 'dougpt-pacing/2';
/** Kernel time scales (1/β): a reply burst, a wave, a topic, the stream's mood. */
export const DEFAULT_SCALES_S = [2, 10, 60, 300] as const;
/** Windows the expected and observed counts are compared on. */
export const WINDOW_S = 10;
/** Lag used to attribute simulated messages to the phrase they answer when no speech model says. */
export const DEFAULT_LAG_MS = 5000;

const Figures = z.object({
  /** Log-likelihood of the arrival times per second of the window (point process, conditioned on the file's past). */
  loglik_per_s: z.number(),
  /** Mean absolute error of the expected count per 10 s window (given everything before it) against the count seen. */
  mae_10s: z.number(),
  /** Pearson correlation of those counts; null for a constant prediction. */
  corr_10s: z.number().nullable(),
});
export type PacingFigures = z.infer<typeof Figures>;

export const PacingScore = z.object({
  seconds: z.number(),
  messages: z.number().int(),
  model: Figures,
  /** The rate fitted on the fit data: what a user without the model has. */
  constant: Figures,
  /** The scored window's own mean rate (knows the answer's total). */
  constant_oracle: Figures,
});
export type PacingScore = z.infer<typeof PacingScore>;

/**
 * A held-out evaluation stored in the model file (the pipeline's `gold/adapters/<run_id>/pacing.json`):
 * the `pacing score` figures of a model fitted on the first part of each stream, scored on the rest.
 */
export const PacingEvaluation = PacingScore.extend({
  holdout: z.string(),
  streams: z.number().int().positive(),
});
export type PacingEvaluation = z.infer<typeof PacingEvaluation>;

const MarkName = z.enum(MARKS);

export const HawkesPacingModel = z
  .object({
    version: z.literal(PACING_V2_VERSION),
    model: z.literal('marked-hawkes'),
    marks: z.array(MarkName),
    /** Share of each mark among the fit's messages: new messages draw their kind from it. */
    mark_shares: z.array(z.number().nonnegative()),
    kernel: z.object({ scales_s: z.array(z.number().positive()).min(1) }),
    /** Background messages per second (× the speech shape with a speech baseline). */
    mu_per_s: z.number().nonnegative(),
    /** Per mark: children per message through each kernel component. */
    alpha: z.record(MarkName, z.array(z.number().nonnegative())),
    /** Expected children per message, Σ share × Σ alpha: < 1 (stationary). */
    branching_ratio: z.number().nonnegative().lt(1),
    /** The unconstrained fit went past the limit and was scaled down to it. */
    clipped: z.boolean(),
    baseline: z.discriminatedUnion('kind', [z.object({ kind: z.literal('constant') }), z.object({ kind: z.literal('speech'), pacing: PacingModel })]),
    lag_ms: z.number().int(),
    /** Mean rate of the fit data: the `constant` reference of `pacing score`. */
    constant_rate_per_s: z.number().nonnegative(),
    training: z.object({
      streams: z.array(z.object({ source: z.string(), messages: z.number().int(), seconds: z.number(), from_s: z.number(), to_s: z.number(), spread: z.boolean() })),
      messages: z.number().int(),
      seconds: z.number(),
      iterations: z.number().int(),
      converged: z.boolean(),
      loglik_per_s: z.number(),
      constant_loglik_per_s: z.number(),
    }),
    /** Chat files (`pacing fit --chat`), or the lake's chat of a VOD with the alignment used (a training run's). */
    sources: z.array(z.object({ path: z.string(), sha256: z.string(), vod_id: z.string().optional(), align_id: z.string().optional() })),
    /** Held-out figures against the constants (files fitted by `pacing fit` have none: `pacing score` computes them). */
    evaluation: PacingEvaluation.nullable().optional(),
    created_at: z.string(),
  })
  .superRefine((m, ctx) => {
    if (m.marks.join() !== MARKS.join()) ctx.addIssue({ code: 'custom', path: ['marks'], message: `must be ${MARKS.join(', ')}` });
    if (m.mark_shares.length !== MARKS.length) ctx.addIssue({ code: 'custom', path: ['mark_shares'], message: `one share per mark (${MARKS.length})` });
    for (const mark of MARKS) {
      if (m.alpha[mark]?.length !== m.kernel.scales_s.length) ctx.addIssue({ code: 'custom', path: ['alpha', mark], message: 'one value per kernel scale' });
    }
    try {
      assertStationary(MARKS.map((mark) => m.alpha[mark] ?? []), m.mark_shares);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['alpha'], message: (error as Error).message });
    }
  });
export type HawkesPacingModel = z.infer<typeof HawkesPacingModel>;

/** A stream as the fit and the score see it: marked messages and the window observed. */
export interface PacingStream extends EventSequence {
  source: string;
  spread: boolean;
}

/** The process parameters of a model file. */
export function hawkesParamsOf(model: HawkesPacingModel): HawkesParams {
  return { mu: model.mu_per_s, decays: model.kernel.scales_s.map((s) => 1 / s), alpha: MARKS.map((m) => model.alpha[m] as number[]) };
}

/**
 * The speech model's rate as a baseline shape (mean ≈ 1): per second, exp(β·x) of `dougpt-pacing/1`
 * over the streamer's phrases, lag applied. The Hawkes fit scales it by μ.
 */
export function speechBaseline(speech: PacingModel, phrases: readonly PacingPhrase[], durationMs: number): Baseline {
  const perBin = Math.max(speech.base_rate_per_s * (speech.bin_ms / 1000), 1e-12);
  return { origin: 0, step: speech.bin_ms / 1000, values: expectedRates(speech, phrases, durationMs).map((r) => r / perBin) };
}

export interface FitHawkesPacingOptions {
  scalesS?: readonly number[];
  maxBranching?: number;
  speech?: PacingModel | null;
  sources?: HawkesPacingModel['sources'];
  now?: () => Date;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function messagesIn(s: EventSequence): number {
  return s.events.filter((e) => e.t >= s.from && e.t < s.to).length;
}

/**
 * Fits the marked Hawkes pacing model to streams by EM (decays fixed to the scales' grid).
 *
 * @example
 * const model = fitHawkesPacing([{ source: 'a.txt', events, from: 0, to: 900, spread: false }]);
 * model.branching_ratio; // < 1
 */
export function fitHawkesPacing(streams: readonly PacingStream[], options: FitHawkesPacingOptions = {}): HawkesPacingModel {
  if (streams.length === 0) throw new Error('pacing: no chat to fit');
  const scales = [...(options.scalesS ?? DEFAULT_SCALES_S)];
  const stats = hawkesStats(streams, MARKS.length, scales.map((s) => 1 / s));
  if (stats.n === 0) throw new Error('pacing: the chat has no audience messages in the fit window');
  const fit = fitHawkesEm(stats, options.maxBranching === undefined ? {} : { maxBranching: options.maxBranching });
  const rate = stats.n / stats.seconds;
  const constantLoglik = stats.n * Math.log(rate) - rate * stats.seconds;
  const speech = options.speech ?? null;
  return {
    version: PACING_V2_VERSION,
    model: 'marked-hawkes',
    marks: [...MARKS],
    mark_shares: fit.shares.map((s) => round(s, 6)),
    kernel: { scales_s: scales },
    mu_per_s: fit.params.mu,
    alpha: Object.fromEntries(MARKS.map((m, i) => [m, [...(fit.params.alpha[i] as number[])]])) as HawkesPacingModel['alpha'],
    branching_ratio: fit.branchingRatio,
    clipped: fit.clipped,
    baseline: speech ? { kind: 'speech', pacing: speech } : { kind: 'constant' },
    lag_ms: speech ? speech.lag_ms : DEFAULT_LAG_MS,
    constant_rate_per_s: rate,
    training: {
      streams: streams.map((s) => ({ source: s.source, messages: messagesIn(s), seconds: round(s.to - s.from, 3), from_s: round(s.from, 3), to_s: round(s.to, 3), spread: s.spread })),
      messages: stats.n,
      seconds: round(stats.seconds, 3),
      iterations: fit.iterations,
      converged: fit.converged,
      loglik_per_s: round(fit.loglik / stats.seconds, 4),
      constant_loglik_per_s: round(constantLoglik / stats.seconds, 4),
    },
    sources: options.sources ?? [],
    created_at: (options.now ?? (() => new Date()))().toISOString(),
  };
}

/** Figures of any per-window prediction (and the log-likelihood it comes with). */
function figuresOf(loglik: number, seconds: number, expected: readonly number[], observed: readonly number[]): PacingFigures {
  const mae = expected.reduce((s, e, i) => s + Math.abs(e - (observed[i] as number)), 0) / Math.max(1, expected.length);
  const corr = pearson(expected, observed);
  return { loglik_per_s: round(loglik / seconds, 4), mae_10s: round(mae, 3), corr_10s: corr === null ? null : round(corr, 4) };
}

/** A constant rate's figures on a window: N·log r − r·T, and r·10 s per window. */
export function constantFigures(rate: number, seconds: number, messages: number, observed: readonly number[]): PacingFigures {
  const r = Math.max(rate, 1e-12);
  return figuresOf(messages * Math.log(r) - r * seconds, seconds, observed.map(() => r * WINDOW_S), observed);
}

/** One stream's part of a score: its log-likelihood and its whole 10 s windows. */
interface StreamScore {
  loglik: number;
  seconds: number;
  messages: number;
  expected: number[];
  observed: number[];
}

function scoreStream(model: HawkesPacingModel, params: HawkesParams, stream: EventSequence): StreamScore | null {
  const windows = expectedWindowCounts(params, model.mark_shares, stream, WINDOW_S);
  if (windows.starts.length === 0) return null;
  const window = { ...stream, to: stream.from + windows.starts.length * WINDOW_S };
  return {
    loglik: hawkesLoglik(params, hawkesStats([window], MARKS.length, params.decays)),
    seconds: window.to - window.from,
    messages: messagesIn(window),
    expected: windows.expected,
    observed: windows.observed,
  };
}

/**
 * Scores a model on a stream's window [from, to): the model conditions on every message before each
 * arrival (the window's own included, as a point process does) for the log-likelihood, and on every
 * message before each 10 s window for its expected count; against the fit data's constant rate and
 * the window's own mean rate. Windows are the whole 10 s windows from `from`.
 *
 * @example
 * scoreHawkesPacing(model, stream).model.loglik_per_s;
 */
export function scoreHawkesPacing(model: HawkesPacingModel, stream: EventSequence): PacingScore {
  return scoreHawkesPacingStreams(model, [stream]);
}

/**
 * `scoreHawkesPacing` over several streams' windows pooled: log-likelihoods summed over the scored
 * seconds, the 10 s windows of every stream compared together. `constant_oracle` is each stream's
 * own mean rate over its window (with one stream, exactly `scoreHawkesPacing`'s). Streams shorter
 * than one window are left out; none left is an error.
 *
 * @example
 * scoreHawkesPacingStreams(model, [a, b]).model.mae_10s;
 */
export function scoreHawkesPacingStreams(model: HawkesPacingModel, streams: readonly EventSequence[]): PacingScore {
  const params = hawkesParamsOf(model);
  const scored = streams.map((s) => scoreStream(model, params, s)).filter((s): s is StreamScore => s !== null);
  if (scored.length === 0) {
    const longest = Math.max(0, ...streams.map((s) => s.to - s.from));
    throw new Error(`pacing: the scored window (${longest.toFixed(1)} s) is shorter than one ${WINDOW_S} s window`);
  }
  const sum = (f: (s: StreamScore) => number) => scored.reduce((acc, s) => acc + f(s), 0);
  const seconds = sum((s) => s.seconds);
  const messages = sum((s) => s.messages);
  const observed = scored.flatMap((s) => s.observed);
  const oracleLoglik = sum((s) => {
    const r = Math.max(s.messages / s.seconds, 1e-12);
    return s.messages * Math.log(r) - r * s.seconds;
  });
  return {
    seconds: round(seconds, 3),
    messages,
    model: figuresOf(sum((s) => s.loglik), seconds, scored.flatMap((s) => s.expected), observed),
    constant: constantFigures(model.constant_rate_per_s, seconds, messages, observed),
    constant_oracle: figuresOf(oracleLoglik, seconds, scored.flatMap((s) => s.observed.map(() => (s.messages / s.seconds) * WINDOW_S)), observed),
  };
}
