import type { ChatMessage } from '../../../functions/chat/chat-message.ts';
import type { TranscriptWord } from '../../../functions/transcribe/transcript.ts';

/** Small deterministic stream: numbered lines of made-up words, chat echoing them after a lag. */
export interface Line {
  start_ms: number;
  end_ms: number;
  words: string[];
}

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** Lines of 4 words every `everyMs`, each with two words unique to the line ("zorb12") and two common ones. */
export function makeLines(count: number, everyMs: number): { lines: Line[]; words: TranscriptWord[] } {
  const lines: Line[] = [];
  const words: TranscriptWord[] = [];
  for (let i = 0; i < count; i++) {
    const start = 1_000 + i * everyMs;
    const ws = ['okay', `zorb${i}`, `quex${i}`, i % 2 ? 'jump' : 'level'];
    ws.forEach((w, k) => words.push({ word: ` ${w}`, start_ms: start + k * 400, end_ms: start + k * 400 + 350, confidence: 0.9 }));
    lines.push({ start_ms: start, end_ms: start + 3 * 400 + 350, words: ws });
  }
  return { lines, words };
}

let counter = 0;
export function msg(offset_ms: number, text: string, extra: Partial<ChatMessage> = {}): ChatMessage {
  counter++;
  return {
    vod_id: 'v1',
    message_id: `m${counter}`,
    offset_ms,
    sent_at: null,
    author_id: `u${counter % 97}`,
    author_login: `viewer${counter % 97}`,
    author_display: null,
    text,
    emotes: [],
    badges: [],
    bits: 0,
    is_action: false,
    reply_to: null,
    kind: 'message',
    is_bot: false,
    is_command: false,
    is_emote_only: false,
    is_deleted: false,
    source_format: 'twitchdownloader',
    ...extra,
  };
}

/**
 * Echo and emote reactions to every line at `lagAt(line end)` + 0..1.5 s, plus uniform chatter.
 * Returns messages sorted by offset and, per reaction message id, the line it reacts to.
 */
export function makeChat(
  lines: Line[],
  lagAt: (ms: number) => number,
  options: { seed: number; wholeSeconds?: boolean; perLine?: number },
): { messages: ChatMessage[]; truth: Map<string, number>; trueLag: Map<string, number> } {
  const r = rng(options.seed);
  const messages: ChatMessage[] = [];
  const truth = new Map<string, number>();
  const trueLag = new Map<string, number>();
  const q = (ms: number) => (options.wholeSeconds ? Math.floor(ms / 1000) * 1000 : Math.round(ms));
  lines.forEach((line, i) => {
    for (let k = 0; k < (options.perLine ?? 4); k++) {
      const at = line.end_ms + lagAt(line.end_ms) + r() * 1500;
      const text = k % 2 === 0 ? `${line.words[1 + (k % 4 === 0 ? 0 : 1)]?.toUpperCase()} LUL` : 'KEKW';
      const m = msg(q(at), text);
      messages.push(m);
      truth.set(m.message_id, i);
      trueLag.set(m.message_id, Math.round(at - line.end_ms));
    }
  });
  const end = (lines[lines.length - 1]?.end_ms ?? 0) + 10_000;
  for (let t = 0; t < end; t += 700 + r() * 1400) messages.push(msg(q(t), ['what game is this', 'hi chat', 'good morning everyone'][Math.floor(r() * 3)] as string));
  messages.sort((a, b) => a.offset_ms - b.offset_ms);
  return { messages, truth, trueLag };
}
