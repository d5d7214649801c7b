import type { ChatEmote } from './chat-message.ts';
import { emotesFromFragments, emotesFromNames, emotesFromRanges } from './chat-emotes.ts';
import { isoToMs, kindOfNotice, obj, reject, secondsToMs, str, type ParsedRecord } from './raw-chat.ts';

/** Ids that writers use as placeholders (redacted dumps write "0"); they identify nothing. */
const PLACEHOLDER_IDS = new Set(['0', '']);

/**
 * One comment of a TwitchDownloader file (any version), a v5/rechat `comments` array, or a derived
 * TwitchDownloader file (`messages[]` with `twitch_emotes`) → RawChat. The three share the v5
 * comment shape; they differ in which optional keys are present.
 *
 * @example
 * parseTwitchComment({ _id: 'x', content_offset_seconds: 1.5, commenter: {...}, message: { body: 'hi' } })
 */
export function parseTwitchComment(record: unknown): ParsedRecord {
  const c = obj(record);
  if (!c) return reject('not-an-object', `record is ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`);
  // v5 kept comments that viewers typed on the VOD after the stream with the live chat; they react to nothing live.
  if (c.source === 'comment') return reject('vod-comment', 'written on the VOD after the stream (source "comment"), not live chat');
  const offsetMs = secondsToMs(c.content_offset_seconds);
  if (offsetMs === null) return reject('missing-offset', 'no content_offset_seconds');
  if (Number.isNaN(offsetMs) || offsetMs < 0) return reject('invalid-offset', `content_offset_seconds = ${JSON.stringify(c.content_offset_seconds)}`);
  const message = obj(c.message);
  if (!message) return reject('missing-message', c.message === null ? 'message is null' : 'no message object');

  const fragments: { text: string; emoteId: string | null }[] = [];
  if (Array.isArray(message.fragments)) {
    for (const f of message.fragments) {
      const fo = obj(f);
      if (!fo || typeof fo.text !== 'string') continue;
      const emoticon = obj(fo.emoticon);
      fragments.push({ text: fo.text, emoteId: emoticon ? str(emoticon.emoticon_id) : null });
    }
  }
  let text: string | null = typeof message.body === 'string' ? message.body : null;
  if (text === null && fragments.length > 0) text = fragments.map((f) => f.text).join('');
  if (text === null) return reject('missing-text', 'message has no body');

  let emotes: ChatEmote[] = emotesFromFragments(text, fragments);
  if (emotes.length === 0 && Array.isArray(message.emoticons)) {
    const ranges: { id: string; begin: number; end: number }[] = [];
    for (const e of message.emoticons) {
      const eo = obj(e);
      const id = eo ? str(eo._id) : null;
      if (eo && id && typeof eo.begin === 'number' && typeof eo.end === 'number') ranges.push({ id, begin: eo.begin, end: eo.end });
    }
    emotes = emotesFromRanges(text, ranges);
  }
  if (emotes.length === 0) {
    const named = obj(message.twitch_emotes);
    if (named) emotes = emotesFromNames(text, named as Record<string, string>);
  }

  const badges: string[] = [];
  if (Array.isArray(message.user_badges)) {
    for (const b of message.user_badges) {
      const bo = obj(b);
      const name = bo ? str(bo._id) : null;
      if (!bo || !name) continue;
      const version = str(bo.version);
      badges.push(version ? `${name}/${version}` : name);
    }
  }
  const notice = obj(message.user_notice_params);
  const noticeId = notice ? str(notice['msg-id']) ?? str(notice.msg_id) : null;
  const commenter = obj(c.commenter);
  const rawId = str(c._id) ?? str(c.id);
  const bits = typeof message.bits_spent === 'number' && Number.isInteger(message.bits_spent) && message.bits_spent > 0 ? message.bits_spent : 0;
  const state = str(c.state);
  return {
    id: rawId !== null && !PLACEHOLDER_IDS.has(rawId) ? rawId : null,
    offsetMs,
    sentMs: isoToMs(c.created_at),
    authorId: commenter ? nonPlaceholder(str(commenter._id)) : null,
    authorLogin: commenter ? str(commenter.name) ?? loginFromDisplay(str(commenter.display_name)) : null,
    authorDisplay: commenter ? str(commenter.display_name) : null,
    text,
    emotes,
    badges,
    bits,
    isAction: message.is_action === true,
    replyTo: str(obj(c.reply)?.parent_msg_id) ?? str(message.reply_parent_msg_id),
    kind: kindOfNotice(noticeId),
    isDeleted: state !== null && state !== 'published',
    vodId: str(c.content_id),
  };
}

function nonPlaceholder(id: string | null): string | null {
  return id !== null && !PLACEHOLDER_IDS.has(id) ? id : null;
}

/** ASCII display names differ from the login only by case; others (CJK names) say nothing about it. */
export function loginFromDisplay(display: string | null): string | null {
  return display !== null && /^[A-Za-z0-9_]+$/.test(display) ? display.toLowerCase() : null;
}
