import type { LagVotes } from './lag-votes.ts';
import type { LagReason } from './pair.ts';
import { estimateRateLag } from './rate-lag.ts';

/**
 * Piecewise-constant chat lag from lag votes.
 *
 * 1. The timeline is cut into blocks; each block gets a histogram of vote lags (echo votes plus a
 *    faint share of rate votes).
 * 2. Dynamic programming picks the segmentation of blocks that maximises the summed peak mass of
 *    each segment's histogram minus a penalty per segment: a lag change shows up as mass that one
 *    peak cannot explain but two can. Peaks are taken over a 1 s box, so whole-second chat offsets
 *    (which smear votes over a second) still form one peak.
 * 3. Each boundary is then moved to the message where the split explains the votes best, segments
 *    whose lags barely differ are merged, and each segment's lag is refined to the mean of the votes
 *    under its peak.
 * 4. Each segment's echo lag is checked against the second estimator, chat bursts after phrase ends
 *    (rate-lag.ts). Agreeing, their confidences combine; disagreeing, the surer one wins at half its
 *    confidence; with neither, the segment says so (`reason`) instead of passing a guess off as a
 *    measurement.
 */
export interface LagOptions {
  minLagMs: number;
  maxLagMs: number;
  /** Used, with confidence 0, where no evidence exists. */
  defaultLagMs: number;
  /** Histogram resolution. */
  binMs: number;
  /** Width of the box a peak is measured over (≥ the chat offset quantum). */
  peakWidthMs: number;
  /** A segment must explain this many typical blocks' worth of peak mass to be split off. */
  penaltyBlocks: number;
  /** Adjacent segments closer than this in lag are one segment. */
  mergeMs: number;
}

export const DEFAULT_LAG_OPTIONS: LagOptions = {
  minLagMs: 0,
  maxLagMs: 30_000,
  defaultLagMs: 5_000,
  binMs: 100,
  peakWidthMs: 1_000,
  penaltyBlocks: 3,
  mergeMs: 750,
};

/** Weight of a rate vote relative to an echo vote. */
const RATE_WEIGHT = 0.25;
/** Fewer signal votes than this under a peak and the peak is not trusted. */
const MIN_SUPPORT = 4;

export type LagMethod = 'echo' | 'rate' | 'default';

/** Why a segment's lag is weak or not measured at all; null when the evidence is good. */

/** What the rate estimator needs: effective message times and phrase ends, both ascending. */
export interface RateEvidence {
  messageT: Float64Array;
  phraseEnds: Float64Array;
}

/** Echo and rate lags closer than this agree. */
const AGREE_MS = 1_500;
/** Rate confidence below this is no evidence. */
const MIN_RATE_CONFIDENCE = 0.15;
/** Combined confidence below this is reported as weak. */
const WEAK_BELOW = 0.2;

export interface LagSegment {
  from_ms: number;
  to_ms: number;
  lag_ms: number;
  confidence: number;
  method: LagMethod;
  /** Signal mass under the peak (votes above background). */
  support: number;
  reason: LagReason | null;
}

/**
 * Estimates lag segments covering [fromMs, toMs).
 *
 * @example
 * const segments = estimateLag(votes, 0, 3_600_000, DEFAULT_LAG_OPTIONS, { messageT, phraseEnds: index.ends });
 * segments[0].lag_ms; // e.g. 6200
 */
export function estimateLag(votes: LagVotes, fromMs: number, toMs: number, options: LagOptions, rate: RateEvidence = NO_RATE): LagSegment[] {
  const span = Math.max(1, toMs - fromMs);
  const blockMs = Math.max(15_000, Math.ceil(span / 400));
  const nBlocks = Math.max(1, Math.ceil(span / blockMs));
  const nBins = Math.max(1, Math.ceil((options.maxLagMs - options.minLagMs) / options.binMs) + 1);
  const box = Math.max(1, Math.round(options.peakWidthMs / options.binMs));
  const bin = (lag: number) => Math.min(nBins - 1, Math.max(0, Math.round((lag - options.minLagMs) / options.binMs)));
  const block = (t: number) => Math.min(nBlocks - 1, Math.max(0, Math.floor((t - fromMs) / blockMs)));

  // Prefix sums over blocks: cum[(b) * nBins + k] = mass of blocks < b in bin k.
  const cum = new Float64Array((nBlocks + 1) * nBins);
  const add = (t: Float64Array, lag: Float64Array, w: Float64Array, scale: number) => {
    for (let i = 0; i < t.length; i++) cum[(block(t[i] as number) + 1) * nBins + bin(lag[i] as number)] += (w[i] as number) * scale;
  };
  add(votes.echoT, votes.echoLag, votes.echoW, 1);
  add(votes.rateT, votes.rateLag, votes.rateW, RATE_WEIGHT);
  for (let b = 1; b <= nBlocks; b++) for (let k = 0; k < nBins; k++) cum[b * nBins + k] += cum[(b - 1) * nBins + k] as number;

  const diff = new Float64Array(nBins);
  const peakMass = (i: number, j: number): number => {
    for (let k = 0; k < nBins; k++) diff[k] = (cum[j * nBins + k] as number) - (cum[i * nBins + k] as number);
    return boxPeak(diff, box).mass;
  };

  const blockPeaks: number[] = [];
  let total = 0;
  for (let b = 0; b < nBlocks; b++) blockPeaks.push(peakMass(b, b + 1));
  total = peakMass(0, nBlocks);
  // Noise in a peak's mass is about √(Σ w²) of its votes, not √(Σ w): fuzzy and doubted echoes cast
  // many light votes, and counting them as whole ones would hide real lag changes.
  const penalty = Math.max(MIN_SUPPORT, options.penaltyBlocks * median(blockPeaks), 4 * Math.sqrt(total * meanWeight(votes)));

  // best[j] = best score of blocks [0, j); cut[j] = start of the last segment.
  const best = new Float64Array(nBlocks + 1).fill(-Infinity);
  const cut = new Int32Array(nBlocks + 1);
  best[0] = 0;
  for (let j = 1; j <= nBlocks; j++) {
    for (let i = 0; i < j; i++) {
      const s = (best[i] as number) + peakMass(i, j) - penalty;
      if (s > (best[j] as number)) {
        best[j] = s;
        cut[j] = i;
      }
    }
  }
  const blockCuts: number[] = [];
  for (let j = nBlocks; j > 0; j = cut[j] as number) blockCuts.unshift(j);
  blockCuts.unshift(0);

  // Coarse lag of each block segment, then boundaries refined at message resolution.
  let bounds = blockCuts.map((b) => (b === nBlocks ? toMs : fromMs + b * blockMs));
  let lags = segmentLags(votes, rate, bounds, options, nBins, box);
  bounds = refineBounds(votes, bounds, lags, blockMs, options.peakWidthMs);
  lags = segmentLags(votes, rate, bounds, options, nBins, box);
  ({ bounds, lags } = mergeClose(votes, rate, bounds, lags, options, nBins, box));

  const segments: LagSegment[] = [];
  for (let s = 0; s < lags.length; s++) {
    segments.push({ from_ms: bounds[s] as number, to_ms: bounds[s + 1] as number, ...(lags[s] as SegmentLag) });
  }
  fillDefaults(segments, options.defaultLagMs);
  return segments;
}

type SegmentLag = Omit<LagSegment, 'from_ms' | 'to_ms'>;

const NO_RATE: RateEvidence = { messageT: new Float64Array(0), phraseEnds: new Float64Array(0) };

function segmentLags(votes: LagVotes, rate: RateEvidence, bounds: number[], options: LagOptions, nBins: number, box: number): SegmentLag[] {
  const out: SegmentLag[] = [];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const a = bounds[s] as number;
    const b = bounds[s + 1] as number;
    const echo = peakIn(votes.echoT, votes.echoLag, votes.echoW, a, b, options, nBins, box);
    const bursts = estimateRateLag(rate.messageT, rate.phraseEnds, a, b, options.minLagMs, options.maxLagMs);
    out.push(combineEstimates(echo.support >= MIN_SUPPORT ? echo : null, bursts.confidence >= MIN_RATE_CONFIDENCE ? bursts : null, echo.support));
  }
  return out;
}

/** One segment's lag from the echo peak and the burst correlation (either may be missing). */
export function combineEstimates(echo: { lag: number; confidence: number } | null, bursts: { lag_ms: number; confidence: number } | null, support: number): SegmentLag {
  const weak = (lag: SegmentLag): SegmentLag => (lag.confidence < WEAK_BELOW && lag.reason === null ? { ...lag, reason: 'weak-evidence' } : lag);
  if (echo && bursts) {
    if (Math.abs(echo.lag - bursts.lag_ms) <= AGREE_MS) {
      // Echoes place the lag more precisely (each vote is one message); bursts confirm it.
      return weak({ lag_ms: echo.lag, confidence: 1 - (1 - echo.confidence) * (1 - bursts.confidence), method: 'echo', support, reason: null });
    }
    return echo.confidence >= bursts.confidence
      ? { lag_ms: echo.lag, confidence: echo.confidence / 2, method: 'echo', support, reason: 'estimators-disagree' }
      : { lag_ms: bursts.lag_ms, confidence: bursts.confidence / 2, method: 'rate', support, reason: 'estimators-disagree' };
  }
  if (echo) return weak({ lag_ms: echo.lag, confidence: echo.confidence, method: 'echo', support, reason: null });
  if (bursts) return { lag_ms: bursts.lag_ms, confidence: bursts.confidence * 0.75, method: 'rate', support, reason: 'rate-only' };
  return { lag_ms: NaN, confidence: 0, method: 'default', support: 0, reason: 'no-evidence' };
}

interface Peak {
  lag: number;
  support: number;
  confidence: number;
}

/** Histogram peak of the votes with time in [a, b), its support above background and a confidence. */
function peakIn(t: Float64Array, lag: Float64Array, w: Float64Array, a: number, b: number, options: LagOptions, nBins: number, box: number): Peak {
  const hist = new Float64Array(nBins);
  const i0 = lowerBoundF(t, a);
  const i1 = lowerBoundF(t, b);
  let mass = 0;
  for (let i = i0; i < i1; i++) {
    const k = Math.min(nBins - 1, Math.max(0, Math.round(((lag[i] as number) - options.minLagMs) / options.binMs)));
    hist[k] += w[i] as number;
    mass += w[i] as number;
  }
  if (mass === 0) return { lag: NaN, support: 0, confidence: 0 };
  const peak = boxPeak(hist, box);
  const background = ((mass - peak.mass) / Math.max(1, nBins - box)) * box;
  const support = Math.max(0, peak.mass - background);
  // Refine inside the box: the weighted mean of the votes under it, less the flat background.
  const lo = options.minLagMs + (peak.start - 0.5) * options.binMs;
  const hi = lo + box * options.binMs;
  let sw = 0;
  let swl = 0;
  for (let i = i0; i < i1; i++) {
    const l = lag[i] as number;
    if (l >= lo && l < hi) {
      sw += w[i] as number;
      swl += (w[i] as number) * l;
    }
  }
  const bgMean = (lo + hi) / 2;
  const refined = sw > background ? (swl - background * bgMean) / (sw - background) : (lo + hi) / 2;
  const confidence = (support / mass) * (1 - Math.exp(-support / 10));
  return { lag: Math.round(refined), support, confidence: Math.min(1, Math.max(0, confidence)) };
}

/** Moves each inner boundary within ±1.5 blocks to the vote where the two lags explain the echo votes best. */
function refineBounds(votes: LagVotes, bounds: number[], lags: SegmentLag[], blockMs: number, widthMs: number): number[] {
  const out = bounds.slice();
  for (let s = 1; s + 1 < bounds.length; s++) {
    const before = (lags[s - 1] as SegmentLag).lag_ms;
    const after = (lags[s] as SegmentLag).lag_ms;
    if (!Number.isFinite(before) || !Number.isFinite(after)) continue;
    const lo = Math.max(out[s - 1] as number, (bounds[s] as number) - 1.5 * blockMs);
    const hi = Math.min(bounds[s + 1] as number, (bounds[s] as number) + 1.5 * blockMs);
    const i0 = lowerBoundF(votes.echoT, lo);
    const i1 = lowerBoundF(votes.echoT, hi);
    // score(split before vote k) = Σ_{i<k} near(before) + Σ_{i≥k} near(after); scan once.
    let score = 0;
    for (let i = i0; i < i1; i++) score += near(votes, i, after, widthMs);
    let bestScore = score;
    let bestAt = bounds[s] as number;
    for (let i = i0; i < i1; i++) {
      score += near(votes, i, before, widthMs) - near(votes, i, after, widthMs);
      const next = i + 1 < i1 ? (votes.echoT[i + 1] as number) : hi;
      if (score > bestScore && next > (votes.echoT[i] as number)) {
        bestScore = score;
        bestAt = Math.round(((votes.echoT[i] as number) + next) / 2);
      }
    }
    out[s] = bestAt;
  }
  return out;
}

function near(votes: LagVotes, i: number, lag: number, widthMs: number): number {
  return Math.abs((votes.echoLag[i] as number) - lag) <= widthMs / 2 + 250 ? (votes.echoW[i] as number) : 0;
}

function mergeClose(votes: LagVotes, rate: RateEvidence, bounds: number[], lags: SegmentLag[], options: LagOptions, nBins: number, box: number): { bounds: number[]; lags: SegmentLag[] } {
  let b = bounds.slice();
  let l = lags.slice();
  for (;;) {
    let merged = false;
    for (let s = 0; s + 1 < l.length; s++) {
      const x = l[s] as SegmentLag;
      const y = l[s + 1] as SegmentLag;
      const close = Number.isFinite(x.lag_ms) && Number.isFinite(y.lag_ms) && Math.abs(x.lag_ms - y.lag_ms) < options.mergeMs;
      const empty = (b[s + 1] as number) - (b[s] as number) <= 0 || (b[s + 2] as number) - (b[s + 1] as number) <= 0;
      if (close || empty) {
        b = [...b.slice(0, s + 1), ...b.slice(s + 2)];
        l = segmentLags(votes, rate, b, options, nBins, box);
        merged = true;
        break;
      }
    }
    if (!merged) return { bounds: b, lags: l };
  }
}

/** Segments without evidence take the lag of the nearest confident neighbour (or the default). */
function fillDefaults(segments: LagSegment[], defaultLagMs: number): void {
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s] as LagSegment;
    if (Number.isFinite(seg.lag_ms)) continue;
    let lag = defaultLagMs;
    for (let d = 1; d < segments.length; d++) {
      const l = segments[s - d]?.lag_ms;
      const r = segments[s + d]?.lag_ms;
      if (l !== undefined && Number.isFinite(l) && segments[s - d]?.method !== 'default') {
        lag = l;
        break;
      }
      if (r !== undefined && Number.isFinite(r) && segments[s + d]?.method !== 'default') {
        lag = r;
        break;
      }
    }
    seg.lag_ms = lag;
  }
}

/** Σw² / Σw over all votes (rate votes at their share): the mass one typical vote carries. */
function meanWeight(votes: LagVotes): number {
  let sw = 0;
  let sw2 = 0;
  for (const w of votes.echoW) {
    sw += w;
    sw2 += w * w;
  }
  for (const w of votes.rateW) {
    sw += w * RATE_WEIGHT;
    sw2 += (w * RATE_WEIGHT) ** 2;
  }
  return sw > 0 ? Math.min(1, sw2 / sw) : 1;
}

/** Start index and mass of the heaviest run of `box` consecutive bins. */
export function boxPeak(hist: Float64Array, box: number): { start: number; mass: number } {
  const w = Math.min(box, hist.length);
  let sum = 0;
  for (let k = 0; k < w; k++) sum += hist[k] as number;
  let best = sum;
  let start = 0;
  for (let k = w; k < hist.length; k++) {
    sum += (hist[k] as number) - (hist[k - w] as number);
    if (sum > best) {
      best = sum;
      start = k - w + 1;
    }
  }
  return { start, mass: best };
}

function lowerBoundF(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
