import type { WindowWord } from './review-item.ts';

/** Most words shown of what the streamer said between the context and the message. */
export const MAX_AFTER_WORDS = 40;

export interface TimedWord {
  word: string;
  start_ms: number;
  end_ms: number;
}

/** First index whose word ends after `t` (words sorted by start, non-overlapping). */
function firstEndingAfter(words: readonly TimedWord[], t: number): number {
  let lo = 0;
  let hi = words.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((words[mid] as TimedWord).end_ms <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The transcript a reviewer reads beside a chat message: the words of the context, those of the
 * line reacted to marked `target`, then what was said while chat lagged behind (up to the message).
 *
 * @example
 * transcriptWindow(words, { context_start_ms: 0, context_end_ms: 9_000, target_start_ms: 6_000, offset_ms: 12_000 })
 */
export function transcriptWindow(
  words: readonly TimedWord[],
  window: { context_start_ms: number; context_end_ms: number; target_start_ms: number | null; offset_ms: number },
): WindowWord[] {
  const out: WindowWord[] = [];
  let after = 0;
  for (let i = firstEndingAfter(words, window.context_start_ms); i < words.length; i++) {
    const w = words[i] as TimedWord;
    if (w.start_ms >= window.offset_ms && w.start_ms >= window.context_end_ms) break;
    const inContext = w.start_ms < window.context_end_ms;
    if (!inContext && ++after > MAX_AFTER_WORDS) break;
    const role = !inContext ? 'after' : window.target_start_ms !== null && w.end_ms > window.target_start_ms ? 'target' : 'context';
    out.push({ word: w.word, start_ms: w.start_ms, end_ms: w.end_ms, role });
  }
  return out;
}
