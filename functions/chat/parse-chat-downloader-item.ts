import type { ChatEmote, ChatKind } from './chat-message.ts';
import { emotesFromRanges } from './chat-emotes.ts';
import { obj, reject, secondsToMs, str, type ParsedRecord } from './raw-chat.ts';

const SUB_TYPES = /sub|gift|upgrade|payforward/;

function kindOf(messageType: string | null): ChatKind {
  if (messageType === null || messageType === 'text_message' || messageType === 'highlighted_message') return 'message';
  if (messageType === 'raid') return 'raid';
  if (SUB_TYPES.test(messageType)) return 'sub';
  return 'notice';
}

/**
 * One item of chat-downloader's JSON output → RawChat. Handles the 2020 `chat_replay_downloader`
 * item (`author` is a plain name, `timestamp` in µs) and the richer 0.2 item (`message_id`,
 * `author{id,name,display_name,badges}`, `emotes`, `message_type`, `in_reply_to`).
 *
 * @example
 * parseChatDownloaderItem({ author: 'jump3N', message: 'hi', time_in_seconds: 307.0, timestamp: 1562541137129857 })
 */
export function parseChatDownloaderItem(record: unknown): ParsedRecord {
  const item = obj(record);
  if (!item) return reject('not-an-object', `record is ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`);
  const offsetMs = secondsToMs(item.time_in_seconds);
  if (offsetMs === null) return reject('missing-offset', 'no time_in_seconds');
  if (Number.isNaN(offsetMs) || offsetMs < 0) return reject('invalid-offset', `time_in_seconds = ${JSON.stringify(item.time_in_seconds)}`);
  if (typeof item.message !== 'string') return reject('missing-text', item.message === null ? 'message is null' : 'no message text');
  const text = item.message;

  const author = obj(item.author);
  const authorName = author ? null : str(item.author);
  const badges: string[] = [];
  if (author && Array.isArray(author.badges)) {
    for (const b of author.badges) {
      const bo = obj(b);
      const name = bo ? str(bo.name) ?? str(bo.id) : null;
      if (!bo || !name) continue;
      const version = str(bo.version);
      badges.push(version ? `${name}/${version}` : name);
    }
  }
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
  const login = author ? str(author.name) : null;
  return {
    id: str(item.message_id),
    offsetMs,
    sentMs: timestamp,
    authorId: author ? str(author.id) : null,
    authorLogin: login ?? (authorName ? authorName.toLowerCase() : null),
    authorDisplay: author ? str(author.display_name) ?? login : authorName,
    text,
    emotes,
    badges,
    bits: typeof item.bits === 'number' && Number.isInteger(item.bits) && item.bits > 0 ? item.bits : 0,
    isAction: item.is_action === true || item.action_type === 'action',
    replyTo: str(reply) ?? str(obj(reply)?.message_id) ?? str(obj(reply)?.id),
    kind: kindOf(messageType),
    isDeleted: item.is_deleted === true,
  };
}
