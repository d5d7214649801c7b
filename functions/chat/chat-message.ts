import { z } from 'zod';

/**
 * The canonical chat record (DESIGN.md "Canonical records"). Field names are a contract:
 * CLI output, lake tables and tests all use them.
 *
 * @example
 * ChatMessage.parse({ vod_id: 'v1', message_id: 'm1', offset_ms: 1234, ... })
 */
export const ChatEmote = z.object({
  id: z.string(),
  name: z.string(),
  start: z.number().int(),
  end: z.number().int(),
});
export type ChatEmote = z.infer<typeof ChatEmote>;

export const ChatKind = z.enum(['message', 'sub', 'raid', 'notice']);
export type ChatKind = z.infer<typeof ChatKind>;

export const ChatSourceFormat = z.enum(['twitchdownloader', 'rechat', 'chat-downloader', 'irc', 'text', 'youtube-live-chat']);
export type ChatSourceFormat = z.infer<typeof ChatSourceFormat>;

export const ChatMessage = z.object({
  vod_id: z.string(),
  message_id: z.string(),
  offset_ms: z.number().int(),
  sent_at: z.string().nullable(),
  author_id: z.string().nullable(),
  author_login: z.string().nullable(),
  author_display: z.string().nullable(),
  text: z.string(),
  emotes: z.array(ChatEmote),
  badges: z.array(z.string()),
  bits: z.number().int(),
  is_action: z.boolean(),
  reply_to: z.string().nullable(),
  kind: ChatKind,
  is_bot: z.boolean(),
  is_command: z.boolean(),
  is_emote_only: z.boolean(),
  is_deleted: z.boolean(),
  source_format: ChatSourceFormat,
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** An input record that could not be used, with why. `record_index` is its 0-based position in the file. */
export const ChatReject = z.object({
  vod_id: z.string(),
  record_index: z.number().int(),
  reason: z.string(),
  detail: z.string().nullable(),
  raw: z.string().nullable(),
  source_format: ChatSourceFormat,
});
export type ChatReject = z.infer<typeof ChatReject>;
