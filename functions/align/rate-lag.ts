/**
 * The second, independent lag estimator: chat bursts after lines. The chat rate, less its slow
 * trend (a 40 s moving average), is cross-correlated with the phrase ends; reaction bursts make the
 * correlation peak at the lag. It needs no shared words, so it survives a recogniser that gets
 * every word wrong, but it is coarser than echoes (bursts spread over the reaction time) and blind
 * where chat does not burst. Its confidence grows with how far the peak stands out of the
 * correlation's own spread over all other lags.
 */
export interface RateLag {
  /** Lag at the peak (centre of the best 1 s window); NaN when there is nothing to correlate. */
  lag_ms: number;
  /** 0..1 */
  confidence: number;
  /** Peak height in standard deviations of the correlation over other lags. */
  z: number;
  messages: number;
}

const BIN_MS = 250;
const TREND_MS = 40_000;
const PEAK_BINS = 4;
/** A peak this many standard deviations high is where confidence starts. */
const Z_FLOOR = 3;

/**
 * @example
 * estimateRateLag(messageTimes, phraseEnds, 0, 3_600_000, 0, 30_000); // { lag_ms: 6200, confidence: 0.8, ... }
 */
export function estimateRateLag(
  messageT: Float64Array,
  phraseEnds: Float64Array,
  fromMs: number,
  toMs: number,
  minLagMs: number,
  maxLagMs: number,
): RateLag {
  const origin = fromMs;
  const n = Math.max(1, Math.ceil((toMs - fromMs) / BIN_MS));
  const rate = new Float64Array(n);
  let messages = 0;
  for (let i = lowerBound(messageT, fromMs); i < messageT.length && (messageT[i] as number) < toMs; i++) {
    rate[Math.floor(((messageT[i] as number) - origin) / BIN_MS)] += 1;
    messages++;
  }
  const none: RateLag = { lag_ms: NaN, confidence: 0, z: 0, messages };
  if (messages < 20) return none;
  // Less the slow trend: what is left are bursts (and dips) around it.
  const half = Math.round(TREND_MS / BIN_MS / 2);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as number) + (rate[i] as number);
  const burst = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - half);
    const b = Math.min(n, i + half + 1);
    burst[i] = (rate[i] as number) - ((prefix[b] as number) - (prefix[a] as number)) / (b - a);
  }
  const k0 = Math.floor(minLagMs / BIN_MS);
  const k1 = Math.ceil(maxLagMs / BIN_MS);
  const nk = k1 - k0 + 1;
  const xcorr = new Float64Array(nk);
  let events = 0;
  for (let p = lowerBound(phraseEnds, fromMs - maxLagMs); p < phraseEnds.length && (phraseEnds[p] as number) < toMs - minLagMs; p++) {
    const e = phraseEnds[p] as number;
    events++;
    for (let k = 0; k < nk; k++) {
      const i = Math.floor((e + (k0 + k) * BIN_MS - origin) / BIN_MS);
      if (i >= 0 && i < n) xcorr[k] += burst[i] as number;
    }
  }
  if (events < 5) return none;
  // Best window of PEAK_BINS (1 s): reactions spread over a second or two after the lag.
  const smooth = new Float64Array(nk);
  for (let k = 0; k + PEAK_BINS <= nk; k++) {
    let s = 0;
    for (let j = 0; j < PEAK_BINS; j++) s += xcorr[k + j] as number;
    smooth[k] = s;
  }
  const usable = nk - PEAK_BINS + 1;
  if (usable < 8) return none;
  let best = 0;
  for (let k = 1; k < usable; k++) if ((smooth[k] as number) > (smooth[best] as number)) best = k;
  // Spread over lags away from the peak (±3 s), so the peak does not inflate its own yardstick.
  let sum = 0;
  let sum2 = 0;
  let count = 0;
  for (let k = 0; k < usable; k++) {
    if (Math.abs(k - best) * BIN_MS <= 3_000) continue;
    sum += smooth[k] as number;
    sum2 += (smooth[k] as number) ** 2;
    count++;
  }
  if (count < 4) return none;
  const mean = sum / count;
  const sd = Math.sqrt(Math.max(1e-12, sum2 / count - mean * mean));
  const z = ((smooth[best] as number) - mean) / sd;
  const lag = (k0 + best) * BIN_MS + (PEAK_BINS * BIN_MS) / 2;
  const confidence = z <= Z_FLOOR ? 0 : 1 - Math.exp(-(z - Z_FLOOR) / 3);
  return { lag_ms: lag, confidence: Math.round(confidence * 1000) / 1000, z: Math.round(z * 100) / 100, messages };
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
