import { z } from 'zod';
import { pushSegment, type ParsedCaptions } from './caption-words.ts';
import type { TranscriptWord } from './transcript.ts';

export const Json3 = z.object({
  events: z.array(
    z.object({
      tStartMs: z.number(),
      dDurationMs: z.number().optional(),
      segs: z.array(z.object({ utf8: z.string(), tOffsetMs: z.number().optional() })).optional(),
    }),
  ),
});

/**
 * YouTube json3 captions: word start = event `tStartMs` + seg `tOffsetMs` (absent on the first seg: 0).
 * There are no word ends: a word ends where the next word starts, the last one at its event's end.
 * `acAsrConf` is 0 throughout real files, so confidence is unknown (null).
 *
 * @example
 * parseJson3(JSON.parse(text)).wordTiming // 'word'
 */
export function parseJson3(value: unknown): ParsedCaptions {
  const { events } = Json3.parse(value);
  const timed: Array<{ word: string; start: number; eventEnd: number; event: number }> = [];
  events.forEach((event, index) => {
    for (const seg of event.segs ?? []) {
      const word = seg.utf8.trim();
      if (!word) continue; // line breaks are their own events ("\n")
      const start = event.tStartMs + (seg.tOffsetMs ?? 0);
      timed.push({ word, start, eventEnd: event.tStartMs + (event.dDurationMs ?? 0), event: index });
    }
  });
  const out: ParsedCaptions = { words: [], segments: [], wordTiming: 'word' };
  let group: TranscriptWord[] = [];
  timed.forEach((w, i) => {
    const next = timed[i + 1];
    const end = next ? Math.min(next.start, Math.max(w.eventEnd, w.start)) : Math.max(w.eventEnd, w.start);
    group.push({ word: w.word, start_ms: w.start, end_ms: Math.max(w.start, end), confidence: null });
    if (!next || next.event !== w.event) {
      pushSegment(out, group);
      group = [];
    }
  });
  return out;
}
