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
/**
 * `name: text`, `Display (login): text`, or without the colon for /me (RechatTool); `#channel` first in
 * justlog exports. A display name that ends in a space (an escaped `\s` in IRC) is written `name : text`.
 */
const AUTHOR = /^(?:#\S+\s)?([^\s:]+)(?: \(([^\s()]+)\))?( ?:|) (.*)$/s;
/** IRC-client style (`<@nick> text`, irssi/HexChat/mIRC logs, IRC-style downloader output); the name may hold spaces. */
const BRACKETED = /^<([^<>]+)> ?(.*)$/s;
/** IRC-client style action: `* nick waves`. */
const STARRED = /^\* (\S+) (.*)$/s;
/** `Display (login)` inside the brackets. */
const DISPLAY_LOGIN = /^(.+?) \(([^\s()]+)\)$/;

/**
 * IRC channel-mode prefixes as IRC-style logs write them before a nick, mapped to the Twitch badge
 * each stands for when a Twitch chat is logged through an IRC client or written in that style:
 * `~` owner → broadcaster, `&` admin → admin, `@` operator → moderator, `%` half-op → vip,
 * `+` voice → subscriber, `$` → staff. Several may precede one nick (`@+nick`).
 */
export const NICK_PREFIX_BADGES: Readonly<Record<string, string>> = {
  '~': 'broadcaster', '&': 'admin', '@': 'moderator', '%': 'vip', '+': 'subscriber', '$': 'staff',
};

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
 * One plain-text log line → a chat record. Authors come as `name:`, `Display (login):`, `<@nick>`
 * (IRC-client style, mode prefixes read as badges, see NICK_PREFIX_BADGES) or `* nick` (action).
 * Sub/raid notices are ordinary lines here (author = the subscriber); their system sentence gives
 * them kind 'sub' / 'raid'.
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
  const author = readAuthor(rest);
  if (!author) return reject('malformed-line', 'no author');
  let { text, isAction } = author;
  // Sub and raid notices are written as lines by the subscriber (or, without a colon, as the system sentence).
  const notice = noticeKind(author.display, text, isAction);
  if (notice) {
    if (isAction) text = `${author.display} ${text}`;
    isAction = false;
  }
  return {
    id: null,
    offsetMs,
    sentMs,
    authorId: null,
    authorLogin: author.login,
    authorDisplay: author.display,
    text,
    emotes: [],
    badges: author.badges,
    bits: 0,
    isAction,
    replyTo: null,
    kind: notice ?? 'message',
    isDeleted: false,
  };
}

interface TextAuthor {
  display: string;
  login: string;
  badges: string[];
  text: string;
  isAction: boolean;
}

/** The author part of a line, in any of the layouts above; null when there is none. */
function readAuthor(rest: string): TextAuthor | null {
  const bracketed = BRACKETED.exec(rest);
  if (bracketed) {
    const nick = splitNickPrefixes(bracketed[1]!);
    return nick ? { ...nick, text: bracketed[2]!, isAction: false } : null;
  }
  const starred = STARRED.exec(rest);
  if (starred) {
    const nick = splitNickPrefixes(starred[1]!);
    return nick ? { ...nick, text: starred[2]!, isAction: true } : null;
  }
  const who = AUTHOR.exec(rest);
  if (!who) return null;
  const display = who[1]!;
  return { display, login: who[2] ?? display.toLowerCase(), badges: [], text: who[4]!, isAction: who[3] === '' };
}

/** `@+Name` → badges [moderator, subscriber], display `Name`, login `name`; `Name (login)` keeps its login. */
function splitNickPrefixes(raw: string): Pick<TextAuthor, 'display' | 'login' | 'badges'> | null {
  let k = 0;
  const badges: string[] = [];
  while (k < raw.length && NICK_PREFIX_BADGES[raw[k]!] !== undefined) {
    const badge = NICK_PREFIX_BADGES[raw[k]!]!;
    if (!badges.includes(badge)) badges.push(badge);
    k++;
  }
  const name = raw.slice(k).trim();
  if (name.length === 0) return null;
  const paired = DISPLAY_LOGIN.exec(name);
  if (paired) return { display: paired[1]!, login: paired[2]!.toLowerCase(), badges };
  return { display: name, login: name.toLowerCase(), badges };
}

const ANONYMOUS = /^(?:an anonymous (?:user|gifter)|anonymous)/i;
/** System sentences of sub notices, after the subscriber's (or gifter's) name. */
const SUB_SENTENCE = new RegExp(
  '^ (?:subscribed (?:at tier \\d|with (?:twitch )?prime)|just subscribed|has subscribed for \\d|' +
  'gifted (?:a tier \\d sub to |\\d+ months? of tier \\d)|is gifting \\d+ tier \\d subs? to |' +
  'converted from a (?:twitch )?prime sub to a tier \\d|is continuing the gift sub they got from |' +
  'is paying forward the gift they got from )',
  'i',
);
const RAID_SENTENCE = /^ is raiding with a party of \d/i;
const RAIDERS_JOINED = /^\d[\d,]* raiders? from \S+ (?:have|has) joined/i;

/**
 * 'sub' or 'raid' when the line is a notice: it starts with the author's (or an anonymous
 * gifter's) name followed by a Twitch system sentence. Without a colon (`isAction`) the sentence
 * follows the name directly (Chatterino/RechatTool system lines).
 */
function noticeKind(display: string, text: string, isAction: boolean): 'sub' | 'raid' | null {
  const sentence = isAction ? `${display} ${text}` : text;
  if (RAIDERS_JOINED.test(sentence)) return 'raid';
  const lower = sentence.toLowerCase();
  const name = display.toLowerCase();
  const anonymous = ANONYMOUS.exec(sentence);
  const after = anonymous ? sentence.slice(anonymous[0].length) : lower.startsWith(name) ? sentence.slice(name.length) : null;
  if (after === null) return null;
  if (SUB_SENTENCE.test(after)) return 'sub';
  if (RAID_SENTENCE.test(after)) return 'raid';
  return null;
}
