import type { ChatSourceFormat } from './chat-message.ts';
import { ChatFormatError } from './chat-format-error.ts';
import { readChatBytes } from './read-chat-bytes.ts';
import { splitIrcLine } from './parse-irc-line.ts';
import { chatterinoDayStart, isTextChatLine, type TextTiming } from './parse-text-line.ts';

export interface DetectedChatFormat {
  format: ChatSourceFormat;
  /** 'json': one JSON document with a record array; 'lines': one record per line; 'csv': a header row, then records. */
  layout: 'json' | 'lines' | 'csv';
  /** Timestamps are wall-clock, so offsets need the VOD start. */
  wallClock: boolean;
  /** For `text`: how its timestamps read. */
  textTiming: TextTiming | null;
}

const SNIFF_BYTES = 256 * 1024;

/**
 * Looks at the first 256 KiB of a file (gunzipped, BOM-stripped) and names its chat format, or
 * throws a ChatFormatError saying what it is instead (empty, binary, a video, captions, an unknown
 * JSON shape). Fast: it never reads the whole file, so a truncated file is only noticed by the
 * full read.
 *
 * @example
 * await detectChatFormat('chat.json')  // { format: 'twitchdownloader', layout: 'json', wallClock: false, textTiming: null }
 */
export async function detectChatFormat(path: string, forced?: ChatSourceFormat): Promise<DetectedChatFormat> {
  const head = await readPrefix(path);
  const binary = binaryKind(head);
  if (binary) throw new ChatFormatError('binary', path, `${binary}, not a chat log`);
  const text = decodePrefix(head, path);
  const trimmed = text.replace(/^\s+/, '');
  if (trimmed.length === 0) throw new ChatFormatError('empty', path, 'file contains only whitespace');
  if (forced) return forcedFormat(forced, text);
  // Text logs also start with '[' ("[0:01:05] name: text").
  const firstLine = trimmed.slice(0, trimmed.indexOf('\n') >>> 0);
  if (trimmed[0] === '{' || (trimmed[0] === '[' && !isTextChatLine(firstLine.replace(/\r$/, '')))) return detectJson(trimmed, path);
  return detectLines(text, path);
}

async function readPrefix(path: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const chunk of readChatBytes(path, { highWaterMark: 64 * 1024 })) {
    pieces.push(chunk);
    size += chunk.length;
    if (size >= SNIFF_BYTES) break;
  }
  return Buffer.concat(pieces).subarray(0, SNIFF_BYTES);
}

const MAGIC: [string, (b: Buffer) => boolean][] = [
  ['binary data (an MP4/MOV video)', (b) => b.toString('latin1', 4, 8) === 'ftyp'],
  ['binary data (a Matroska/WebM video)', (b) => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3],
  ['binary data (an MPEG-TS video)', (b) => b[0] === 0x47 && b.length > 376 && b[188] === 0x47 && b[376] === 0x47],
  ['binary data (an FLV video)', (b) => b.toString('latin1', 0, 3) === 'FLV'],
  ['binary data (a RIFF/WAV/AVI file)', (b) => b.toString('latin1', 0, 4) === 'RIFF'],
  ['binary data (an MP3 file)', (b) => b.toString('latin1', 0, 3) === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0)],
  ['binary data (a FLAC file)', (b) => b.toString('latin1', 0, 4) === 'fLaC'],
  ['binary data (an Ogg file)', (b) => b.toString('latin1', 0, 4) === 'OggS'],
  ['binary data (a ZIP archive)', (b) => b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04],
  ['binary data (a PDF document)', (b) => b.toString('latin1', 0, 5) === '%PDF-'],
  ['binary data (a PNG image)', (b) => b[0] === 0x89 && b.toString('latin1', 1, 4) === 'PNG'],
  ['binary data (a JPEG image)', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
];

function binaryKind(head: Buffer): string | null {
  for (const [name, test] of MAGIC) if (head.length >= 4 && test(head)) return name;
  if (head.includes(0)) return 'binary data (contains NUL bytes)';
  return null;
}

function decodePrefix(head: Buffer, path: string): string {
  // Cut an incomplete UTF-8 sequence at the end of the sample before decoding strictly.
  let end = head.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const b = head[end - k]!;
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (k < need) end -= k;
    }
    break;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
  } catch {
    throw new ChatFormatError('binary', path, 'binary data (not valid UTF-8 text), not a chat log');
  }
}

function has(text: string, key: string): boolean {
  return text.includes(`"${key}"`);
}

function detectJson(text: string, path: string): DetectedChatFormat {
  const json = (format: ChatSourceFormat): DetectedChatFormat => ({ format, layout: 'json', wallClock: false, textTiming: null });
  if (text[0] === '{') {
    // yt-dlp's YouTube live chat: one action object per line.
    if (has(text, 'replayChatItemAction') || /^\{\s*"(clickTrackingParams|addChatItemAction)"/.test(text)) {
      return { format: 'youtube-live-chat', layout: 'lines', wallClock: false, textTiming: null };
    }
    // Chatterino / recent-messages service: {"messages": ["@tags … PRIVMSG …", …]}.
    if (/"messages"\s*:\s*\[\s*"[@:]/.test(text)) return { format: 'irc', layout: 'json', wallClock: true, textTiming: null };
    if (has(text, 'FileInfo') || (has(text, 'streamer') && has(text, 'comments'))) return json('twitchdownloader');
    if (has(text, 'twitch_info') && has(text, 'messages')) return json('twitchdownloader');
    if (has(text, 'comments') && has(text, 'content_offset_seconds')) return json('rechat');
    if (/^\{\s*"comments"\s*:\s*\[\s*\]/.test(text)) return json('rechat');
    if (has(text, 'content_offset_seconds') && has(text, 'message') && !has(text, 'comments')) return json('rechat');
  } else {
    const first = text.slice(0, 4096);
    if (has(first, 'time_in_seconds') && has(first, 'message')) return json('chat-downloader');
    if (has(first, 'content_offset_seconds')) return json('rechat');
    if (/^\[\s*\]/.test(text)) throw new ChatFormatError('unknown-shape', path, 'an empty JSON array (no records to tell the chat format from)');
  }
  throw new ChatFormatError('unknown-shape', path, `${describeJson(text)}, not a known chat format`);
}

function describeJson(text: string): string {
  if (has(text, 'wireMagic') || has(text, 'wsWinStyles')) return 'YouTube json3 captions';
  if (has(text, 'segments') || has(text, 'word_segments')) return 'a transcript (segments)';
  if (has(text, 'word') && has(text, 'start') && has(text, 'end')) return 'word timestamps';
  const keys = [...text.slice(0, 4096).matchAll(/"([^"\\]{1,40})"\s*:/g)].map((m) => m[1]);
  const unique = [...new Set(keys)].slice(0, 5);
  const what = text[0] === '[' ? 'a JSON array' : 'a JSON object';
  return unique.length > 0 ? `${what} with keys ${unique.join(', ')}` : what;
}

function sampleLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  // The last line of the sample may be cut off.
  if (lines.length > 1) lines.pop();
  return lines.filter((l) => l.trim().length > 0).slice(0, 200);
}

function detectLines(text: string, path: string): DetectedChatFormat {
  const head = text.replace(/^\s+/, '');
  if (/^WEBVTT/.test(head)) throw new ChatFormatError('unknown-shape', path, 'WebVTT captions, not chat');
  if (/^\d+\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{3} --> /.test(head)) throw new ChatFormatError('unknown-shape', path, 'SRT subtitles, not chat');
  const lines = sampleLines(text.length < SNIFF_BYTES ? `${text}\n` : text);
  if (lines.length === 0) throw new ChatFormatError('unknown-shape', path, 'no complete line in the first 256 KiB');
  const irc = lines.filter(looksLikeIrc).length;
  const chat = lines.filter((l) => isTextChatLine(l)).length;
  const content = lines.filter((l) => !l.startsWith('#')).length;
  if (irc >= Math.max(1, lines.length * 0.6)) return { format: 'irc', layout: 'lines', wallClock: true, textTiming: null };
  if (content > 0 && chat >= content * 0.6) return { format: 'text', layout: 'lines', ...textTiming(lines) };
  const columns = lines[0]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (columns.includes('time_in_seconds') && columns.includes('message')) return { format: 'chat-downloader', layout: 'csv', wallClock: false, textTiming: null };
  if (columns.includes('content_offset_seconds')) return { format: 'rechat', layout: 'csv', wallClock: false, textTiming: null };
  throw new ChatFormatError('unknown-shape', path, `not a chat log (first line: ${JSON.stringify(lines[0]!.slice(0, 60))})`);
}

function looksLikeIrc(line: string): boolean {
  if (!(line.startsWith('@') || line.startsWith(':') || /^(PING|PONG|CAP) /.test(line))) return false;
  return splitIrcLine(line) !== null;
}

function textTiming(lines: string[]): Pick<DetectedChatFormat, 'wallClock' | 'textTiming'> {
  const header = lines.find((l) => l.startsWith('# Start logging at'));
  const dayStartMs = header ? chatterinoDayStart(header) : null;
  if (dayStartMs !== null) return { wallClock: true, textTiming: { kind: 'time-of-day', dayStartMs } };
  if (lines.some((l) => /^\[\d{4}-\d{2}-\d{2}[ T]/.test(l))) return { wallClock: true, textTiming: { kind: 'absolute' } };
  return { wallClock: false, textTiming: { kind: 'relative' } };
}

function forcedFormat(format: ChatSourceFormat, text: string): DetectedChatFormat {
  if (format === 'irc') return { format, layout: text.trimStart().startsWith('{') ? 'json' : 'lines', wallClock: true, textTiming: null };
  if (format === 'youtube-live-chat') return { format, layout: 'lines', wallClock: false, textTiming: null };
  if (format === 'text') return { format, layout: 'lines', ...textTiming(sampleLines(`${text}\n`)) };
  return { format, layout: 'json', wallClock: false, textTiming: null };
}
