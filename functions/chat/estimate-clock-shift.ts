/**
 * Estimates the constant shift between a message's server time and its VOD offset when offsets are
 * whole seconds (Twitch since late 2022) but server times keep milliseconds.
 *
 * Each message with whole-second offset `s` and server time `t` (ms) says the shift
 * c = t − true offset lies in (t − 1000·s − 1000, t − 1000·s]. With d = t − 1000·s that is
 * c ∈ (d − 1000, d], i.e. d ∈ [c, c + 1000). The estimate is the c consistent with the most
 * messages (a sliding one-second window over the sorted d values), centred in the interval that
 * all of that window's messages allow. Messages outside the window (clock glitches, edited
 * records) do not move it, so it is robust to any minority of outliers.
 *
 * @example
 * estimateClockShift(Float64Array.from([4321, 4800, 5100]))  // → { shiftMs: ~4550, inliers: 2, total: 3 }
 */
export interface ClockShift {
  shiftMs: number;
  inliers: number;
  total: number;
  /** Width of the interval that the inliers allow (ms); small means a sharp estimate. */
  spreadMs: number;
}

export function estimateClockShift(deltas: Float64Array): ClockShift | null {
  const n = deltas.length;
  if (n === 0) return null;
  const d = Float64Array.from(deltas).sort();
  let best = 0;
  let bestLo = 0;
  let hi = 0;
  for (let lo = 0; lo < n; lo++) {
    if (hi < lo) hi = lo;
    while (hi + 1 < n && d[hi + 1]! < d[lo]! + 1000) hi++;
    const count = hi - lo + 1;
    if (count > best) {
      best = count;
      bestLo = lo;
    }
  }
  const dMin = d[bestLo]!;
  const dMax = d[bestLo + best - 1]!;
  // The inliers allow c ∈ (dMax − 1000, dMin]; take the middle.
  const shiftMs = (dMax - 1000 + dMin) / 2;
  return { shiftMs, inliers: best, total: n, spreadMs: dMin - (dMax - 1000) };
}

/** The sub-second offset of one message under shift `c`, or null when the message disagrees with it. */
export function recoverOffsetMs(wholeOffsetMs: number, sentMs: number, shiftMs: number): number | null {
  const d = sentMs - wholeOffsetMs;
  if (d < shiftMs - 0.5 || d >= shiftMs + 1000) return null;
  return Math.min(wholeOffsetMs + 999, Math.max(wholeOffsetMs, Math.round(sentMs - shiftMs)));
}
