import { captionTimeMs } from './caption-time.ts';
import { captionTextWords, interpolateWords, pushSegment, type ParsedCaptions } from './caption-words.ts';
import type { TranscriptWord } from './transcript.ts';

interface Cue {
  startMs: number;
  endMs: number;
  lines: string[];
}

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})/;
const INLINE_TIME = /<((?:\d+:)?\d{1,2}:\d{2}\.\d{3})>/;

/** Cues of a WebVTT (or SRT) text: timing line, then text lines up to a blank line. Headers, NOTE/STYLE blocks skipped. */
export function readCues(text: string): Cue[] {
  const cues: Cue[] = [];
  let current: Cue | null = null;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const timing = TIMING.exec(line);
    if (timing) {
      current = { startMs: captionTimeMs(timing[1]!), endMs: captionTimeMs(timing[2]!), lines: [] };
      cues.push(current);
    } else if (line.trim() === '') {
      current = null;
    } else if (current) {
      current.lines.push(line);
    }
  }
  return cues;
}

const clean = (line: string): string => captionTextWords(line).join(' ');

/** Words of a line with YouTube inline times: text before the first tag starts at the cue start, each tag starts the next word. */
function timedLineWords(line: string, cue: Cue): TranscriptWord[] {
  const pieces = line.split(INLINE_TIME);
  const timed: Array<{ word: string; start: number }> = [];
  let start = cue.startMs;
  for (let i = 0; i < pieces.length; i++) {
    if (i % 2 === 1) {
      start = captionTimeMs(pieces[i]!);
      continue;
    }
    for (const word of captionTextWords(pieces[i]!)) timed.push({ word, start });
  }
  return timed.map((w, i) => {
    const next = timed[i + 1]?.start ?? cue.endMs;
    return { word: w.word, start_ms: w.start, end_ms: Math.max(w.start, next), confidence: null };
  });
}

/**
 * WebVTT captions. YouTube auto captions (inline `<00:05:04.199><c> word</c>` tags) roll: each cue repeats the
 * previous cue's line, so in such files only lines not shown by the previous cue are new. Files without inline
 * times (manual captions, one-cue-per-word exports) take every cue as it is.
 *
 * @example
 * parseWebVtt('WEBVTT\n\n00:01.000 --> 00:02.000\nhello there\n').words.length // 2
 */
export function parseWebVtt(text: string): ParsedCaptions {
  const cues = readCues(text);
  const rolling = cues.some((cue) => cue.lines.some((line) => INLINE_TIME.test(line)));
  const out: ParsedCaptions = { words: [], segments: [], wordTiming: rolling ? 'word' : 'interpolated' };
  let previous = new Set<string>();
  for (const cue of cues) {
    const lines = rolling ? cue.lines.filter((line) => !previous.has(clean(line))) : cue.lines;
    previous = new Set(cue.lines.map(clean));
    const timed = lines.filter((line) => INLINE_TIME.test(line));
    const untimed = lines.filter((line) => !INLINE_TIME.test(line)).flatMap(captionTextWords);
    const words = [...interpolateWords(untimed, cue.startMs, cue.endMs), ...timed.flatMap((line) => timedLineWords(line, cue))];
    pushSegment(out, words.sort((a, b) => a.start_ms - b.start_ms));
  }
  return out;
}
