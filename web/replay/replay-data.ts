import type { ChatMessage } from '../../functions/chat/chat-message.ts';
import type { TranscriptSegment, TranscriptWord } from '../../functions/transcribe/transcript.ts';

/** A chat message as the page shows it: `[offset_ms, author, text]`, compact for long VODs. */
export type ReplayMessage = [offset_ms: number, author: string, text: string];

export interface ReplayColumn {
  id: 'real' | 'generated';
  label: string;
  /** Where the messages came from (a file, a lake table, a simulation id). */
  source: string;
  /** In VOD time order. */
  messages: ReplayMessage[];
}

/** One stretch of the estimated chat lag (a row of `silver.chat_offsets`, or of `dougpt align`'s offsets). */
export interface ReplayLag {
  from_ms: number;
  to_ms: number;
  lag_ms: number;
  confidence: number;
  method: string;
}

/** A line of the transcript shown under the player. */
export interface ReplayLine {
  start_ms: number;
  end_ms: number;
  text: string;
}

export interface ReplayMedia {
  /** The file served at /media (Range requests answered). */
  path: string;
  kind: 'video' | 'audio';
  content_type: string;
}

/** Everything the replay page shows, loaded once by the server. */
export interface ReplayData {
  vod_id: string;
  title: string | null;
  duration_ms: number | null;
  media: ReplayMedia;
  /** Empty when there is no alignment (no transcript given). */
  lag: ReplayLag[];
  /** Which alignment the lag comes from. */
  align: string | null;
  transcript: ReplayLine[];
  columns: [ReplayColumn, ReplayColumn];
}

/** What GET /api/replay answers: the data without local paths. */
export function replayPayload(data: ReplayData): Record<string, unknown> {
  const { media, ...rest } = data;
  return { ...rest, media: { url: '/media', kind: media.kind, content_type: media.content_type } };
}

/** Chat that is shown: no deleted messages; bots and notices stay (they were on screen). */
export function toReplayMessages(messages: readonly Pick<ChatMessage, 'offset_ms' | 'author_display' | 'author_login' | 'text' | 'is_deleted'>[]): ReplayMessage[] {
  return messages
    .filter((m) => !m.is_deleted)
    .map((m): ReplayMessage => [m.offset_ms, m.author_display ?? m.author_login ?? '', m.text])
    .sort((a, b) => a[0] - b[0]);
}

const LINE_GAP_MS = 1_500;
const LINE_MAX_MS = 8_000;

/**
 * Transcript lines: the recogniser's segments when there are any, else words grouped at pauses
 * (or every ~8 s), so a recogniser without segments still reads as lines.
 */
export function transcriptLines(words: readonly Pick<TranscriptWord, 'word' | 'start_ms' | 'end_ms'>[], segments: readonly TranscriptSegment[]): ReplayLine[] {
  if (segments.length > 0) return segments.map((s) => ({ start_ms: s.start_ms, end_ms: s.end_ms, text: s.text.trim() })).sort((a, b) => a.start_ms - b.start_ms);
  const lines: ReplayLine[] = [];
  for (const w of [...words].sort((a, b) => a.start_ms - b.start_ms)) {
    const last = lines.at(-1);
    if (last && w.start_ms - last.end_ms < LINE_GAP_MS && w.end_ms - last.start_ms < LINE_MAX_MS) {
      last.text += ` ${w.word}`;
      last.end_ms = Math.max(last.end_ms, w.end_ms);
    } else lines.push({ start_ms: w.start_ms, end_ms: w.end_ms, text: w.word });
  }
  return lines;
}

/** Content type of a media file by extension; the page plays video containers browsers read, else audio. */
export function mediaType(path: string): { kind: 'video' | 'audio'; content_type: string } {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  const video: Record<string, string> = { mp4: 'video/mp4', m4v: 'video/mp4', mov: 'video/mp4', webm: 'video/webm', mkv: 'video/webm', ogv: 'video/ogg' };
  const audio: Record<string, string> = { flac: 'audio/flac', mp3: 'audio/mpeg', m4a: 'audio/mp4', aac: 'audio/aac', ogg: 'audio/ogg', opus: 'audio/ogg', wav: 'audio/wav' };
  if (video[ext]) return { kind: 'video', content_type: video[ext] };
  if (audio[ext]) return { kind: 'audio', content_type: audio[ext] };
  return { kind: 'video', content_type: 'application/octet-stream' };
}
