import type { EchoMatch } from './echo-matcher.ts';
import { lowerBound, type Phrase, type PhraseIndex } from './phrases.ts';

/**
 * Evidence for the chat lag. Every candidate message "votes" for lags `t − phrase end` over the
 * phrases it could react to:
 *
 * - echo votes: the message repeats a content word of that phrase ("PENGUIN BOSS LETS GO" after
 *   "…the penguin boss…"). Weighted by the word's rarity and shared among the word's occurrences in
 *   range, so a common word said five times in range casts five faint votes and a rare one a strong one.
 * - rate votes: every message votes faintly for every phrase end in range. Summed over a VOD this is
 *   the cross-correlation of the chat rate with speech ends; it peaks at the lag when chat bursts after
 *   lines, and is the fallback where chat never repeats the streamer's words.
 */
export interface LagVotes {
  /** Echo votes sorted by message time: time (effective message time), lag, weight. */
  echoT: Float64Array;
  echoLag: Float64Array;
  echoW: Float64Array;
  /** Rate votes, kept the same way (one per message × phrase end in range). */
  rateT: Float64Array;
  rateLag: Float64Array;
  rateW: Float64Array;
}

export interface VoteMessage {
  /** Effective time on the VOD timeline (offset, corrected for offset quantisation). */
  t: number;
  /** Transcript tokens the message may echo, weighted by how surely (see echo-matcher.ts). */
  echoes: readonly EchoMatch[];
}

/** How many idf units of matched words make an echo "certain" (1 − e^-1 of full weight). */
export const ECHO_SATURATION = 3;

/**
 * Collects echo and rate votes for messages sorted by `t`.
 *
 * @example
 * const votes = collectLagVotes(index, [{ t: 12_000, echoes: [{ token: 'penguin', weight: 1 }] }], 0, 30_000);
 */
export function collectLagVotes(index: PhraseIndex, messages: readonly VoteMessage[], minLagMs: number, maxLagMs: number): LagVotes {
  const echo = new VoteBuffer();
  const rate = new VoteBuffer();
  const perPhrase = new Map<number, number>();
  for (const m of messages) {
    const lo = lowerBound(index.ends, m.t - maxLagMs);
    const hi = lowerBound(index.ends, m.t - minLagMs + 1);
    if (hi <= lo) continue;
    const n = hi - lo;
    for (let p = lo; p < hi; p++) rate.push(m.t, m.t - (index.ends[p] as number), 1 / n);

    perPhrase.clear();
    let idfSum = 0;
    for (const echo of m.echoes) {
      const list = index.postings.get(echo.token);
      if (!list) continue;
      const a = lowerBound(list, lo);
      const b = lowerBound(list, hi);
      if (b <= a) continue;
      const idf = (index.idf.get(echo.token) as number) * echo.weight;
      idfSum += idf;
      for (let k = a; k < b; k++) {
        const p = list[k] as number;
        const said = (index.phrases[p] as Phrase).confidence.get(echo.token) ?? 1;
        perPhrase.set(p, (perPhrase.get(p) ?? 0) + (idf * said) / (b - a));
      }
    }
    if (idfSum === 0) continue;
    const strength = 1 - Math.exp(-idfSum / ECHO_SATURATION);
    for (const [p, w] of perPhrase) echo.push(m.t, m.t - (index.ends[p] as number), (strength * w) / idfSum);
  }
  const e = echo.finish();
  const r = rate.finish();
  return { echoT: e.t, echoLag: e.lag, echoW: e.w, rateT: r.t, rateLag: r.lag, rateW: r.w };
}

class VoteBuffer {
  private t: Float64Array = new Float64Array(1024);
  private lag: Float64Array = new Float64Array(1024);
  private w: Float64Array = new Float64Array(1024);
  private n = 0;

  push(t: number, lag: number, w: number): void {
    if (this.n === this.t.length) {
      this.t = grow(this.t);
      this.lag = grow(this.lag);
      this.w = grow(this.w);
    }
    this.t[this.n] = t;
    this.lag[this.n] = lag;
    this.w[this.n] = w;
    this.n++;
  }

  finish(): { t: Float64Array; lag: Float64Array; w: Float64Array } {
    return { t: this.t.subarray(0, this.n), lag: this.lag.subarray(0, this.n), w: this.w.subarray(0, this.n) };
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
