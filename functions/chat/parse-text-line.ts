import { reject, type ParsedRecord } from './raw-chat.ts';

/** How the timestamps of a plain-text log read. */
export type TextTiming =
  /** `[H:MM:SS]`, `[HH:MM:SS.fff]`, `[M:SS]`: offsets into the VOD (TwitchDownloader, RechatTool, chat-downloader). */
  | { kind: 'relative' }
  /** `[YYYY-MM-DD HH:MM:SS(.fff)( UTC)]` wall-clock per line (TwitchDownloader UTC, justlog/rustlog). */
  | { kind: 'absolute' }
  /** `# Start logging at YYYY-MM-DD HH:MM:SS TZ` then `[HH:MM:SS]` time of day (Chatterino). */
  | { kind: 'time-of-day'; dayStartMs: number };

const RELATIVE = /^\[(\d{1,3}(?::\d{1,2}){1,2}(?:\.\d{1,3})?)\]\s(.*)$/;
const ABSOLUTE = /^\[(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?)(?:\s?(UTC|GMT|Z|[+-]\d{2}:?\d{2}))?\]\s(.*)$/;
/** `name: text`, `Display (login): text`, or without the colon for /me (RechatTool); `#channel` first in justlog exports. */
const AUTHOR = /^(?:#\S+\s)?([^\s:]+)(?: \(([^\s()]+)\))?(:?) (.*)$/s;

/** `[1:02:03.450]` → ms. */
export function clockToMs(clock: string): number | null {
  const [hms, frac] = clock.split('.');
  const parts = hms!.split(':').map(Number);
  if (parts.some((p) => !Number.isInteger(p))) return null;
  let seconds = 0;
  for (const p of parts) seconds = seconds * 60 + p;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return seconds * 1000 + ms;
}

export function isTextChatLine(line: string): boolean {
  return RELATIVE.test(line) || ABSOLUTE.test(line);
}

/** `# Start logging at 2024-01-01 12:00:00 UTC` → epoch ms of that day's midnight (UTC assumed when no zone). */
export function chatterinoDayStart(line: string): number | null {
  const m = /^# Start logging at (\d{4}-\d{2}-\d{2})(?: \d{2}:\d{2}:\d{2})?(?: (\S+))?/.exec(line);
  if (!m) return null;
  const zone = m[2] && /^([+-]\d{2}:?\d{2}|UTC|GMT|Z)$/.test(m[2]) ? normalizeZone(m[2]) : 'Z';
  const ms = Date.parse(`${m[1]}T00:00:00${zone}`);
  return Number.isFinite(ms) ? ms : null;
}

function normalizeZone(zone: string | undefined): string {
  if (!zone || zone === 'UTC' || zone === 'GMT' || zone === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** Carried from line to line for time-of-day logs; start it with `newTextState(timing)`. */
export interface TextState {
  lastDayMs: number;
  lastTimeMs: number;
}

export function newTextState(timing: TextTiming): TextState {
  return { lastDayMs: timing.kind === 'time-of-day' ? timing.dayStartMs : 0, lastTimeMs: 0 };
}

/**
 * One plain-text log line → a chat record. Sub/raid notices in these logs are ordinary lines
 * (author = the subscriber), so everything is `kind: 'message'` here.
 *
 * @example
 * parseTextLine('[0:01:05] DougDoug: hello chat', timing, newTextState(timing))  // offsetMs 65000
 */
export function parseTextLine(line: string, timing: TextTiming, state: TextState): ParsedRecord {
  let offsetMs: number | null = null;
  let sentMs: number | null = null;
  let rest: string;
  const abs = timing.kind === 'absolute' ? ABSOLUTE.exec(line) : null;
  if (abs) {
    const ms = Date.parse(`${abs[1]}T${abs[2]!.padStart(8, '0')}${normalizeZone(abs[3])}`);
    if (!Number.isFinite(ms)) return reject('invalid-timestamp', `bad time [${abs[1]} ${abs[2]}]`);
    sentMs = ms;
    rest = abs[4]!;
  } else {
    const rel = RELATIVE.exec(line);
    if (!rel) return reject('malformed-line', 'no [time] prefix');
    const ms = clockToMs(rel[1]!);
    if (ms === null) return reject('invalid-offset', `bad time [${rel[1]}]`);
    rest = rel[2]!;
    if (timing.kind === 'time-of-day') {
      // Time of day only: a jump back by more than 12 h means the log crossed midnight.
      if (ms < state.lastTimeMs - 12 * 3600_000) state.lastDayMs += 86_400_000;
      state.lastTimeMs = ms;
      sentMs = state.lastDayMs + ms;
    } else if (timing.kind === 'relative') {
      offsetMs = ms;
    } else {
      return reject('malformed-line', 'expected a [YYYY-MM-DD HH:MM:SS] timestamp');
    }
  }
  const who = AUTHOR.exec(rest);
  if (!who) return reject('malformed-line', 'no author');
  const display = who[1]!;
  const login = who[2] ?? display.toLowerCase();
  return {
    id: null,
    offsetMs,
    sentMs,
    authorId: null,
    authorLogin: login,
    authorDisplay: display,
    text: who[4]!,
    emotes: [],
    badges: [],
    bits: 0,
    isAction: who[3] === '',
    replyTo: null,
    kind: 'message',
    isDeleted: false,
  };
}
