import type { TranscriptSegment, TranscriptWord } from './transcript.ts';

/** What each caption parser returns: words and segments on the media timeline, plus how words were timed. */
export interface ParsedCaptions {
  words: TranscriptWord[];
  segments: TranscriptSegment[];
  /** 'word': the file times each word; 'interpolated': only cue times, word times spread by length. */
  wordTiming: 'word' | 'interpolated';
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

/** Caption text to plain words: entities decoded, tags and [Music]-style annotations removed. */
export function captionTextWords(text: string): string[] {
  const tokens = text
    .replace(/<[^>]*>/g, '')
    .replace(/&(#?\w+);/g, (whole, name: string) => ENTITIES[name] ?? whole)
    .replace(/\[[^\]]*\]/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
  // French typography puts a space before ? ! : ; — the mark belongs to the word before it.
  const words: string[] = [];
  for (const token of tokens) {
    if (words.length > 0 && /^[^\p{L}\p{N}]+$/u.test(token)) words[words.length - 1] += token;
    else words.push(token);
  }
  return words;
}

/** Spread a cue's words over its time, each word's share proportional to its length (captions without word times). */
export function interpolateWords(words: string[], startMs: number, endMs: number): TranscriptWord[] {
  const total = words.reduce((sum, w) => sum + w.length, 0);
  const span = Math.max(0, endMs - startMs);
  let used = 0;
  return words.map((word) => {
    const start = startMs + Math.round((span * used) / total);
    used += word.length;
    return { word, start_ms: start, end_ms: startMs + Math.round((span * used) / total), confidence: null };
  });
}

/** Appends a segment over `words` (skipped when empty) and the words themselves. */
export function pushSegment(into: ParsedCaptions, words: TranscriptWord[], text?: string): void {
  if (words.length === 0) return;
  into.segments.push({
    id: into.segments.length,
    start_ms: words[0]!.start_ms,
    end_ms: Math.max(...words.map((w) => w.end_ms)),
    text: text ?? words.map((w) => w.word).join(' '),
  });
  into.words.push(...words);
}
