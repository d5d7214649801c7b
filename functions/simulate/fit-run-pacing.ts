import { fitPacingModel } from './fit-pacing.ts';
import {
  fitHawkesPacing,
  scoreHawkesPacingStreams,
  speechBaseline,
  WINDOW_S,
  type HawkesPacingModel,
  type PacingEvaluation,
  type PacingStream,
} from './hawkes-pacing.ts';
import type { MarkedEvent } from './hawkes-process.ts';
import { alignBefore, pacingVodFromAlign, type AlignFileForPacing, type PacingVod } from './pacing-data.ts';
import type { PacingModel, PacingPhrase } from './pacing-model.ts';

/** Share of each VOD's chat span the held-out evaluation fits on; the rest is scored (as `pacing fit --until` / `score --from`). */
export const RUN_PACING_FIT_SHARE = 0.7;

/** One VOD of a training run's dataset, as the pipeline's pacing fit reads it from the lake. */
export interface RunPacingVod {
  vod_id: string;
  align_id: string;
  /** Checksum of the chat file the alignment used (silver.chat_messages' `chat_sha256`). */
  chat_sha256: string;
  /** Audience messages on the chat timeline (`chatEvents` of the VOD's chat messages), ascending. */
  events: readonly MarkedEvent[];
  /** Whether whole-second offsets were spread across their second. */
  spread: boolean;
  /** The alignment (gold.pairs, silver.chat_offsets): the speech model's training data. */
  align: AlignFileForPacing;
  /** The transcript's phrases: the speech background when scoring (as `pacing score --transcript`); null scores with the align file's lines. */
  phrases: readonly PacingPhrase[] | null;
}

export interface FitRunPacingOptions {
  fitShare?: number;
  now?: () => Date;
}

/** Where the chat of a VOD starts and ends: first message's whole second to one second after the last (`readPacingChat`'s span). */
function spanOf(vod: RunPacingVod): { start: number; end: number } {
  return { start: Math.floor((vod.events[0] as MarkedEvent).t), end: (vod.events[vod.events.length - 1] as MarkedEvent).t + 1 };
}

/**
 * The speech model of the alignments (each cut before its stream's end) and each stream's speech
 * background; null (a constant background) when the alignments hold no audience message.
 */
function withSpeech(vods: readonly RunPacingVod[], streams: PacingStream[], now: () => Date): { speech: PacingModel | null; aligned: PacingVod[] } {
  const aligned = vods.map((v, i) => pacingVodFromAlign(alignBefore(v.align, (streams[i] as PacingStream).to * 1000)));
  if (aligned.every((v) => v.messages.length === 0)) return { speech: null, aligned };
  const speech = fitPacingModel(aligned, {
    evaluate: false,
    sources: vods.map((v) => ({ path: null, sha256: null, vod_id: v.vod_id, align_id: v.align_id })),
    now,
  });
  streams.forEach((s, i) => {
    s.baseline = speechBaseline(speech, (aligned[i] as PacingVod).phrases, Math.ceil(s.to * 1000));
  });
  return { speech, aligned };
}

function fitOn(vods: readonly RunPacingVod[], until: number, now: () => Date): { model: HawkesPacingModel; aligned: PacingVod[] } {
  const streams: PacingStream[] = vods.map((v) => {
    const { start, end } = spanOf(v);
    return { source: `${v.vod_id}/${v.align_id}`, events: v.events, from: start, to: start + until * (end - start), spread: v.spread };
  });
  const { speech, aligned } = withSpeech(vods, streams, now);
  const model = fitHawkesPacing(streams, {
    speech,
    sources: vods.map((v) => ({ path: 'silver.chat_messages', sha256: v.chat_sha256, vod_id: v.vod_id, align_id: v.align_id })),
    now,
  });
  return { model, aligned };
}

/**
 * The held-out evaluation: fitted on the first `fitShare` of each VOD's chat span, scored on the rest
 * with every earlier message as history and the transcript's phrases as the speech background, as
 * `pacing fit --until` and `pacing score --from --transcript` do; the VODs' 10 s windows pooled.
 * Null when no VOD has a whole 10 s window to score or its fit span no message.
 */
function evaluate(vods: readonly RunPacingVod[], fitShare: number, now: () => Date): PacingEvaluation | null {
  const cuts = vods.map((v) => {
    const { start, end } = spanOf(v);
    return { start, end, cut: start + fitShare * (end - start) };
  });
  if (!cuts.some((c) => c.end - c.cut >= WINDOW_S)) return null;
  if (!vods.some((v, i) => v.events.some((e) => e.t < (cuts[i] as { cut: number }).cut))) return null;
  const { model, aligned } = fitOn(vods, fitShare, now);
  const scored = vods.map((v, i) => {
    const { end, cut } = cuts[i] as { end: number; cut: number };
    const phrases = v.phrases ?? (aligned[i] as PacingVod).phrases;
    const baseline = model.baseline.kind === 'speech' ? speechBaseline(model.baseline.pacing, phrases, Math.ceil(end * 1000)) : null;
    return { events: v.events, from: cut, to: end, baseline };
  });
  const score = scoreHawkesPacingStreams(model, scored);
  const percent = Math.round(fitShare * 100);
  return {
    holdout: `fitted on the first ${percent} % of each VOD's chat span, scored on the last ${100 - percent} % with every earlier message as history; compared per ${WINDOW_S} s`,
    streams: scored.filter((s) => s.to - s.from >= WINDOW_S).length,
    ...score,
  };
}

/**
 * The `dougpt-pacing/2` model a training run stores beside its adapter: a marked Hawkes process over
 * the dataset's VODs' chat with the speech model of their alignments as its background, fitted on all
 * of it, with the held-out evaluation of the same fit on each VOD's first 70 % (against the constant
 * rate of the fit data and each scored window's own mean rate). Pure and deterministic given `now`.
 *
 * @example
 * const model = fitRunPacing([{ vod_id, align_id, chat_sha256, events, spread, align, phrases }]);
 * model.evaluation?.model.mae_10s; // against model.evaluation.constant.mae_10s
 */
export function fitRunPacing(vods: readonly RunPacingVod[], options: FitRunPacingOptions = {}): HawkesPacingModel {
  const used = vods.filter((v) => v.events.length >= 2);
  if (used.length === 0) throw new Error('pacing: no VOD has two audience messages to learn a pace from');
  const now = options.now ?? (() => new Date());
  const evaluation = evaluate(used, options.fitShare ?? RUN_PACING_FIT_SHARE, now);
  const { model } = fitOn(used, 1, now);
  return { ...model, evaluation };
}

/**
 * One line of a stored evaluation's figures, model against the constant rate (and the oracle constant).
 *
 * @example
 * describePacingEvaluation(model.evaluation);
 * // 'held-out 90 s, 533 messages; model vs constant: loglik/s 4.944 vs 4.611 (oracle 4.612), MAE/10 s 13.71 vs 10.16 (oracle 10.03), corr -0.02'
 */
export function describePacingEvaluation(e: PacingEvaluation): string {
  const f = (v: number | null, d: number) => (v === null ? 'n/a' : v.toFixed(d));
  return (
    `held-out ${f(e.seconds, 0)} s, ${e.messages} messages; model vs constant: ` +
    `loglik/s ${f(e.model.loglik_per_s, 3)} vs ${f(e.constant.loglik_per_s, 3)} (oracle ${f(e.constant_oracle.loglik_per_s, 3)}), ` +
    `MAE/10 s ${f(e.model.mae_10s, 2)} vs ${f(e.constant.mae_10s, 2)} (oracle ${f(e.constant_oracle.mae_10s, 2)}), corr ${f(e.model.corr_10s, 2)}`
  );
}
