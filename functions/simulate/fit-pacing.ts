import { createHash } from 'node:crypto';
import { BIN_MS, FEATURES, featureRows, KERNELS, lagAt, PACING_VERSION, phraseSalience, type Figures, type PacingModel } from './pacing-model.ts';
import type { PacingVod } from './pacing-data.ts';
import { fitPoisson, poissonLoglik, predictRate } from './poisson-regression.ts';

/** Held-out blocks: the dataset's block shape (30 s blocks, 2 of every 10 held out), drawn by our own hash. */
export const HOLDOUT = { rule: 'pacing-holdout/1', block_ms: 30_000, cycle_blocks: 10 } as const;
const WINDOW_MS = 10_000;
/** Pseudo-phrases of average reactions every word's figures are shrunk toward. */
const PRIOR_PHRASES = 3;
/** Words kept in pacing.json: the most frequent, seen in at least two lines. */
const MAX_WORDS = 5000;

/** Whether block `block` of a VOD is held out (deterministic in the VOD id). */
export function isHeldOut(vodId: string, block: number): boolean {
  const cycle = Math.floor(block / HOLDOUT.cycle_blocks);
  const h = createHash('sha256').update(`${HOLDOUT.rule}|${vodId}|${cycle}`).digest();
  const first = (h[0] as number) % HOLDOUT.cycle_blocks;
  const second = (first + 1 + ((h[1] as number) % (HOLDOUT.cycle_blocks - 1))) % HOLDOUT.cycle_blocks;
  const pos = block % HOLDOUT.cycle_blocks;
  return pos === first || pos === second;
}

interface WordCounts {
  /** Lines that say the word, the reactions they drew, and how many of those repeat it. */
  n: number;
  m: number;
  e: number;
}

interface Lexicon {
  counts: Map<string, WordCounts>;
  meanReactions: number;
  meanEcho: number;
}

function buildLexicon(vods: readonly PacingVod[], use: (v: number, i: number) => boolean): Lexicon {
  const counts = new Map<string, WordCounts>();
  let phrases = 0;
  let reactions = 0;
  let echoes = 0;
  let tokenReactions = 0;
  vods.forEach((vod, v) =>
    vod.phrases.forEach((phrase, i) => {
      if (!use(v, i)) return;
      const r = vod.reactions[i] as number;
      phrases++;
      reactions += r;
      for (const t of phrase.tokens) {
        const e = vod.echoes[i]?.get(t) ?? 0;
        const c = counts.get(t) ?? { n: 0, m: 0, e: 0 };
        c.n++;
        c.m += r;
        c.e += e;
        counts.set(t, c);
        echoes += e;
        tokenReactions += r;
      }
    }),
  );
  return { counts, meanReactions: phrases ? reactions / phrases : 0, meanEcho: tokenReactions ? echoes / tokenReactions : 0 };
}

/** [lift, echo] of a word from counts, shrunk toward the average line. */
function wordFigures(c: WordCounts, lex: Lexicon): [number, number] {
  const r = lex.meanReactions;
  if (r <= 0 || c.n <= 0) return [0, lex.meanEcho];
  const prior = PRIOR_PHRASES * r;
  return [Math.log((c.m + prior) / ((c.n + PRIOR_PHRASES) * r)), (c.e + prior * lex.meanEcho) / (c.m + prior)];
}

/** Salience of each line; a line in the lexicon's own counts is left out of them (leave-one-out), so it cannot predict itself. */
function salienceOf(vod: PacingVod, lex: Lexicon, own: (i: number) => boolean): [number, number][] {
  return vod.phrases.map((phrase, i) => {
    const self = own(i);
    return phraseSalience(phrase.tokens, (t) => {
      const c = lex.counts.get(t);
      if (!c) return undefined;
      if (!self) return wordFigures(c, lex);
      const left = { n: c.n - 1, m: c.m - (vod.reactions[i] as number), e: c.e - (vod.echoes[i]?.get(t) ?? 0) };
      return left.n > 0 ? wordFigures(left, lex) : undefined;
    });
  });
}

interface Design {
  vod: number;
  t: number;
  x: number[];
  y: number;
  offset: number;
  train: boolean;
}

/** Every bin of every VOD with its features, count and base-rate offset; lexicon and base rates from training bins only. */
function design(vods: readonly PacingVod[], holdout: boolean): { rows: Design[]; lex: Lexicon; baseRates: number[] } {
  const trainBin = (v: number, t: number) => !holdout || !isHeldOut((vods[v] as PacingVod).vod_id, Math.floor(t / HOLDOUT.block_ms));
  const phraseTrain = (v: number, i: number) => {
    const vod = vods[v] as PacingVod;
    const end = (vod.phrases[i] as { end_ms: number }).end_ms;
    return trainBin(v, end + lagAt(vod.lag, end, vod.lag_ms));
  };
  const lex = buildLexicon(vods, phraseTrain);
  const rows: Design[] = [];
  const baseRates: number[] = [];
  vods.forEach((vod, v) => {
    const bins = Math.ceil(vod.duration_ms / BIN_MS);
    const counts = new Array<number>(bins).fill(0);
    for (const t of vod.messages) if (t >= 0 && t < bins * BIN_MS) counts[Math.floor(t / BIN_MS)]!++;
    let trainMessages = 0;
    let trainBins = 0;
    for (let b = 0; b < bins; b++) {
      if (!trainBin(v, b * BIN_MS)) continue;
      trainBins++;
      trainMessages += counts[b] as number;
    }
    const base = trainBins > 0 ? trainMessages / ((trainBins * BIN_MS) / 1000) : 0;
    baseRates.push(base);
    const salience = salienceOf(vod, lex, (i) => phraseTrain(v, i));
    const x = featureRows(vod.phrases, salience, (t) => lagAt(vod.lag, t, vod.lag_ms), vod.duration_ms);
    const offset = Math.log(Math.max(base * (BIN_MS / 1000), 1e-9));
    for (let b = 0; b < bins; b++) rows.push({ vod: v, t: b * BIN_MS, x: x[b] as number[], y: counts[b] as number, offset, train: trainBin(v, b * BIN_MS) });
  });
  return { rows, lex, baseRates };
}

/** Pearson correlation; null when either side is constant. */
export function pearson(a: readonly number[], b: readonly number[]): number | null {
  const n = a.length;
  if (n < 2) return null;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 1e-12 && sbb > 1e-12 ? sab / Math.sqrt(saa * sbb) : null;
}

function figures(rows: readonly Design[], predicted: readonly number[]): Figures {
  const windows = new Map<string, { real: number; predicted: number }>();
  rows.forEach((row, i) => {
    const key = `${row.vod}:${Math.floor(row.t / WINDOW_MS)}`;
    const w = windows.get(key) ?? { real: 0, predicted: 0 };
    w.real += row.y;
    w.predicted += predicted[i] as number;
    windows.set(key, w);
  });
  const list = [...windows.values()];
  const mae = list.reduce((s, w) => s + Math.abs(w.real - w.predicted), 0) / Math.max(1, list.length);
  const corr = pearson(
    list.map((w) => w.predicted),
    list.map((w) => w.real),
  );
  return {
    windows: list.length,
    corr: corr === null ? null : round(corr, 4),
    mae: round(mae, 3),
    loglik_per_bin: round(poissonLoglik(rows.map((r) => r.y), predicted) / Math.max(1, rows.length), 4),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Duration-weighted median of the lag segments (a VOD without segments counts with its own lag). */
function typicalLag(vods: readonly PacingVod[]): number {
  const parts: { lag: number; weight: number }[] = [];
  for (const vod of vods) {
    if (vod.lag.length === 0) parts.push({ lag: vod.lag_ms, weight: vod.duration_ms });
    for (const s of vod.lag) parts.push({ lag: s.lag_ms, weight: Math.max(1, s.to_ms - s.from_ms) });
  }
  parts.sort((a, b) => a.lag - b.lag);
  const total = parts.reduce((s, p) => s + p.weight, 0);
  let acc = 0;
  for (const p of parts) {
    acc += p.weight;
    if (acc >= total / 2) return Math.round(p.lag);
  }
  return 5000;
}

export interface FitPacingOptions {
  /** Hold out blocks to measure the model against the constant rate (default true). */
  evaluate?: boolean;
  sources?: PacingModel['sources'];
  now?: () => Date;
}

/**
 * Fits the pacing model to VODs: first on the training blocks alone, scored on the held-out blocks
 * against the constant rate (each VOD's mean), then on everything for the stored coefficients.
 *
 * @example
 * const model = fitPacingModel([pacingVodFromAlign(file)]);
 * model.evaluation?.model.corr; // held-out correlation per 10 s
 */
export function fitPacingModel(vods: readonly PacingVod[], options: FitPacingOptions = {}): PacingModel {
  if (vods.length === 0) throw new Error('pacing: no VODs to fit');
  const totalMessages = vods.reduce((s, v) => s + v.messages.length, 0);
  if (totalMessages === 0) throw new Error('pacing: the VODs have no chat messages');

  let evaluation: PacingModel['evaluation'] = null;
  if (options.evaluate !== false) {
    const split = design(vods, true);
    const train = split.rows.filter((r) => r.train);
    const held = split.rows.filter((r) => !r.train);
    if (held.length > 0 && train.length > 0) {
      const fit = fitPoisson({ x: train.map((r) => r.x), y: train.map((r) => r.y), offset: train.map((r) => r.offset) });
      evaluation = {
        holdout: `${HOLDOUT.rule}: ${HOLDOUT.block_ms / 1000} s blocks, 2 of every ${HOLDOUT.cycle_blocks} held out per VOD; compared per 10 s`,
        model: figures(held, held.map((r) => predictRate(fit.beta, r.x, r.offset))),
        constant: figures(held, held.map((r) => Math.exp(r.offset))),
      };
    }
  }

  const all = design(vods, false);
  const fit = fitPoisson({ x: all.rows.map((r) => r.x), y: all.rows.map((r) => r.y), offset: all.rows.map((r) => r.offset) });
  const words: Record<string, [number, number]> = {};
  const kept = [...all.lex.counts.entries()].filter(([, c]) => c.n >= 2).sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_WORDS);
  for (const [word, c] of kept.sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const [lift, echo] = wordFigures(c, all.lex);
    words[word] = [round(lift, 4), round(echo, 4)];
  }
  const totalSeconds = vods.reduce((s, v) => s + v.duration_ms / 1000, 0);
  return {
    version: PACING_VERSION,
    model: 'poisson-log-linear',
    bin_ms: BIN_MS,
    kernels: { ...KERNELS },
    features: FEATURES.map((f) => ({ name: f.name, description: f.description })),
    coefficients: Object.fromEntries([['intercept', round(fit.beta[0] as number, 6)], ...FEATURES.map((f, j) => [f.name, round(fit.beta[j + 1] as number, 6)])]),
    base_rate_per_s: round(totalMessages / totalSeconds, 6),
    lag_ms: typicalLag(vods),
    lexicon: { prior_phrases: PRIOR_PHRASES, mean_reactions_per_phrase: round(all.lex.meanReactions, 4), mean_echo_share: round(all.lex.meanEcho, 4), words },
    training: {
      vods: vods.map((v, i) => ({
        vod_id: v.vod_id,
        duration_ms: v.duration_ms,
        messages: v.messages.length,
        phrases: v.phrases.length,
        base_rate_per_s: round(all.baseRates[i] as number, 6),
        lag_ms: typicalLag([v]),
      })),
      bins: all.rows.length,
      iterations: fit.iterations,
      converged: fit.converged,
      loglik_per_bin: round(fit.loglik / all.rows.length, 4),
      constant_loglik_per_bin: round(fit.loglikOffsetOnly / all.rows.length, 4),
    },
    evaluation,
    sources: options.sources ?? vods.map((v) => ({ path: null, sha256: null, vod_id: v.vod_id })),
    created_at: (options.now ?? (() => new Date()))().toISOString(),
  };
}
