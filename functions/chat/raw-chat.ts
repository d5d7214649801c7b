import type { ChatEmote, ChatKind } from './chat-message.ts';

/**
 * One chat record as a format parser read it, before validation, flags and ids. Times are in ms:
 * `offsetMs` on the VOD timeline (null for wall-clock-only formats), `sentMs` since the epoch.
 */
export interface RawChat {
  id: string | null;
  offsetMs: number | null;
  sentMs: number | null;
  authorId: string | null;
  authorLogin: string | null;
  authorDisplay: string | null;
  text: string | null;
  emotes: ChatEmote[];
  badges: string[];
  bits: number;
  isAction: boolean;
  replyTo: string | null;
  kind: ChatKind;
  isDeleted: boolean;
  /** The VOD id this record names itself (v5 `content_id`), used when the file has no better one. */
  vodId?: string | null;
  /** IRC channel (`#name`), so that moderation in one channel does not touch another. */
  channel?: string | null;
  /** The field `offsetMs` was read from, when a format has more than one (`video_offset_time_msec`). */
  offsetKey?: string;
}

/** A record that cannot be used; `reason` is a short kebab-case key counted in the summary. */
export interface RawReject {
  reject: string;
  detail: string | null;
}

/** A moderation event from IRC: it marks earlier messages removed instead of being a message. */
export interface Moderation {
  moderation: 'message' | 'user' | 'all';
  /** CLEARMSG target-msg-id, or CLEARCHAT target user id / login. */
  targetId: string | null;
  targetLogin: string | null;
  atMs: number | null;
  channel: string | null;
}

export type ParsedRecord = RawChat | RawReject | Moderation;

export function isReject(record: ParsedRecord): record is RawReject {
  return (record as RawReject).reject !== undefined;
}

export function isModeration(record: ParsedRecord): record is Moderation {
  return (record as Moderation).moderation !== undefined;
}

export function reject(reason: string, detail: string | null = null): RawReject {
  return { reject: reason, detail };
}

/** Sub-type notice ids shared by IRC `msg-id` and v5/TwitchDownloader `user_notice_params`. */
const SUB_NOTICES = new Set([
  'sub', 'resub', 'subgift', 'submysterygift', 'anonsubgift', 'anonsubmysterygift', 'giftpaidupgrade',
  'anongiftpaidupgrade', 'primepaidupgrade', 'extendsub', 'standardpayforward', 'communitypayforward',
  'sharedchatnotice-sub',
]);
/** Notice ids that are ordinary chat messages with a decoration. */
const MESSAGE_NOTICES = new Set(['', 'highlighted-message', 'skip-subs-mode-message', 'gigantified-emote-message', 'animated-message']);

export function kindOfNotice(noticeId: string | null | undefined): ChatKind {
  if (noticeId === null || noticeId === undefined) return 'message';
  const id = noticeId.toLowerCase();
  if (MESSAGE_NOTICES.has(id)) return 'message';
  if (SUB_NOTICES.has(id)) return 'sub';
  if (id === 'raid') return 'raid';
  return 'notice';
}

/** A JSON value as a non-empty trimmed string, or null. Numbers are accepted (ids are numbers in some files). */
export function str(value: unknown): string | null {
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function obj(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Seconds (number or numeric string) to integer ms; null when absent, NaN when present but not a number. */
export function secondsToMs(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? Math.round(n * 1000) : Number.NaN;
}

/** Milliseconds (number or numeric string, as YouTube writes them) to integer ms; null when absent, NaN when not a number. */
export function millisToMs(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? Math.round(n) : Number.NaN;
}

/** RFC 3339 (any number of fraction digits) to epoch ms, or null. */
export function isoToMs(value: unknown): number | null {
  if (typeof value !== 'string' || value.length < 10) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
