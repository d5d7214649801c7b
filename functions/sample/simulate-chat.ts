import {
  BACKGROUND_LINES, BOT_COMMANDS, BOT_TIMERS, COPYPASTAS, ECHO_STOPWORDS, MOOD_INTENSITY, MOOD_REPLIES, SPAM_EMOTES,
} from './chat-vocabulary.ts';
import { lagAt, type LagStep, type MessageCategory, type Utterance } from './ground-truth.ts';
import { createRng, type Rng } from './prng.ts';
import { activityPicker, createBots, createViewers, type Viewer } from './viewers.ts';

/**
 * A reaction lands lag + this many ms after the end of its line: the viewer's own reading bias
 * (0–900), typing time (35 ms a character, at most 1100) and a little noise (0–500).
 */
export const REACTION_DELAY_MS = { min: 0, max: 2500 } as const;

/** A bot answers a command this many ms after it. */
export const BOT_REPLY_DELAY_MS = { min: 400, max: 1800 } as const;

/** Rates are per 500 viewers; all of them scale with the audience. */
const BASE_VIEWERS = 500;
const REACTIONS_PER_LINE = 11;
const BACKGROUND_PER_S = 2.2;
const COMMANDS_PER_S = 0.12;
const SUBS_PER_S = 0.05;
const EMOTE_WAVE_EVERY_MS = 40_000;
const COPYPASTA_WAVE_EVERY_MS = 120_000;
const BOT_TIMER_EVERY_MS = 600_000;

export interface SimMessage {
  message_id: string;
  offset_ms: number;
  viewer: Viewer;
  body: string;
  category: MessageCategory;
  reacts_to: number | null;
  lag_ms: number | null;
  in_reply_to: string | null;
  bits: number;
  notice: 'sub' | 'resub' | null;
}

export interface SimulateChatOptions {
  seed: number;
  durationMs: number;
  lagSchedule: readonly LagStep[];
  viewers: number;
  utterances: readonly Utterance[];
}

/** RFC 4122 version-4 shaped id from the rng, so ids are stable per seed. */
function uuid(rng: Rng): string {
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  const a = hex(rng.next() * 0x100000000);
  const b = hex(rng.next() * 0x100000000);
  const c = hex(rng.next() * 0x100000000);
  const d = hex(rng.next() * 0x100000000);
  const variant = ((parseInt(c[0] as string, 16) & 0x3) | 0x8).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const parts: string[] = [];
  if (s >= 3600) parts.push(`${Math.floor(s / 3600)} hours`);
  if (s >= 60) parts.push(`${Math.floor((s % 3600) / 60)} minutes`);
  parts.push(`${s % 60} seconds`);
  return parts.join(' ');
}

/** An echo: one to three words of the line, re-cased the way chat types them. */
function echoOf(rng: Rng, utterance: Utterance): string {
  const words = utterance.words.map((w) => w.word);
  const content = words.map((_, i) => i).filter((i) => !ECHO_STOPWORDS.has((words[i] as string).toLowerCase()));
  const start = content.length > 0 ? rng.pick(content) : rng.int(0, words.length - 1);
  const r = rng.next();
  const span = r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
  const picked = words.slice(start, start + span);
  // Chat quotes phrases, not fragments: "forty eight", not "forty eight on".
  while (picked.length > 1 && ECHO_STOPWORDS.has((picked.at(-1) as string).toLowerCase())) picked.pop();
  let text = picked.join(' ');
  const casing = rng.next();
  text = casing < 0.45 ? text.toUpperCase() : casing < 0.85 ? text.toLowerCase() : text;
  if (span === 1 && rng.chance(0.1)) text = `${text} ${text} ${text}`;
  const tail = rng.next();
  if (tail < 0.15) text += ` ${rng.pick(['LUL', 'KEKW', 'Pog', 'monkaS', 'OMEGALUL', 'Clap'])}`;
  else if (tail < 0.25) text += rng.pick(['?', '!!', ' ???', '!']);
  return text;
}

/**
 * Simulates a chat that reacts to `utterances` after the scheduled lag, plus the noise of a real
 * channel: background chatter, command/bot pairs, emote waves, copypastas and sub notices.
 * Returns messages in chat-file order (by true offset, then by generation order).
 *
 * @example
 * simulateChat({ seed: 1, durationMs: 180_000, lagSchedule: [{ from_ms: 0, lag_ms: 5000 }], viewers: 500, utterances });
 */
export function simulateChat(opts: SimulateChatOptions): SimMessage[] {
  const scale = opts.viewers / BASE_VIEWERS;
  const viewers = createViewers(createRng(opts.seed, 'viewers'), opts.viewers);
  const pickViewer = activityPicker(viewers);
  const bots = createBots();
  const ids = createRng(opts.seed, 'message-ids');
  const messages: SimMessage[] = [];
  const add = (m: Omit<SimMessage, 'message_id' | 'bits' | 'notice' | 'in_reply_to'> & Partial<SimMessage>): SimMessage => {
    const message: SimMessage = { bits: 0, notice: null, in_reply_to: null, ...m, message_id: uuid(ids) };
    messages.push(message);
    return message;
  };
  const inside = (ms: number): boolean => ms >= 0 && ms <= opts.durationMs;
  const plain = { reacts_to: null, lag_ms: null } as const;

  const reactions = createRng(opts.seed, 'reactions');
  for (const u of opts.utterances) {
    const count = reactions.poisson(REACTIONS_PER_LINE * scale * MOOD_INTENSITY[u.mood]);
    const lag = lagAt(opts.lagSchedule, u.end_ms);
    const seen = new Set<Viewer>();
    for (let k = 0; k < count; k++) {
      let viewer = pickViewer(reactions);
      for (let tries = 0; seen.has(viewer) && tries < 5; tries++) viewer = pickViewer(reactions);
      seen.add(viewer);
      const body = reactions.chance(0.45) ? echoOf(reactions, u) : reactions.pick(MOOD_REPLIES[u.mood]);
      const delay = viewer.reactionBiasMs + Math.min(1100, 35 * body.length) + reactions.int(0, 500);
      const offset = u.end_ms + lag + delay;
      if (!inside(offset)) continue;
      add({ offset_ms: offset, viewer, body, category: 'reaction', reacts_to: u.id, lag_ms: offset - u.end_ms });
    }
  }

  const background = createRng(opts.seed, 'background');
  for (let t = background.exponential(1000 / (BACKGROUND_PER_S * scale)); inside(t);
    t += background.exponential(1000 / (BACKGROUND_PER_S * scale))) {
    const viewer = pickViewer(background);
    const r = background.next();
    let body = background.pick(BACKGROUND_LINES);
    let bits = 0;
    if (r < 0.15) body = `@${pickViewer(background).commenter.display_name} ${background.pick(['lol', 'true', 'hi', 'same', 'KEKW', 'what', 'no shot'])}`;
    else if (r < 0.17) {
      bits = background.pick([100, 100, 200, 500, 1000]);
      body = `Cheer${bits} ${background.pick(['go doug go', 'for the bird', 'buy a new controller', 'penalty time'])}`;
    }
    add({ offset_ms: Math.floor(t), viewer, body, category: 'background', bits, ...plain });
  }

  const commands = createRng(opts.seed, 'commands');
  for (let t = commands.exponential(1000 / (COMMANDS_PER_S * scale)); inside(t);
    t += commands.exponential(1000 / (COMMANDS_PER_S * scale))) {
    const viewer = pickViewer(commands);
    const command = commands.pick(BOT_COMMANDS);
    const replyAt = Math.floor(t) + commands.int(BOT_REPLY_DELAY_MS.min, BOT_REPLY_DELAY_MS.max);
    // A command whose answer would fall after the VOD ends is left out with it: every command is answered.
    if (!inside(replyAt)) continue;
    const asked = add({ offset_ms: Math.floor(t), viewer, body: command.command, category: 'command', ...plain });
    const reply = command.reply
      .replaceAll('{user}', viewer.commenter.display_name)
      .replaceAll('{uptime}', formatUptime(replyAt))
      .replaceAll('{months}', String(commands.int(1, 60)));
    add({ offset_ms: replyAt, viewer: bots[command.bot], body: reply, category: 'bot', in_reply_to: asked.message_id, ...plain });
  }
  const timers = createRng(opts.seed, 'bot-timers');
  for (let t = BOT_TIMER_EVERY_MS / 2, i = 0; inside(t); t += BOT_TIMER_EVERY_MS, i++) {
    const offset = t + timers.int(0, 5000);
    if (!inside(offset)) break;
    add({ offset_ms: offset, viewer: bots.Nightbot, body: BOT_TIMERS[i % BOT_TIMERS.length] as string, category: 'bot', ...plain });
  }

  const spam = createRng(opts.seed, 'emote-spam');
  for (let t = spam.exponential(EMOTE_WAVE_EVERY_MS); inside(t); t += spam.exponential(EMOTE_WAVE_EVERY_MS)) {
    const emote = spam.pick(SPAM_EMOTES);
    const count = Math.max(1, Math.round(spam.int(5, 30) * scale));
    for (let k = 0; k < count; k++) {
      const offset = Math.floor(t) + spam.int(0, 10_000);
      const body = Array.from({ length: spam.int(1, 6) }, () => emote).join(' ');
      const viewer = pickViewer(spam);
      if (inside(offset)) add({ offset_ms: offset, viewer, body, category: 'emote_spam', ...plain });
    }
  }

  const pasta = createRng(opts.seed, 'copypasta');
  for (let t = pasta.exponential(COPYPASTA_WAVE_EVERY_MS); inside(t); t += pasta.exponential(COPYPASTA_WAVE_EVERY_MS)) {
    const body = pasta.pick(COPYPASTAS);
    const count = Math.max(1, Math.round(pasta.int(3, 12) * Math.sqrt(scale)));
    for (let k = 0; k < count; k++) {
      const offset = Math.floor(t) + pasta.int(0, 25_000);
      const viewer = pickViewer(pasta);
      if (inside(offset)) add({ offset_ms: offset, viewer, body, category: 'copypasta', ...plain });
    }
  }

  const subs = createRng(opts.seed, 'subs');
  for (let t = subs.exponential(1000 / (SUBS_PER_S * scale)); inside(t); t += subs.exponential(1000 / (SUBS_PER_S * scale))) {
    const viewer = pickViewer(subs);
    const name = viewer.commenter.display_name;
    const months = subs.chance(0.3) ? 1 : subs.int(2, 48);
    const prime = subs.chance(0.35);
    const plan = prime ? 'with Prime' : 'at Tier 1';
    const note = subs.chance(0.5) ? ` ${subs.pick(['love the streams', 'for the bird', 'dpsHype', 'hi doug <3', 'penalty time LUL'])}` : '';
    const body = months === 1
      ? `${name} subscribed ${plan}.${note}`
      : `${name} subscribed ${plan}. They've subscribed for ${months} months!${note}`;
    add({ offset_ms: Math.floor(t), viewer, body, category: 'sub', notice: months === 1 ? 'sub' : 'resub', ...plain });
  }

  // Generation order breaks ties, so equal offsets keep a stable, seed-determined order.
  const order = messages.map((_, i) => i);
  order.sort((a, b) => (messages[a] as SimMessage).offset_ms - (messages[b] as SimMessage).offset_ms || a - b);
  return order.map((i) => messages[i] as SimMessage);
}
