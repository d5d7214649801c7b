import { z } from 'zod';

/** One recognised word on the audio timeline (DESIGN.md "TranscriptWord"). */
export const TranscriptWord = z.object({
  word: z.string(),
  start_ms: z.number().int(),
  end_ms: z.number().int(),
  confidence: z.number().min(0).max(1).nullable(),
  /** Matching form of `word` (lower case, no punctuation, numbers as words); see normalize-word.ts. */
  norm: z.string().optional(),
});
export type TranscriptWord = z.infer<typeof TranscriptWord>;

export const TranscriptSegment = z.object({
  id: z.number().int(),
  start_ms: z.number().int(),
  end_ms: z.number().int(),
  text: z.string(),
});
export type TranscriptSegment = z.infer<typeof TranscriptSegment>;

/** A transcript file: what `dougpt transcribe` writes and `dougpt align` reads. */
export const Transcript = z.object({
  words: z.array(TranscriptWord),
  segments: z.array(TranscriptSegment),
  backend: z.string(),
  model: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
});
export type Transcript = z.infer<typeof Transcript>;
