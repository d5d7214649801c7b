import { StringDecoder } from 'node:string_decoder';
import type { ChatSourceFormat } from './chat-message.ts';
import { ChatFormatError } from './chat-format-error.ts';
import type { ChatStager } from './chat-stager.ts';
import { CsvRowSplitter, type CsvRow } from './csv-row-splitter.ts';
import { parseChatDownloaderItem } from './parse-chat-downloader-item.ts';
import { parseTwitchComment } from './parse-twitch-comment.ts';
import { reject, type ParsedRecord } from './raw-chat.ts';
import { readChatBytes, type ReadChatBytesOptions } from './read-chat-bytes.ts';

/** Flattened v5 columns (`commenter_display_name`, `message_body`, `message_fragments`) back into the comment shape. */
function v5Comment(header: string[], fields: string[]): Record<string, unknown> {
  const comment: Record<string, unknown> = {};
  const commenter: Record<string, unknown> = {};
  const message: Record<string, unknown> = {};
  header.forEach((key, k) => {
    const value = fields[k] ?? '';
    if (key.startsWith('commenter_')) commenter[key.slice('commenter_'.length)] = value;
    else if (key.startsWith('message_')) {
      const name = key.slice('message_'.length);
      if (name === 'fragments' || name === 'emoticons' || name === 'user_badges') {
        try {
          message[name] = JSON.parse(value);
        } catch {
          message[name] = null;
        }
      } else message[name] = value;
    } else comment[key] = value;
  });
  if (Object.keys(commenter).length > 0) comment.commenter = commenter;
  if (Object.keys(message).length > 0) comment.message = message;
  return comment;
}

/** chat-downloader CSV columns; numbers come back as numbers where the JSON had them. */
function chatDownloaderItem(header: string[], fields: string[]): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  header.forEach((key, k) => {
    const value = fields[k] ?? '';
    if (key === 'timestamp' && /^\d+$/.test(value)) item[key] = Number(value);
    else if (key === 'author.display_name' || key === 'author.name' || key === 'author.id') {
      const author = (item.author ??= {}) as Record<string, unknown>;
      author[key.slice('author.'.length)] = value;
    } else item[key] = value;
  });
  return item;
}

/**
 * Streams a CSV chat export (chat-downloader's `.csv`, flattened v5 comments) into the stager:
 * the header names the columns, every later non-empty row is a record.
 */
export async function stageCsvRecords(path: string, format: ChatSourceFormat, stager: ChatStager, read: ReadChatBytesOptions): Promise<void> {
  const toRecord = format === 'chat-downloader' ? chatDownloaderItem : v5Comment;
  const parse = format === 'chat-downloader' ? parseChatDownloaderItem : parseTwitchComment;
  const splitter = new CsvRowSplitter();
  const decoder = new StringDecoder('utf8');
  let header: string[] | null = null;
  let index = 0;
  const handle = async (row: CsvRow) => {
    if (row.text.trim().length === 0) return;
    if (header === null) {
      header = row.fields.map((f) => f.trim());
      return;
    }
    const parsed: ParsedRecord = row.fields.length !== header.length
      ? reject('malformed-line', `${row.fields.length} fields, header has ${header.length}`)
      : parse(toRecord(header, row.fields));
    await stager.add(index++, parsed, row.text);
  };
  for await (const chunk of readChatBytes(path, read)) {
    for (const row of splitter.push(decoder.write(chunk))) await handle(row);
  }
  for (const row of splitter.push(decoder.end())) await handle(row);
  const last = splitter.end();
  if (last.unterminated) throw new ChatFormatError('truncated', path, 'CSV ends inside a quoted field');
  if (last.row) await handle(last.row);
}
