import type { ChatSourceFormat } from './chat-message.ts';
import { ChatFormatError } from './chat-format-error.ts';
import type { ChatStager } from './chat-stager.ts';
import { JsonRecordScanner } from './json-record-scanner.ts';
import { parseChatDownloaderItem } from './parse-chat-downloader-item.ts';
import { parseIrcLine } from './parse-irc-line.ts';
import { parseTwitchComment } from './parse-twitch-comment.ts';
import { obj, reject, str, type ParsedRecord } from './raw-chat.ts';
import { readChatBytes, type ReadChatBytesOptions } from './read-chat-bytes.ts';

/** What the part of a JSON chat file outside its records says. */
export interface JsonHeaderInfo {
  vodId: string | null;
  /** Emote names from TwitchDownloader `embeddedData` (third- and first-party). */
  emoteNames: string[];
}

/**
 * Streams a JSON chat file (TwitchDownloader, v5/rechat, chat-downloader, recent-messages IRC) through the record
 * scanner into the stager, one record at a time, and reads the small rest for metadata.
 */
export async function stageJsonRecords(
  path: string,
  format: ChatSourceFormat,
  stager: ChatStager,
  read: ReadChatBytesOptions,
): Promise<JsonHeaderInfo> {
  const parse = format === 'chat-downloader' ? parseChatDownloaderItem : format === 'irc' ? parseIrcString : parseTwitchComment;
  const scanner = new JsonRecordScanner();
  let index = 0;
  for await (const chunk of readChatBytes(path, read)) {
    for (const text of scanner.push(chunk)) await stager.add(index++, parseRecord(text, parse), text);
  }
  const end = scanner.end();
  if (end.top === null) throw new ChatFormatError('empty', path, 'file contains only whitespace');
  if (end.top === 'other') throw new ChatFormatError('unknown-shape', path, 'not a JSON object or array');
  if (end.truncated) throw new ChatFormatError('truncated', path, `JSON ends early (truncated after ${index} complete records)`);
  if (end.trailingGarbage) throw new ChatFormatError('malformed', path, 'unexpected data after the end of the JSON document');
  let header: unknown;
  try {
    header = JSON.parse(end.header);
  } catch (error) {
    throw new ChatFormatError('malformed', path, `malformed JSON outside the records (${(error as Error).message})`, { cause: error });
  }
  const top = obj(header);
  if (end.recordsKey === null) {
    // A file holding one v5 comment (the API's single-comment response).
    if (top && 'content_offset_seconds' in top && format !== 'chat-downloader' && format !== 'irc') {
      await stager.add(index++, parse(top), end.header);
    } else {
      throw new ChatFormatError('unknown-shape', path, 'no "comments" or "messages" array: not a known chat format');
    }
  }
  return headerInfo(top);
}

/** recent-messages / Chatterino JSON: each record is one raw IRC line as a JSON string. */
function parseIrcString(record: unknown): ParsedRecord {
  return typeof record === 'string' ? parseIrcLine(record) : reject('malformed-record', 'expected a raw IRC line (a JSON string)');
}

function parseRecord(text: string, parse: (record: unknown) => ParsedRecord): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return reject('malformed-record', (error as Error).message.slice(0, 200));
  }
  return parse(value);
}

function headerInfo(top: Record<string, unknown> | null): JsonHeaderInfo {
  if (!top) return { vodId: null, emoteNames: [] };
  const video = obj(top.video);
  const info = obj(top.twitch_info);
  const v5Id = str(video?._id);
  const vodId = str(video?.id) ?? (v5Id ? v5Id.replace(/^v/, '') : null) ?? str(info?.video_id);
  const emoteNames: string[] = [];
  const embedded = obj(top.embeddedData);
  for (const key of ['thirdParty', 'firstParty']) {
    const list = embedded?.[key];
    if (!Array.isArray(list)) continue;
    for (const emote of list) {
      const name = str(obj(emote)?.name);
      if (name) emoteNames.push(name);
    }
  }
  return { vodId, emoteNames };
}
