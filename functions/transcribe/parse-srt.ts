import { captionTextWords, interpolateWords, pushSegment, type ParsedCaptions } from './caption-words.ts';
import { readCues } from './parse-webvtt.ts';

/**
 * SRT captions: cue times only, so word times are spread over each cue by word length.
 *
 * @example
 * parseSrt('1\n00:00:00,080 --> 00:00:03,760\nThe web as we know it\n').segments[0]?.start_ms // 80
 */
export function parseSrt(text: string): ParsedCaptions {
  const out: ParsedCaptions = { words: [], segments: [], wordTiming: 'interpolated' };
  for (const cue of readCues(text)) {
    const words = cue.lines.flatMap(captionTextWords);
    pushSegment(out, interpolateWords(words, cue.startMs, cue.endMs), words.join(' '));
  }
  return out;
}
