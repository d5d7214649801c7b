import type { LagSegment } from './estimate-lag.ts';
import type { LagVotes } from './lag-votes.ts';

/**
 * How a reaction's own lag spreads around its segment's lag (reaction time, typing time, offset
 * quantisation), learnt from the echo votes of this VOD: a histogram of `vote lag − segment lag`,
 * less its flat background (chance echoes), scaled to a peak of 1. Pairing uses it as the time prior.
 */
export interface LagPrior {
  /** Relative lag of bin 0. */
  fromMs: number;
  binMs: number;
  /** Density per bin, peak 1. */
  density: Float64Array;
  /** Relative lags outside [lowMs, highMs] are not plausible reactions. */
  lowMs: number;
  highMs: number;
}

const RANGE_MS = 10_000;
const BIN_MS = 100;
const FLOOR = 0.02;
/** Below this many echo votes in total the learnt shape is noise; use a generic one. */
const MIN_VOTES = 40;

/**
 * @example
 * const prior = learnLagPrior(votes, segments);
 * priorAt(prior, 800); // plausibility of reacting 0.8 s later than the segment lag, 0..1
 */
export function learnLagPrior(votes: LagVotes, segments: readonly LagSegment[], quantumMs: number): LagPrior {
  const n = Math.round((2 * RANGE_MS) / BIN_MS) + 1;
  const hist = new Float64Array(n);
  let s = 0;
  let count = 0;
  for (let i = 0; i < votes.echoT.length; i++) {
    const t = votes.echoT[i] as number;
    while (s + 1 < segments.length && t >= (segments[s] as LagSegment).to_ms) s++;
    const seg = segments[s] as LagSegment;
    if (seg.method !== 'echo') continue;
    const rel = (votes.echoLag[i] as number) - seg.lag_ms;
    const k = Math.round((rel + RANGE_MS) / BIN_MS);
    if (k < 0 || k >= n) continue;
    hist[k] += votes.echoW[i] as number;
    count++;
  }
  if (count < MIN_VOTES) return genericPrior(quantumMs);
  const smooth = boxSmooth(hist, 5);
  const background = quantile(smooth, 0.5);
  let max = 0;
  for (let k = 0; k < n; k++) {
    smooth[k] = Math.max(0, (smooth[k] as number) - background);
    max = Math.max(max, smooth[k] as number);
  }
  if (max === 0) return genericPrior(quantumMs);
  for (let k = 0; k < n; k++) smooth[k] = (smooth[k] as number) / max;
  // The plausible range is the contiguous run around the peak above 5% of it.
  let peak = 0;
  for (let k = 0; k < n; k++) if ((smooth[k] as number) === 1) peak = k;
  let lo = peak;
  let hi = peak;
  while (lo > 0 && (smooth[lo - 1] as number) > 0.05) lo--;
  while (hi < n - 1 && (smooth[hi + 1] as number) > 0.05) hi++;
  const margin = Math.max(1_000, quantumMs);
  return {
    fromMs: -RANGE_MS,
    binMs: BIN_MS,
    density: smooth,
    lowMs: -RANGE_MS + lo * BIN_MS - margin,
    highMs: -RANGE_MS + hi * BIN_MS + margin,
  };
}

/** A bell around the segment lag, widened by the offset quantum, for VODs with too few echoes. */
function genericPrior(quantumMs: number): LagPrior {
  const n = Math.round((2 * RANGE_MS) / BIN_MS) + 1;
  const density = new Float64Array(n);
  const sigma = 1_500 + quantumMs / 2;
  for (let k = 0; k < n; k++) {
    const rel = -RANGE_MS + k * BIN_MS;
    density[k] = Math.exp(-0.5 * (rel / sigma) ** 2);
  }
  return { fromMs: -RANGE_MS, binMs: BIN_MS, density, lowMs: -2.5 * sigma, highMs: 2.5 * sigma };
}

/** Plausibility (FLOOR..1) of a reaction whose lag is `relMs` away from its segment's lag. */
export function priorAt(prior: LagPrior, relMs: number): number {
  if (relMs < prior.lowMs || relMs > prior.highMs) return 0;
  const k = Math.round((relMs - prior.fromMs) / prior.binMs);
  const d = k >= 0 && k < prior.density.length ? (prior.density[k] as number) : 0;
  return Math.max(FLOOR, d);
}

function boxSmooth(hist: Float64Array, half: number): Float64Array {
  const out = new Float64Array(hist.length);
  for (let k = 0; k < hist.length; k++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, k - half); j <= Math.min(hist.length - 1, k + half); j++) {
      s += hist[j] as number;
      c++;
    }
    out[k] = s / c;
  }
  return out;
}

function quantile(a: Float64Array, q: number): number {
  const s = Array.from(a).sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}
