import { z } from 'zod';

/**
 * The TwitchDownloader chat JSON (format 1.4, the layout with `FileInfo`) as the sample writes it.
 * Field names follow TwitchDownloader's ChatRoot; see /formats README §1f for the history.
 * Readers should still accept the looser real-world variants (null badge lists, missing colours).
 */
export const TdFragment = z.object({
  text: z.string(),
  emoticon: z.object({ emoticon_id: z.string() }).nullable(),
});

export const TdMessage = z.object({
  body: z.string(),
  bits_spent: z.number().int(),
  fragments: z.array(TdFragment),
  user_badges: z.array(z.object({ _id: z.string(), version: z.string() })),
  user_color: z.string().nullable(),
  /** TwitchDownloader omits this object when there is no notice (plain chat). */
  user_notice_params: z.object({ msg_id: z.string() }).optional(),
  /** `begin`/`end` are inclusive UTF-16 indexes into `body`. */
  emoticons: z.array(z.object({ _id: z.string(), begin: z.number().int(), end: z.number().int() })),
});
export type TdMessage = z.infer<typeof TdMessage>;

export const TdCommenter = z.object({
  display_name: z.string(),
  _id: z.string(),
  name: z.string(),
  bio: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  logo: z.string().nullable(),
});
export type TdCommenter = z.infer<typeof TdCommenter>;

export const TdComment = z.object({
  _id: z.string(),
  created_at: z.string(),
  channel_id: z.string(),
  content_type: z.literal('video'),
  content_id: z.string(),
  content_offset_seconds: z.number(),
  commenter: TdCommenter,
  message: TdMessage,
});
export type TdComment = z.infer<typeof TdComment>;

export const TwitchDownloaderChatFile = z.object({
  FileInfo: z.object({
    Version: z.object({ Major: z.number().int(), Minor: z.number().int(), Patch: z.number().int() }),
    CreatedAt: z.string(),
    UpdatedAt: z.string(),
  }),
  streamer: z.object({ name: z.string(), login: z.string(), id: z.number().int() }),
  clipper: z.null(),
  video: z.object({
    title: z.string(),
    description: z.string(),
    id: z.string(),
    created_at: z.string(),
    start: z.number(),
    end: z.number(),
    length: z.number(),
    viewCount: z.number().int(),
    game: z.string(),
    chapters: z.array(z.unknown()),
  }),
  comments: z.array(TdComment),
  embeddedData: z.null(),
});
export type TwitchDownloaderChatFile = z.infer<typeof TwitchDownloaderChatFile>;

/**
 * Splits a chat line into TwitchDownloader fragments: runs of plain text, and one fragment per
 * first-party emote word (third-party emotes like KEKW stay plain text, as in real files).
 *
 * @example
 * toFragments('no way LUL', { LUL: '425618' });
 * // fragments [{text:'no way ', emoticon:null}, {text:'LUL', emoticon:{emoticon_id:'425618'}}],
 * // emoticons [{_id:'425618', begin:7, end:9}]
 */
export function toFragments(
  body: string,
  emoteIds: Readonly<Record<string, string>>,
): Pick<TdMessage, 'fragments' | 'emoticons'> {
  const fragments: TdMessage['fragments'] = [];
  const emoticons: TdMessage['emoticons'] = [];
  let text = '';
  let pos = 0;
  for (const token of body.split(' ')) {
    const id = Object.hasOwn(emoteIds, token) ? emoteIds[token] : undefined;
    if (id !== undefined) {
      if (text) fragments.push({ text, emoticon: null });
      text = '';
      fragments.push({ text: token, emoticon: { emoticon_id: id } });
      emoticons.push({ _id: id, begin: pos, end: pos + token.length - 1 });
      text = ' ';
    } else {
      text += token + ' ';
    }
    pos += token.length + 1;
  }
  // Every token added one separating space; the line's last one has nothing to separate.
  text = text.slice(0, -1);
  if (text) fragments.push({ text, emoticon: null });
  return { fragments, emoticons };
}
