import type { ChatEmote, ChatKind } from './chat-message.ts';
import { millisToMs, obj, reject, str, type ParsedRecord, type RawChat } from './raw-chat.ts';
import { youtubeBadge } from './youtube-badge.ts';

/** Carried from line to line: the latest server time seen, the moment an author-wide deletion applies to. */
export interface YoutubeLiveChatState {
  lastSentMs: number | null;
}

export function newYoutubeLiveChatState(): YoutubeLiveChatState {
  return { lastSentMs: null };
}

/** Renderers that are messages typed by a viewer, and the kind each is. */
const MESSAGE_RENDERERS: Record<string, ChatKind> = {
  liveChatTextMessageRenderer: 'message',
  liveChatPaidMessageRenderer: 'message',
  liveChatPaidStickerRenderer: 'message',
  liveChatMembershipItemRenderer: 'sub',
  liveChatSponsorshipsGiftPurchaseAnnouncementRenderer: 'sub',
  liveChatSponsorshipsGiftRedemptionAnnouncementRenderer: 'sub',
};

/**
 * One line of a YouTube live-chat replay as yt-dlp saves it (`<video>.live_chat.json`: one JSON
 * object per line, `replayChatItemAction{actions[], videoOffsetTimeMsec}`) → one record per action:
 * chat items (text, Super Chat, membership), moderation (`markChatItemAsDeletedAction`,
 * `markChatItemsByAuthorAsDeletedAction`), or a reject naming what the action is instead.
 * `videoOffsetTimeMsec` is the exact VOD offset; `timestampUsec` the server time.
 *
 * @example
 * parseYoutubeLiveChatLine('{"replayChatItemAction":{"actions":[…],"videoOffsetTimeMsec":"78779"}}', state)
 */
export function parseYoutubeLiveChatLine(line: string, state: YoutubeLiveChatState): ParsedRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return [reject('malformed-record', (error as Error).message.slice(0, 200))];
  }
  const top = obj(value);
  if (!top) return [reject('not-an-object', 'line is not a JSON object')];
  const replay = obj(top.replayChatItemAction);
  // Live (not replayed) captures hold the actions themselves, without an offset.
  const actions = replay ? replay.actions : [top];
  const offsetMs = replay ? millisToMs(replay.videoOffsetTimeMsec) : null;
  if (!Array.isArray(actions) || actions.length === 0) return [reject('not-chat', 'no chat actions on this line')];
  return actions.map((action) => parseAction(obj(action), offsetMs, state));
}

function parseAction(action: Record<string, unknown> | null, offsetMs: number | null, state: YoutubeLiveChatState): ParsedRecord {
  if (!action) return reject('not-an-object', 'action is not an object');
  const deleted = obj(action.markChatItemAsDeletedAction);
  if (deleted) {
    const target = str(deleted.targetItemId);
    return target ? { moderation: 'message', targetId: target, targetLogin: null, atMs: state.lastSentMs, channel: null } : reject('malformed-record', 'deletion without targetItemId');
  }
  const byAuthor = obj(action.markChatItemsByAuthorAsDeletedAction);
  if (byAuthor) {
    const channelId = str(byAuthor.externalChannelId);
    // The replay does not date the deletion: it removes what that author sent before this line.
    return channelId ? { moderation: 'user', targetId: channelId, targetLogin: null, atMs: state.lastSentMs, channel: null } : reject('malformed-record', 'author deletion without externalChannelId');
  }
  const item = obj(obj(action.addChatItemAction)?.item);
  if (!item) return reject('not-chat', `YouTube ${Object.keys(action).find((k) => k !== 'clickTrackingParams') ?? 'action'}`);
  const rendererName = Object.keys(item).find((k) => k in MESSAGE_RENDERERS);
  if (!rendererName) return reject('not-chat', `YouTube ${Object.keys(item)[0] ?? 'item'}`);
  const r = obj(item[rendererName])!;
  if (offsetMs === null) return reject('missing-offset', 'no videoOffsetTimeMsec');
  if (Number.isNaN(offsetMs) || offsetMs < 0) return reject('invalid-offset', 'videoOffsetTimeMsec is not a non-negative number');
  const usec = millisToMs(r.timestampUsec);
  const sentMs = usec === null || Number.isNaN(usec) ? null : Math.floor(usec / 1000);
  if (sentMs !== null) state.lastSentMs = Math.max(state.lastSentMs ?? sentMs, sentMs);
  const message = runsText(obj(r.message)) ?? runsText(obj(r.headerSubtext)) ?? runsText(obj(r.headerPrimaryText));
  const display = simpleText(r.authorName);
  const badges: string[] = [];
  if (Array.isArray(r.authorBadges)) {
    for (const b of r.authorBadges) {
      const badge = obj(obj(b)?.liveChatAuthorBadgeRenderer);
      const name = badge ? youtubeBadge(str(badge.tooltip), str(obj(badge.icon)?.iconType)) : null;
      if (name) badges.push(name);
    }
  }
  const chat: RawChat = {
    id: str(r.id),
    offsetMs,
    sentMs,
    authorId: str(r.authorExternalChannelId),
    // Handles (`@name`) are unique and case-insensitive, like a Twitch login; older plain names are not.
    authorLogin: display?.startsWith('@') ? display.slice(1).toLowerCase() : null,
    authorDisplay: display,
    text: message?.text ?? null,
    emotes: message?.emotes ?? [],
    badges,
    bits: 0,
    isAction: false,
    replyTo: null,
    kind: MESSAGE_RENDERERS[rendererName]!,
    isDeleted: false,
  };
  return chat;
}

function simpleText(value: unknown): string | null {
  const o = obj(value);
  if (!o) return null;
  return str(o.simpleText) ?? runsText(o)?.text ?? null;
}

/**
 * `{runs: [{text}, {emoji}]}` → text and emotes. Custom (channel) emoji are written as their
 * shortcut (`:_TechnoHeart:`) and become emotes; standard emoji become their character.
 */
function runsText(message: Record<string, unknown> | null): { text: string; emotes: ChatEmote[] } | null {
  if (!message) return null;
  if (!Array.isArray(message.runs)) return str(message.simpleText) ? { text: str(message.simpleText)!, emotes: [] } : null;
  let text = '';
  let at = 0;
  const emotes: ChatEmote[] = [];
  for (const run of message.runs) {
    const ro = obj(run);
    if (!ro) continue;
    if (typeof ro.text === 'string') {
      text += ro.text;
      at += Array.from(ro.text).length;
      continue;
    }
    const emoji = obj(ro.emoji);
    if (!emoji) continue;
    const shortcuts = Array.isArray(emoji.shortcuts) ? emoji.shortcuts.filter((x): x is string => typeof x === 'string') : [];
    const id = str(emoji.emojiId);
    const custom = emoji.isCustomEmoji === true;
    const piece = custom ? shortcuts[0] ?? id : id ?? shortcuts[0];
    if (!piece) continue;
    const length = Array.from(piece).length;
    if (custom && id) emotes.push({ id, name: piece, start: at, end: at + length - 1 });
    text += piece;
    at += length;
  }
  return { text, emotes };
}
