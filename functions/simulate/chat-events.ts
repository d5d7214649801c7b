import type { ChatMessage } from '../chat/chat-message.ts';
import { screenMessages } from '../align/screen-messages.ts';
import type { MarkedEvent } from './hawkes-process.ts';

/** The message kinds the pacing model tells apart: each excites chat by its own amount. */
export const MARKS = ['plain', 'emote-only', 'copypasta', 'mention'] as const;
export type Mark = (typeof MARKS)[number];

/** Share of offsets that must be whole seconds before a file is treated as quantised (the aligner's rule). */
const QUANTISED_SHARE = 0.98;

/**
 * The kind of an audience message: copypasta (long text pasted verbatim by several viewers, as the
 * aligner screens it), emote-only, addressed to another viewer (@mention or reply), else plain.
 */
export function markOf(message: ChatMessage, copypasta: boolean): Mark {
  if (copypasta) return 'copypasta';
  if (message.is_emote_only) return 'emote-only';
  if (message.reply_to !== null || /^\s*@\w/u.test(message.text)) return 'mention';
  return 'plain';
}

export interface ChatEvents {
  /** Audience messages in seconds on the chat timeline, ascending, with their mark index into MARKS. */
  events: MarkedEvent[];
  /** Messages left out (bots, commands, notices, deleted, empty), by reason. */
  dropped: Record<string, number>;
  /** Whether whole-second offsets were spread across their second. */
  spread: boolean;
}

/**
 * The audience's messages of a chat log as marked arrival times. Bots, commands, system notices and
 * deleted lines are not the audience talking and are dropped. A log whose offsets are whole seconds
 * (Twitch since late 2022, when the normaliser found no millisecond clock) would stack every second's
 * messages on one instant: they are spread evenly across their second, k-th of n at s + (k + ½)/n.
 *
 * @example
 * const { events } = chatEvents(messages);
 * events[0]; // { t: 12.25, mark: 0 }
 */
export function chatEvents(messages: readonly ChatMessage[]): ChatEvents {
  const sorted = [...messages].sort((a, b) => a.offset_ms - b.offset_ms);
  const reasons = screenMessages(sorted);
  const dropped: Record<string, number> = {};
  const kept: { ms: number; mark: number }[] = [];
  sorted.forEach((m, i) => {
    const reason = reasons[i];
    if (reason && reason !== 'copypasta') {
      dropped[reason] = (dropped[reason] ?? 0) + 1;
      return;
    }
    kept.push({ ms: m.offset_ms, mark: MARKS.indexOf(markOf(m, reason === 'copypasta')) });
  });
  const whole = kept.filter((e) => e.ms % 1000 === 0).length;
  const spread = kept.length > 0 && whole >= QUANTISED_SHARE * kept.length;
  const events: MarkedEvent[] = [];
  for (let i = 0; i < kept.length; ) {
    let j = i;
    if (spread) while (j + 1 < kept.length && Math.floor((kept[j + 1] as { ms: number }).ms / 1000) === Math.floor((kept[i] as { ms: number }).ms / 1000)) j++;
    const n = j - i + 1;
    for (let k = 0; k < n; k++) {
      const e = kept[i + k] as { ms: number; mark: number };
      events.push({ t: spread ? Math.floor(e.ms / 1000) + (k + 0.5) / n : e.ms / 1000, mark: e.mark });
    }
    i = j + 1;
  }
  return { events, dropped, spread };
}
