import { z } from 'zod';
import { pushSegment, type ParsedCaptions } from './caption-words.ts';
import type { TranscriptWord } from './transcript.ts';

// The same word under different keys: openai-whisper/faster-whisper `word`+`probability`, WhisperX `word`+`score`,
// whisper-timestamped `text`+`confidence`. WhisperX leaves out times for words it could not align.
const WhisperWord = z.object({
  word: z.string().optional(),
  text: z.string().optional(),
  start: z.number().nullish(),
  end: z.number().nullish(),
  probability: z.number().nullish(),
  score: z.number().nullish(),
  confidence: z.number().nullish(),
});
type WhisperWord = z.infer<typeof WhisperWord>;

const WhisperSegment = z.object({
  start: z.number(),
  end: z.number(),
  text: z.string(),
  words: z.array(WhisperWord).optional(),
});

export const WhisperJson = z.union([
  z.array(WhisperWord),
  z.object({ segments: z.array(WhisperSegment) }),
]);

const ms = (seconds: number): number => Math.round(seconds * 1000);
const clamp01 = (value: number | null | undefined): number | null =>
  value === null || value === undefined ? null : Math.min(1, Math.max(0, value));

function toWords(items: WhisperWord[], fallbackStart: number, fallbackEnd: number): TranscriptWord[] {
  const out: TranscriptWord[] = [];
  items.forEach((item, i) => {
    const word = (item.word ?? item.text ?? '').trim();
    if (!word) return;
    // An unaligned word sits between its neighbours: after the previous word, before the next timed one.
    const nextStart = items.slice(i + 1).find((w) => typeof w.start === 'number')?.start;
    const startMs = typeof item.start === 'number' ? ms(item.start) : (out.at(-1)?.end_ms ?? fallbackStart);
    const endMs = typeof item.end === 'number' ? ms(item.end) : typeof nextStart === 'number' ? ms(nextStart) : fallbackEnd;
    out.push({
      word,
      start_ms: startMs,
      end_ms: Math.max(startMs, endMs),
      confidence: clamp01(item.probability ?? item.score ?? item.confidence),
    });
  });
  return out;
}

/**
 * Whisper-family JSON: a flat word list (openai-whisper / faster-whisper `Word`s) or a result with
 * `segments[].words` (openai-whisper, faster-whisper, WhisperX, whisper-timestamped). Times in seconds.
 *
 * @example
 * parseWhisperJson([{ word: ' The', start: 0, end: 0.26, probability: 0.75 }]).words[0]?.word // 'The'
 */
export function parseWhisperJson(value: unknown): ParsedCaptions {
  const parsed = WhisperJson.parse(value);
  const out: ParsedCaptions = { words: [], segments: [], wordTiming: 'word' };
  if (Array.isArray(parsed)) {
    pushSegment(out, toWords(parsed, 0, 0));
    return out;
  }
  for (const segment of parsed.segments) {
    const words = toWords(segment.words ?? [], ms(segment.start), ms(segment.end));
    pushSegment(out, words, segment.text.trim());
  }
  return out;
}
