import { StringDecoder } from 'node:string_decoder';
import type { ChatStager } from './chat-stager.ts';
import type { DetectedChatFormat } from './detect-chat-format.ts';
import { parseIrcLine } from './parse-irc-line.ts';
import { newTextState, parseTextLine } from './parse-text-line.ts';
import { newYoutubeLiveChatState, parseYoutubeLiveChatLine } from './parse-youtube-live-chat.ts';
import type { ParsedRecord } from './raw-chat.ts';
import { readChatBytes, type ReadChatBytesOptions } from './read-chat-bytes.ts';

/**
 * Streams a line-based chat file (raw IRC, plain-text logs, YouTube live-chat JSON lines) into the
 * stager. Every non-empty line is a record, except `#` comment lines of text logs (Chatterino's
 * "# Start logging" headers); a YouTube line is one record per action it holds.
 */
export async function stageLineRecords(
  path: string,
  detected: DetectedChatFormat,
  stager: ChatStager,
  read: ReadChatBytesOptions,
): Promise<void> {
  const timing = detected.textTiming ?? { kind: 'relative' as const };
  const state = newTextState(timing);
  const youtube = newYoutubeLiveChatState();
  const parse: (line: string) => ParsedRecord | ParsedRecord[] | null = detected.format === 'irc'
    ? (line) => parseIrcLine(line)
    : detected.format === 'youtube-live-chat'
      ? (line) => parseYoutubeLiveChatLine(line, youtube)
      : (line) => (line.startsWith('#') ? null : parseTextLine(line, timing, state));
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let index = 0;
  const handle = async (rawLine: string) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim().length === 0) return;
    const parsed = parse(line);
    if (Array.isArray(parsed)) for (const record of parsed) await stager.add(index++, record, line);
    else if (parsed) await stager.add(index++, parsed, line);
  };
  for await (const chunk of readChatBytes(path, read)) {
    const text = carry + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      await handle(text.slice(start, nl));
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  carry += decoder.end();
  if (carry.length > 0) await handle(carry);
}
