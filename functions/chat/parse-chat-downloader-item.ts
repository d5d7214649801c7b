import type { ChatEmote, ChatKind } from './chat-message.ts';
import { emotesFromRanges } from './chat-emotes.ts';
import { millisToMs, obj, reject, secondsToMs, str, type ParsedRecord } from './raw-chat.ts';
import { youtubeBadge } from './youtube-badge.ts';

const SUB_TYPES = /sub|gift|upgrade|payforward/;

function kindOf(messageType: string | null): ChatKind {
  if (messageType === null || messageType === 'text_message' || messageType === 'highlighted_message') return 'message';
  if (messageType === 'raid') return 'raid';
  if (SUB_TYPES.test(messageType)) return 'sub';
  return 'notice';
}

/**
 * One item of chat-downloader's JSON output → RawChat. Handles the 2020 `chat_replay_downloader`
 * items — `author` a plain name (with `author_id` and a `badges` string on YouTube), or
 * `author_name` / `author_display_name` / `author_id` (Twitch live items) — and the richer 0.2 item
 * (`message_id`, `author{id,name,display_name,badges}`, `emotes`, `message_type`, `in_reply_to`).
 * YouTube replays carry `video_offset_time_msec`, the exact offset; `time_in_seconds` is whole
 * seconds there, so the former wins.
 *
 * @example
 * parseChatDownloaderItem({ author: 'jump3N', message: 'hi', time_in_seconds: 307.0, timestamp: 1562541137129857 })
 */
export function parseChatDownloaderItem(record: unknown): ParsedRecord {
  const item = obj(record);
  if (!item) return reject('not-an-object', `record is ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`);
  const exact = item.video_offset_time_msec;
  const offsetKey = exact !== undefined && exact !== null ? 'video_offset_time_msec' : 'time_in_seconds';
  const offsetMs = offsetKey === 'video_offset_time_msec' ? millisToMs(exact) : secondsToMs(item.time_in_seconds);
  if (offsetMs === null) return reject('missing-offset', 'no time_in_seconds');
  if (Number.isNaN(offsetMs) || offsetMs < 0) return reject('invalid-offset', `${offsetKey} = ${JSON.stringify(item[offsetKey])}`);
  if (typeof item.message !== 'string') return reject('missing-text', item.message === null ? 'message is null' : 'no message text');
  const text = item.message;

  const author = obj(item.author);
  const authorName = author ? null : str(item.author);
  const badges: string[] = author && Array.isArray(author.badges) ? badgeList(author.badges) : [];
  if (!author) badges.push(...badgeText(str(item.author_badges) ?? str(item.badges)));
  const ranges: { id: string; begin: number; end: number }[] = [];
  if (Array.isArray(item.emotes)) {
    for (const e of item.emotes) {
      const eo = obj(e);
      const id = eo ? str(eo.id) : null;
      if (!eo || !id || !Array.isArray(eo.locations)) continue;
      for (const loc of eo.locations) {
        const m = typeof loc === 'string' ? /^(\d+)-(\d+)$/.exec(loc) : null;
        if (m) ranges.push({ id, begin: Number(m[1]), end: Number(m[2]) });
      }
    }
  }
  const emotes: ChatEmote[] = emotesFromRanges(text, ranges);
  const timestamp = typeof item.timestamp === 'number' && Number.isFinite(item.timestamp) ? Math.floor(item.timestamp / 1000) : null;
  const reply = item.in_reply_to;
  const messageType = str(item.message_type);
  // 0.2: author{name, display_name}; 2020 Twitch: author_name (login) and author_display_name; 2020 YouTube: author (a name).
  const login = author ? str(author.name) : str(item.author_name);
  const display = author ? str(author.display_name) ?? login : str(item.author_display_name) ?? authorName ?? login;
  return {
    id: str(item.message_id),
    offsetMs,
    sentMs: timestamp,
    authorId: author ? str(author.id) : str(item.author_id),
    authorLogin: login ?? (display ? display.toLowerCase() : null),
    authorDisplay: display,
    text,
    emotes,
    badges,
    bits: typeof item.bits === 'number' && Number.isInteger(item.bits) && item.bits > 0 ? item.bits : 0,
    isAction: item.is_action === true || item.action_type === 'action',
    replyTo: str(reply) ?? str(obj(reply)?.message_id) ?? str(obj(reply)?.id) ?? str(item.in_reply_to_message_id),
    kind: kindOf(messageType),
    isDeleted: item.is_deleted === true,
    offsetKey,
  };
}

/** 0.2 badge objects: Twitch `{name, version}`, YouTube `{title, icon_name}`. */
function badgeList(list: unknown[]): string[] {
  const out: string[] = [];
  for (const b of list) {
    const bo = obj(b);
    if (!bo) continue;
    const name = str(bo.name) ?? str(bo.id);
    const version = str(bo.version);
    const badge = name ? (version ? `${name}/${version}` : name) : youtubeBadge(str(bo.title), str(bo.icon_name));
    if (badge) out.push(badge);
  }
  return out;
}

/** 2020 badge strings: IRC `subscriber/12,premium/1` (Twitch) or YouTube titles `Moderator, Member (6 months)`. */
function badgeText(text: string | null): string[] {
  if (!text) return [];
  if (/^[\w-]+\/[\w-]+(,[\w-]+\/[\w-]+)*$/.test(text)) return text.split(',');
  return text.split(/,\s*/).map((t) => youtubeBadge(t)).filter((b): b is string => b !== null);
}
